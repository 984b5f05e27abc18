//! The thread-local runtime context: which runtime this thread is in (for `Handle::current`,
//! `spawn`, timers) and whether it is already driving one (`block_on` may not nest).

use super::scheduler;
use crate::time::TimerHandle;
use std::cell::{Cell, RefCell};

struct Context {
    handle: RefCell<Option<scheduler::Handle>>,
    in_runtime: Cell<bool>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            in_runtime: Cell::new(false),
        }
    };
    /// The worker this thread is (`usize::MAX` for none) and the tag of its runtime (its
    /// telemetry's id). Its own thread-local without a destructor, so reading it (telemetry
    /// does, on every poll) costs no initialisation check.
    static WORKER_INDEX: Cell<(usize, u64)> = const { Cell::new((usize::MAX, 0)) };
}

/// Makes `handle` current until the guard drops (then the previous one is restored).
pub(crate) fn enter_handle(handle: scheduler::Handle) -> SetCurrentGuard {
    let prev = CONTEXT.with(|c| c.handle.replace(Some(handle)));
    SetCurrentGuard { prev: Some(prev) }
}

/// Restores the previous current handle on drop.
pub(crate) struct SetCurrentGuard {
    prev: Option<Option<scheduler::Handle>>,
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take().flatten();
        let _ = CONTEXT.try_with(|c| drop(c.handle.replace(prev)));
    }
}

/// Calls `f` with the current runtime's handle, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(&scheduler::Handle) -> R) -> Option<R> {
    CONTEXT
        .try_with(|c| c.handle.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// The timer of the runtime this thread is in, if any.
pub(crate) fn current_timer() -> Option<TimerHandle> {
    with_current(|h| h.timer().clone())
}

/// The I/O driver of the runtime this thread is in, if any.
pub(crate) fn io_handle() -> Option<crate::io::driver::IoHandle> {
    with_current(|h| h.driver().io().clone())
}

/// The index of the worker thread this code runs on, if it runs on one.
#[inline]
pub(crate) fn worker_index() -> Option<usize> {
    let (i, _) = WORKER_INDEX.with(Cell::get);
    (i != usize::MAX).then_some(i)
}

/// The index of the worker thread this code runs on if it is a worker of the runtime tagged
/// `tag` (a worker of another runtime spawning or doing I/O here is none of this runtime's).
#[inline]
pub(crate) fn worker_index_of(tag: u64) -> Option<usize> {
    let (i, t) = WORKER_INDEX.with(Cell::get);
    (i != usize::MAX && t == tag).then_some(i)
}

/// This thread is worker `index` of the runtime tagged `tag` (its telemetry's id), or none.
pub(crate) fn set_worker_index(index: Option<usize>, tag: u64) {
    WORKER_INDEX.with(|w| w.set((index.unwrap_or(usize::MAX), tag)));
}

/// The worker this thread is, with its runtime's tag (to restore it later).
pub(crate) fn worker() -> (Option<usize>, u64) {
    let (i, t) = WORKER_INDEX.with(Cell::get);
    ((i != usize::MAX).then_some(i), t)
}

/// Marks this thread as driving a runtime. Panics if it already is: blocking inside the runtime
/// would stall its workers.
#[track_caller]
pub(crate) fn enter_runtime() -> EnterRuntimeGuard {
    let already = CONTEXT.with(|c| c.in_runtime.replace(true));
    if already {
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function (like \
             `block_on`) attempted to block the current thread while the thread is being used to \
             drive asynchronous tasks."
        );
    }
    EnterRuntimeGuard { _p: () }
}

/// Whether this thread is driving a runtime (a worker, or inside `block_on`).
pub(crate) fn is_in_runtime() -> bool {
    CONTEXT.try_with(|c| c.in_runtime.get()).unwrap_or(false)
}

/// Leaves the runtime for the duration of a blocking section (`block_in_place`).
pub(crate) fn exit_runtime<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = CONTEXT.try_with(|c| c.in_runtime.set(self.0));
        }
    }
    let was = CONTEXT.with(|c| c.in_runtime.replace(false));
    let _reset = Reset(was);
    f()
}

/// Clears the "driving a runtime" mark on drop.
pub(crate) struct EnterRuntimeGuard {
    _p: (),
}

impl Drop for EnterRuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.in_runtime.set(false));
    }
}
