//! The thread-local runtime context: which runtime (and which worker) the current thread belongs to.

use crate::time::TimerHandle;

/// The timer of the runtime this thread is in, if any.
///
/// Stub until the scheduler lands: returns `None`.
pub(crate) fn current_timer() -> Option<TimerHandle> {
    None
}

/// The index of the worker thread this code runs on, if it runs on one.
///
/// Stub until the scheduler lands: returns `None`.
pub(crate) fn worker_index() -> Option<usize> {
    None
}
