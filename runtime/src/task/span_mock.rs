//! Task spans with the `tracing` feature compiled out: the same API, holding nothing (every type
//! is zero-sized, so the cell does not grow, and every call compiles to nothing).

use super::SpawnMeta;
use std::marker::PhantomData;

/// Stand-in: never samples.
pub(crate) struct Sampler;

impl Sampler {
    #[inline(always)]
    pub(crate) fn new(_every: u32, _runtime: u64) -> Sampler {
        Sampler
    }

    #[inline(always)]
    pub(crate) fn span_for(&self, _meta: &SpawnMeta) -> NewSpan {
        NewSpan
    }
}

/// Stand-in: no span.
pub(crate) struct NewSpan;

impl NewSpan {
    #[inline(always)]
    pub(crate) fn none() -> NewSpan {
        NewSpan
    }

    #[inline(always)]
    pub(crate) fn into_parts(self) -> (SpanMark, SpanSlot) {
        (SpanMark, SpanSlot)
    }
}

/// Stand-in for the header's part.
pub(crate) struct SpanMark;

/// Stand-in for the trailer's part.
pub(crate) struct SpanSlot;

/// What ended a task (ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    Panic,
    Cancelled,
}

/// Stand-in for an entered span.
pub(crate) struct PollGuard<'a>(PhantomData<&'a ()>);

impl SpanSlot {
    /// Does nothing.
    ///
    /// # Safety
    /// None needed; the signature matches the real one's.
    #[inline(always)]
    pub(crate) unsafe fn enter_poll(&self, _mark: &SpanMark) -> PollGuard<'_> {
        PollGuard(PhantomData)
    }

    /// Does nothing.
    ///
    /// # Safety
    /// None needed; the signature matches the real one's.
    #[inline(always)]
    pub(crate) unsafe fn enter_cancel(&self, _mark: &SpanMark) -> PollGuard<'_> {
        PollGuard(PhantomData)
    }

    /// Does nothing.
    ///
    /// # Safety
    /// None needed; the signature matches the real one's.
    #[inline(always)]
    pub(crate) unsafe fn close(&self, _mark: &SpanMark, _outcome: Outcome) {}
}
