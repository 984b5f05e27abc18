//! `AbortHandle`: cancels a task without owning its output.

use super::raw::RawTask;
use super::state::TransitionToNotified;
use super::Id;
use std::fmt;

/// Cancels a task; cloneable, and does not keep the output alive.
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    pub(crate) fn new(raw: RawTask) -> AbortHandle {
        AbortHandle { raw }
    }

    /// Cancels the task (see [`JoinHandle::abort`](super::JoinHandle::abort)).
    pub fn abort(&self) {
        abort_raw(self.raw);
    }

    /// True once the task has completed.
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

pub(super) fn abort_raw(raw: RawTask) {
    if raw.state().transition_to_notified_and_cancel() == TransitionToNotified::Submit {
        // SAFETY: the transition took a reference for the queue entry.
        unsafe { raw.schedule() }
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.state().ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
