//! Task lifecycles as `tracing` spans (cargo feature `tracing`; `span_mock.rs` stands in without
//! it).
//!
//! A runtime's [`Sampler`] picks one spawned task in `every` (0: none, the default) by counting
//! its spawns. A picked task gets a `task` span (target `zokio::task`, level INFO) created at the
//! spawn, so its tracing parent is the span current there. Each poll enters it; when the task
//! completes, panics or is cancelled, the span records `task.outcome` and `task.polls` and its
//! handle is dropped, which closes it (once its child spans are closed, as tracing does).
//!
//! Where it lives in the cell: the header's [`SpanMark`] says whether the task has a span (a
//! `bool` in the header's padding, so the header does not grow and an unsampled poll pays one
//! branch on a word the state transition just touched); the trailer's [`SpanSlot`] holds the boxed
//! span and poll count. Protocol: the slot is written at allocation, then read and written only
//! by the holder of `RUNNING` (enter on each poll, take on completion); the mark never changes.
//! A slot still full when the cell is freed (a task that never completed) closes the span then.

use super::SpawnMeta;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crossbeam_utils::CachePadded;
use tracing::field::Empty;
use tracing::span::Entered;
use tracing::Span;

/// Decides, per runtime, which spawned tasks get a span.
pub(crate) struct Sampler {
    /// One task in `every` gets a span; 0: none.
    every: u32,
    /// The runtime's id for the `runtime` field (0: none to record).
    runtime: u64,
    /// Spawns counted while sampling one in `every > 1`. On its own line (every spawn writes
    /// it), out of line so that `every` stays small and next to the handle's other fields.
    spawned: Box<CachePadded<AtomicU64>>,
}

impl Sampler {
    pub(crate) fn new(every: u32, runtime: u64) -> Sampler {
        Sampler {
            every,
            runtime,
            spawned: Box::new(CachePadded::new(AtomicU64::new(0))),
        }
    }

    /// The span of a task being spawned, if it is sampled.
    #[inline]
    pub(crate) fn span_for(&self, meta: &SpawnMeta) -> NewSpan {
        if self.every == 0 {
            return NewSpan(None);
        }
        self.sample(meta)
    }

    #[inline(never)]
    fn sample(&self, meta: &SpawnMeta) -> NewSpan {
        if self.every > 1
            && !self
                .spawned
                .fetch_add(1, Relaxed)
                .is_multiple_of(u64::from(self.every))
        {
            return NewSpan(None);
        }
        let span = task_span(meta, self.runtime);
        if span.is_disabled() {
            // No subscriber wants it: the cell carries nothing.
            return NewSpan(None);
        }
        NewSpan(Some(Box::new(Traced { span, polls: 0 })))
    }
}

/// The `task` span of a task being spawned: a child of the span current here.
fn task_span(meta: &SpawnMeta, runtime: u64) -> Span {
    let parent = super::try_id().map_or(0, |id| id.as_u64());
    tracing::info_span!(
        target: "zokio::task",
        "task",
        task.id = meta.id.as_u64(),
        task.name = meta.name.as_deref().unwrap_or(""),
        task.parent = parent,
        spawn.location = %meta.location,
        runtime = (runtime != 0).then_some(runtime),
        task.outcome = Empty,
        task.polls = Empty,
    )
}

/// A sampled task's span and its poll count (boxed: only sampled tasks pay for it).
struct Traced {
    span: Span,
    polls: u64,
}

/// The span made for a new task (empty when it is not sampled).
pub(crate) struct NewSpan(Option<Box<Traced>>);

impl NewSpan {
    /// No span (tasks that are never sampled: blocking tasks).
    pub(crate) fn none() -> NewSpan {
        NewSpan(None)
    }

    /// The header's and the trailer's parts.
    pub(crate) fn into_parts(self) -> (SpanMark, SpanSlot) {
        (
            SpanMark(self.0.is_some()),
            SpanSlot(UnsafeCell::new(self.0)),
        )
    }
}

/// In the header: whether the task has a span. Set at allocation, never changed.
pub(crate) struct SpanMark(bool);

/// In the trailer: the task's span until it completes.
pub(crate) struct SpanSlot(UnsafeCell<Option<Box<Traced>>>);

/// What ended a task, recorded as `task.outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    Panic,
    Cancelled,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Panic => "panic",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// The task's span, entered for one poll (or a cancellation's drop of the future).
pub(crate) struct PollGuard<'a>(Option<Entered<'a>>);

impl SpanSlot {
    /// Enters the span for a poll and counts the poll.
    ///
    /// # Safety
    /// The caller holds `RUNNING`, and does not call [`SpanSlot::close`] while the guard lives.
    #[inline]
    pub(crate) unsafe fn enter_poll(&self, mark: &SpanMark) -> PollGuard<'_> {
        if !mark.0 {
            return PollGuard(None);
        }
        // SAFETY: the caller's contract.
        unsafe { self.enter(true) }
    }

    /// Enters the span to drop a cancelled task's future (not a poll).
    ///
    /// # Safety
    /// As for [`SpanSlot::enter_poll`].
    #[inline]
    pub(crate) unsafe fn enter_cancel(&self, mark: &SpanMark) -> PollGuard<'_> {
        if !mark.0 {
            return PollGuard(None);
        }
        // SAFETY: the caller's contract.
        unsafe { self.enter(false) }
    }

    /// # Safety
    /// As for [`SpanSlot::enter_poll`].
    #[inline(never)]
    unsafe fn enter(&self, poll: bool) -> PollGuard<'_> {
        // SAFETY: RUNNING grants exclusive access to the slot; the box stays in place until
        // `close`, which the caller does not call while the returned guard borrows it.
        let traced = self.0.with_mut(|p| unsafe { (*p).as_deref_mut() });
        let Some(traced) = traced else {
            return PollGuard(None);
        };
        traced.polls += u64::from(poll);
        let traced: &Traced = traced;
        PollGuard(Some(traced.span.enter()))
    }

    /// Records the outcome and the poll count, and closes the span (drops this task's handle).
    ///
    /// # Safety
    /// The caller holds `RUNNING` and no [`PollGuard`] of this slot lives.
    #[inline]
    pub(crate) unsafe fn close(&self, mark: &SpanMark, outcome: Outcome) {
        if mark.0 {
            // SAFETY: the caller's contract.
            unsafe { self.close_traced(outcome) }
        }
    }

    /// # Safety
    /// As for [`SpanSlot::close`].
    #[inline(never)]
    unsafe fn close_traced(&self, outcome: Outcome) {
        // SAFETY: RUNNING grants exclusive access to the slot, and nothing borrows the box.
        let traced = self.0.with_mut(|p| unsafe { (*p).take() });
        if let Some(t) = traced {
            t.span.record("task.outcome", outcome.as_str());
            t.span.record("task.polls", t.polls);
        }
    }
}
