//! [`Telemetry`]: the runtime's telemetry segment (crate `zokio-telemetry`), where every counter
//! the runtime keeps is published.
//!
//! Each runtime creates one segment when it is built: in a private tmpfs directory where any
//! tool of the same user finds it by pid (`zokio-console attach <pid>`), or, when publication is
//! off (`ZOKIO_TELEMETRY=off`) or the file cannot be created, in this process's memory only.
//! Either way the runtime counts into the same blocks and `Handle::metrics()` reads them back,
//! so what a reader sees and what the runtime reports are the same words.

use super::snapshot::PoolMetrics;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;
use zokio_telemetry::{Identity, Segment, SegmentConfig};

/// What the builder decides about telemetry.
#[derive(Debug, Clone)]
pub(crate) struct TelemetryConfig {
    /// Shown as the runtime's service.
    pub(crate) service_name: String,
    /// Task-table slots (tasks beyond are counted, not listed).
    pub(crate) task_capacity: usize,
    /// Events per worker ring (a power of two).
    pub(crate) ring_capacity: usize,
}

impl Default for TelemetryConfig {
    fn default() -> TelemetryConfig {
        TelemetryConfig {
            service_name: String::new(),
            task_capacity: 16_384,
            ring_capacity: 4096,
        }
    }
}

/// The runtime-wide gauges, as the schedulers read them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RuntimeGauges {
    pub(crate) active_tasks: usize,
    pub(crate) global_queue_depth: usize,
    pub(crate) blocking_threads: usize,
    pub(crate) idle_blocking_threads: usize,
    pub(crate) blocking_queue_depth: usize,
}

/// A runtime's telemetry segment.
pub(crate) struct Telemetry {
    seg: Segment,
    /// Event timestamps and task-state times count from here.
    epoch: Instant,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("published", &self.seg.is_published())
            .field("path", &self.seg.path())
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    /// The segment of a new runtime with `workers` workers: published unless
    /// `ZOKIO_TELEMETRY=off`; in private memory if publishing fails (said once on stderr).
    pub(crate) fn new(workers: usize, config: &TelemetryConfig) -> io::Result<Arc<Telemetry>> {
        let mut seg_config = SegmentConfig::new(workers);
        seg_config.task_capacity = config.task_capacity;
        seg_config.ring_capacity = config.ring_capacity;
        seg_config.pool_slots = workers + 16;
        let identity = Identity::for_this_process(&config.service_name)?;
        let seg = match Segment::create(&seg_config, &identity) {
            Ok(Some(seg)) => seg,
            Ok(None) => Segment::private(&seg_config, &identity)?,
            Err(e) => {
                warn_once(&e);
                Segment::private(&seg_config, &identity)?
            }
        };
        Ok(Arc::new(Telemetry {
            seg,
            epoch: Instant::now(),
        }))
    }

    /// A private segment for parts built outside a runtime (driver unit tests).
    pub(crate) fn detached(workers: usize) -> Arc<Telemetry> {
        let config = SegmentConfig::new(workers);
        let identity = Identity {
            pid: std::process::id(),
            start_time: 0,
            process_name: String::new(),
            service_name: String::new(),
            runtime_id: 0,
        };
        Arc::new(Telemetry {
            seg: Segment::private(&config, &identity).expect("an anonymous mapping"),
            epoch: Instant::now(),
        })
    }

    /// The segment.
    #[inline]
    pub(crate) fn seg(&self) -> &Segment {
        &self.seg
    }

    /// Nanoseconds since the runtime started, the clock of event timestamps.
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// `at` on the clock of [`Telemetry::now_ns`].
    #[inline]
    pub(crate) fn ns_of(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    /// Publishes the I/O backend and why it was chosen.
    pub(crate) fn set_backend(&self, backend: &str, reason: &str) {
        self.seg.set_backend(backend, reason);
    }

    /// A task was spawned from outside the workers.
    #[inline]
    pub(crate) fn spawned_remote_add(&self) {
        self.seg.runtime().spawned_remote.add(1);
    }

    /// Tasks spawned from outside the workers so far.
    pub(crate) fn spawned_remote(&self) -> u64 {
        self.seg.runtime().spawned_remote.load()
    }

    /// Publishes the runtime-wide gauges (any thread may: each is one word, last store wins).
    pub(crate) fn publish_runtime(&self, g: &RuntimeGauges) {
        let r = self.seg.runtime();
        r.active_tasks.store(g.active_tasks as u64);
        r.global_queue_depth.store(g.global_queue_depth as u64);
        r.blocking_threads.store(g.blocking_threads as u64);
        r.blocking_idle_threads
            .store(g.idle_blocking_threads as u64);
        r.blocking_queue_depth.store(g.blocking_queue_depth as u64);
    }

    /// Publishes task-cell pool `slot` (pools beyond the segment's slots are not published).
    pub(crate) fn publish_pool(&self, slot: usize, name: &str, p: &PoolMetrics) {
        if slot >= self.seg.layout().config.pool_slots {
            return;
        }
        let b = self.seg.pool(slot);
        if b.label.load() == 0 {
            if let Some(id) = self.seg.intern(name) {
                b.label.store(u64::from(id));
            }
        }
        b.hits.store(p.hits);
        b.misses.store(p.misses);
        b.in_use.store(p.in_use);
        b.bytes_held.store(p.bytes_held);
        b.remote_frees.store(p.remote_frees);
    }

    /// The published file, if any (readers find the runtime there).
    pub(crate) fn path(&self) -> Option<&std::path::Path> {
        self.seg.is_published().then(|| self.seg.path())
    }
}

fn warn_once(e: &io::Error) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Relaxed) {
        eprintln!(
            "zokio: telemetry is not published (counting in private memory only): {e}; \
             set ZOKIO_TELEMETRY=off to silence this"
        );
    }
}
