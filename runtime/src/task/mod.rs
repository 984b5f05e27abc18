//! Tasks: spawning, joining, aborting, and the machinery under them.
//!
//! A spawned task is one allocation (a *cell*, see `raw.rs`): a header (state word, vtable, id,
//! home pool, spawn location, whether it has a `tracing` span), the core (the scheduler handle
//! and the future, later its output) and a trailer (owned-list links, the `JoinHandle`'s waker,
//! the name, the span of a sampled task: `span.rs`). Cells come from the per-thread pool
//! (`pool.rs`) and go back to it.
//!
//! The state word and each transition are documented in `state.rs`; the functions that drive
//! them (poll, complete, cancel, read output) in `harness.rs`. References to a cell are counted in
//! the state word and held by: the scheduler's owned-task list (`Task`), a run-queue entry
//! (`Notified`), the [`JoinHandle`], each waker and each [`AbortHandle`].

mod abort;
mod builder;
mod error;
mod harness;
mod id;
mod join;
mod join_set;
pub(crate) mod list;
pub(crate) mod pool;
mod raw;
mod spawn;
// Task spans are compiled out without the feature, and under loom (whose models cover the state
// protocol the spans ride on).
#[cfg(all(feature = "tracing", not(loom)))]
mod span;
#[cfg(not(all(feature = "tracing", not(loom))))]
#[path = "span_mock.rs"]
mod span;
pub(crate) mod state;
#[cfg(test)]
mod tests;
mod waker;
mod yield_now;

pub use abort::AbortHandle;
pub use builder::Builder;
pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use spawn::{block_in_place, spawn, spawn_blocking};
pub use yield_now::yield_now;

pub(crate) use raw::{Header, RawTask};
pub(crate) use span::{NewSpan, Sampler};

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

/// What a task needs from the scheduler that owns it.
pub(crate) trait Schedule: Sized + Send + Sync + 'static {
    /// Queues a task that was woken.
    fn schedule(&self, task: Notified<Self>);
    /// Queues a task that woke itself during its poll (a yield): behind the other ready tasks.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }
    /// Removes a completed task from the owned list, returning the list's reference.
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;
    /// The telemetry segment the scheduler's tasks are published in, if any.
    fn telemetry(&self) -> Option<&crate::runtime::metrics::Telemetry> {
        None
    }
}

/// The owned-list reference to a task.
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _p: PhantomData<S>,
}

/// A run-queue entry: a reference to a task that is scheduled to run.
pub(crate) struct Notified<S: 'static>(Task<S>);

// SAFETY: tasks are `Send` (their future and output are) and the state protocol serializes access.
unsafe impl<S> Send for Task<S> {}
// SAFETY: as above.
unsafe impl<S> Sync for Task<S> {}

impl<S: 'static> Task<S> {
    pub(crate) fn from_raw(raw: RawTask) -> Task<S> {
        Task {
            raw,
            _p: PhantomData,
        }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    pub(crate) fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: 'static> Notified<S> {
    pub(crate) fn from_raw(raw: RawTask) -> Notified<S> {
        Notified(Task::from_raw(raw))
    }

    pub(crate) fn into_raw(self) -> RawTask {
        self.0.into_raw()
    }

    /// Polls the task, consuming this queue entry. Returns true if the task completed.
    pub(crate) fn run(self) -> bool {
        // SAFETY: we give up the queue reference to the vtable's poll.
        unsafe { self.into_raw().poll() }
    }

    pub(crate) fn id(&self) -> Id {
        self.0.id()
    }

    pub(crate) fn header(&self) -> &Header {
        self.0.raw.header()
    }
}

impl<S: 'static> std::fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Notified({})", self.id())
    }
}

/// Creates a task cell: the owned-list entry, the first queue entry and the join handle.
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    meta: SpawnMeta,
    span: NewSpan,
) -> (Task<S>, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let ptr = raw::Cell::<F, S>::allocate(future, scheduler, meta, span);
    let raw = RawTask::from_raw(ptr);
    (
        Task::from_raw(raw),
        Notified::from_raw(raw),
        JoinHandle::new(raw),
    )
}

/// What a spawn records about the new task.
pub(crate) struct SpawnMeta {
    pub(crate) id: Id,
    pub(crate) name: Option<Box<str>>,
    pub(crate) location: &'static Location<'static>,
}

impl SpawnMeta {
    /// An unnamed task spawned at the caller's location.
    #[track_caller]
    pub(crate) fn caller() -> SpawnMeta {
        SpawnMeta {
            id: Id::next(),
            name: None,
            location: Location::caller(),
        }
    }
}
