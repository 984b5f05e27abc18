//! [`Telemetry`] with telemetry compiled out: the same API, holding nothing.

use std::io;
use std::sync::Arc;
use std::time::Instant;

/// What the builder decides about telemetry (ignored).
#[derive(Debug, Clone, Default)]
pub(crate) struct TelemetryConfig {
    pub(crate) service_name: String,
    pub(crate) task_capacity: usize,
    pub(crate) ring_capacity: usize,
}

/// The runtime-wide gauges (ignored).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RuntimeGauges {
    pub(crate) active_tasks: usize,
    pub(crate) global_queue_depth: usize,
    pub(crate) blocking_threads: usize,
    pub(crate) idle_blocking_threads: usize,
    pub(crate) blocking_queue_depth: usize,
}

/// Stand-in for the runtime's segment.
#[derive(Debug)]
pub(crate) struct Telemetry;

impl Telemetry {
    pub(crate) fn new(_workers: usize, _config: &TelemetryConfig) -> io::Result<Arc<Telemetry>> {
        Ok(Arc::new(Telemetry))
    }

    pub(crate) fn detached(_workers: usize) -> Arc<Telemetry> {
        Arc::new(Telemetry)
    }

    #[inline(always)]
    pub(crate) fn now_ns(&self) -> u64 {
        0
    }

    #[inline(always)]
    pub(crate) fn ns_of(&self, _at: Instant) -> u64 {
        0
    }

    pub(crate) fn set_backend(&self, _backend: &str, _reason: &str) {}

    #[inline(always)]
    pub(crate) fn spawned_remote_add(&self) {}

    pub(crate) fn spawned_remote(&self) -> u64 {
        0
    }

    pub(crate) fn publish_runtime(&self, _g: &RuntimeGauges) {}

    pub(crate) fn publish_pool(&self, _slot: usize, _name: &str, _p: &super::PoolMetrics) {}

    pub(crate) fn path(&self) -> Option<&std::path::Path> {
        None
    }
}
