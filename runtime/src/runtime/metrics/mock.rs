//! Per-worker counters with telemetry compiled out: the same API, doing nothing.

use super::histogram::POLL_BUCKETS;
use super::snapshot::WorkerMetrics;
use super::Telemetry;

/// Stand-in for the worker's counters: the fields exist so call sites need no `#[cfg]`, but
/// nothing is timed and nothing is ever published (snapshots read zero).
#[derive(Debug, Clone)]
pub(crate) struct WorkerStats {
    pub(crate) polls: u64,
    pub(crate) spawned_local: u64,
    pub(crate) completed: u64,
    pub(crate) steal_attempts: u64,
    pub(crate) steal_operations: u64,
    pub(crate) tasks_stolen: u64,
    pub(crate) local_queue_depth: u64,
    pub(crate) lifo_hits: u64,
    pub(crate) parks: u64,
    pub(crate) unparks: u64,
    pub(crate) spurious_wakeups: u64,
    pub(crate) busy_ns: u64,
    pub(crate) budget_forced_yields: u64,
}

/// A worker's counters with nothing counted: zeros.
pub(crate) fn worker_snapshot(_tel: &Telemetry, index: usize) -> WorkerMetrics {
    WorkerMetrics {
        index,
        poll_time_histogram: vec![0; POLL_BUCKETS],
        schedule_time_histogram: vec![0; POLL_BUCKETS],
        ..Default::default()
    }
}

impl WorkerStats {
    pub(crate) fn new(_workers: usize) -> WorkerStats {
        WorkerStats {
            polls: 0,
            spawned_local: 0,
            completed: 0,
            steal_attempts: 0,
            steal_operations: 0,
            tasks_stolen: 0,
            local_queue_depth: 0,
            lifo_hits: 0,
            parks: 0,
            unparks: 0,
            spurious_wakeups: 0,
            busy_ns: 0,
            budget_forced_yields: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn sampled(&self) -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn poll_started(&mut self) {}

    #[inline(always)]
    pub(crate) fn poll_ended(&mut self) {}

    #[inline(always)]
    pub(crate) fn record_poll(&mut self, _ns: u64) {}

    #[inline(always)]
    pub(crate) fn stretch_started(&mut self) {}

    /// Never due: there is nothing to publish.
    #[inline(always)]
    pub(crate) fn stretch_ended(&mut self) -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn record_steal(&mut self, _victim: usize, _count: u64) {}

    #[inline(always)]
    pub(crate) fn publish(&mut self, _tel: &Telemetry, _index: usize) {}
}
