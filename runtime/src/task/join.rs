//! `JoinHandle`: awaits a task's output.

use super::raw::RawTask;
use super::{AbortHandle, Id, JoinError};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to await a spawned task's output.
///
/// Dropping a `JoinHandle` detaches the task: it keeps running. Awaiting it yields
/// `Err(JoinError)` if the task panicked or was cancelled.
pub struct JoinHandle<T> {
    raw: RawTask,
    _p: PhantomData<T>,
}

// SAFETY: the handle only moves the output (`T: Send`) out of the cell.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: a shared handle exposes nothing of `T` (only `is_finished`, `abort`, `id`).
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _p: PhantomData,
        }
    }

    /// Cancels the task. If it is idle it is cancelled at its next scheduling; if it is being
    /// polled, when that poll returns; a completed task is unaffected.
    pub fn abort(&self) {
        super::abort::abort_raw(self.raw);
    }

    /// True once the task has completed (finished, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// A handle that can abort the task without awaiting it.
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.state().ref_inc();
        AbortHandle::new(self.raw)
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.header().id
    }

    #[cfg(all(test, loom))]
    pub(crate) fn raw_task(&self) -> RawTask {
        self.raw
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut ret = Poll::Pending;
        let mut coop = std::task::ready!(crate::runtime::coop::poll_proceed(cx));
        // SAFETY: `ret` has the layout the vtable writes, and we are this task's JoinHandle.
        unsafe { self.raw.try_read_output(&mut ret, cx.waker()) };
        if ret.is_ready() {
            coop.made_progress();
        }
        ret
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: called once, giving up the handle's reference.
        unsafe { self.raw.drop_join_handle() }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}
