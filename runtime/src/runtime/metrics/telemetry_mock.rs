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
    pub(crate) publish: bool,
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

/// Never: nothing is timed.
#[inline(always)]
pub(crate) fn timed_task_poll() -> Option<Instant> {
    None
}

/// Never called: nothing is timed.
#[inline(always)]
pub(crate) fn timed_task_poll_ended(_start: Instant, _ns: u64) {}

/// Stand-in for the runtime's segment.
#[derive(Debug)]
pub(crate) struct Telemetry;

/// Nothing to write per poll.
#[derive(Clone, Copy)]
pub(crate) struct PollWorker<'a> {
    pub(crate) index: usize,
    _tel: std::marker::PhantomData<&'a Telemetry>,
}

impl Telemetry {
    pub(crate) fn new(_workers: usize, _config: &TelemetryConfig) -> io::Result<Arc<Telemetry>> {
        Ok(Arc::new(Telemetry))
    }

    pub(crate) fn detached(_workers: usize) -> Arc<Telemetry> {
        Arc::new(Telemetry)
    }

    /// The tag of this runtime's workers: all runtimes share 0 (nothing is counted per worker).
    pub(crate) fn worker_tag(&self) -> u64 {
        0
    }

    /// No segment, no runtime id.
    pub(crate) fn runtime_id(&self) -> u64 {
        0
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

    #[inline(always)]
    pub(crate) fn task_spawned(
        &self,
        _id: u64,
        _parent: u64,
        _location: &'static std::panic::Location<'static>,
        _name: Option<&str>,
    ) -> u32 {
        0
    }

    #[inline(always)]
    pub(crate) fn poll_worker_here(&self) -> PollWorker<'_> {
        PollWorker {
            index: 0,
            _tel: std::marker::PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn task_poll_started(
        &self,
        _slot: u32,
        _task_id: u64,
        _w: PollWorker<'_>,
        _woken: u64,
    ) {
    }

    #[inline(always)]
    pub(crate) fn task_woken(&self, _kept: u32) -> u64 {
        0
    }

    #[inline(always)]
    pub(crate) fn task_poll_ended(
        &self,
        _slot: u32,
        _task: u64,
        _w: PollWorker<'_>,
        _notified: bool,
        _duration_ns: Option<u64>,
    ) {
    }

    #[inline(always)]
    pub(crate) fn task_poll_ending(
        &self,
        _slot: u32,
        _task: u64,
        _w: PollWorker<'_>,
        _sampled_ns: Option<u64>,
    ) {
    }

    #[inline(always)]
    pub(crate) fn task_poll_notified(&self, _slot: u32, _task: u64, _w: usize, _sampled: bool) {}

    #[inline(always)]
    pub(crate) fn task_released(&self, _slot: u32) {}

    #[inline(always)]
    pub(crate) fn lost_waker(&self, _slot: u32, _task: u64, _worker: usize) {}

    #[inline(always)]
    pub(crate) fn ev_complete(&self, _w: usize, _task: u64, _panicked: bool, _cancelled: bool) {}

    #[inline(always)]
    pub(crate) fn ev_wake(&self, _worker: usize, _task: u64, _by: Option<u64>) {}

    #[inline(always)]
    pub(crate) fn ev_steal(&self, _worker: usize, _victim: usize, _count: u64) {}

    #[inline(always)]
    pub(crate) fn ev_park(&self, _worker: usize, _park: bool, _stats: &super::WorkerStats) {}

    #[inline(always)]
    pub(crate) fn ev_io_submit(&self, _op: usize) {}

    #[inline(always)]
    pub(crate) fn ev_io_complete(&self, _op: usize, _latency_ns: Option<u64>, _result: i32) {}

    #[inline(always)]
    pub(crate) fn ev_timer(&self, _late_ns: u64) {}

    #[inline(always)]
    pub(crate) fn task_panicked(&self) {}

    pub(crate) fn add_publisher(&self, _f: Box<dyn Fn() + Send + Sync>) {}

    #[inline(always)]
    pub(crate) fn ev_cancelled(
        &self,
        _task: u64,
        _in_poll: bool,
        _kept: u32,
        _location: &'static std::panic::Location<'static>,
    ) {
    }

    #[inline(always)]
    pub(crate) fn first_poll(
        &self,
        kept: u32,
        _task: u64,
        _worker: usize,
        _location: &'static std::panic::Location<'static>,
    ) -> u32 {
        kept
    }

    pub(crate) fn start_monitor(self: &Arc<Self>) -> io::Result<()> {
        Ok(())
    }
}
