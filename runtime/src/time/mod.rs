//! Timers: `sleep`, `timeout`, `interval` on a hierarchical timing wheel per runtime.

/// Placeholder until the timer lands.
#[derive(Clone)]
pub(crate) struct TimerHandle;

impl TimerHandle {
    pub(crate) fn new(_shards: usize, _unpark: std::sync::Arc<dyn Fn() + Send + Sync>) -> TimerHandle {
        TimerHandle
    }
    pub(crate) fn next_deadline(&self) -> Option<std::time::Instant> {
        None
    }
    pub(crate) fn process(&self, _now: std::time::Instant) -> usize {
        0
    }
    pub(crate) fn shutdown(&self) {}
    pub(crate) fn registered(&self) -> usize {
        0
    }
}
