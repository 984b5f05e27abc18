//! [`Telemetry`]: the runtime's telemetry segment (crate `zokio-telemetry`), where every counter
//! the runtime keeps is published.
//!
//! Each runtime creates one segment when it is built: in a private tmpfs directory where any
//! tool of the same user finds it by pid (`zokio-console attach <pid>`), or, when publication is
//! off (`ZOKIO_TELEMETRY=off`) or the file cannot be created, in this process's memory only.
//! Either way the runtime counts into the same blocks and `Handle::metrics()` reads them back,
//! so what a reader sees and what the runtime reports are the same words.

use super::snapshot::PoolMetrics;
use std::cell::Cell;
use std::io;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;
use zokio_telemetry::{Identity, Lint, Segment, SegmentConfig, TaskField, TaskRecord, TaskState};

/// Consecutive self-wakes (woken during its own poll) after which a task is flagged
/// [`Lint::SelfWakeStorm`], if they are also most of its polls.
const SELF_WAKE_STORM: u64 = 1000;

/// Busy time is estimated from the timed polls (one in this many).
const POLL_SAMPLE: u64 = super::worker::POLL_SAMPLE;

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

    /// A task was spawned: claims its task-table slot and publishes who it is. Returns the slot
    /// plus one (what the task keeps), or 0 when the table is full (counted as an overflow).
    pub(crate) fn task_spawned(
        &self,
        id: u64,
        parent: u64,
        location: &'static Location<'static>,
        name: Option<&str>,
    ) -> u32 {
        let record = TaskRecord {
            id,
            parent,
            name: name.and_then(|n| self.seg.intern(n)).unwrap_or(0),
            location: self.location_id(location),
            state: TaskState::Scheduled,
            ..TaskRecord::default()
        };
        self.seg
            .tasks()
            .claim_with(&record)
            .map_or(0, |i| i as u32 + 1)
    }

    /// The string id of a spawn location, through a per-thread cache (interning takes a lock).
    fn location_id(&self, location: &'static Location<'static>) -> u32 {
        thread_local! {
            static CACHE: Cell<[(usize, u64, u32); 64]> = const { Cell::new([(0, 0, 0); 64]) };
        }
        let key = location as *const Location<'static> as usize;
        let seg_key = self as *const Telemetry as u64;
        let i = (key >> 4) % 64;
        let mut cache = CACHE.with(Cell::get);
        if cache[i].0 == key && cache[i].1 == seg_key {
            return cache[i].2;
        }
        let text = format!(
            "{}:{}:{}",
            location.file(),
            location.line(),
            location.column()
        );
        let id = self.seg.intern(&text).unwrap_or(0);
        cache[i] = (key, seg_key, id);
        CACHE.with(|c| c.set(cache));
        id
    }

    /// Task slot `slot` (as kept by the task: index plus one) starts a poll on worker `worker`.
    /// The caller holds the task's RUNNING bit: the only writer of the slot.
    #[inline]
    pub(crate) fn task_poll_started(&self, slot: u32, task_id: u64, worker: usize) {
        let w = self.seg.worker(worker);
        w.poll_seq.add(1);
        w.current_task.store(task_id);
        if slot == 0 {
            return;
        }
        let (table, i) = (self.seg.tasks(), slot as usize - 1);
        table.store(i, TaskField::State, TaskState::Running.to_code());
        let packed = table.load(i, TaskField::WorkerAndLints);
        if packed & 0xffff_ffff != worker as u64 {
            table.store(
                i,
                TaskField::WorkerAndLints,
                packed >> 32 << 32 | worker as u64,
            );
        }
    }

    /// The poll of slot `slot` ended without completing the task: `notified` if it was woken
    /// during the poll (it runs again), `duration_ns` if the poll was timed. Lints the monitor
    /// flagged on this poll land on the task here. Returns the lints to report as events.
    #[inline]
    pub(crate) fn task_poll_ended(
        &self,
        slot: u32,
        worker: usize,
        notified: bool,
        duration_ns: Option<u64>,
    ) {
        let w = self.seg.worker(worker);
        w.current_task.store(0);
        w.poll_seq.add(1);
        if slot == 0 {
            return;
        }
        let (table, i) = (self.seg.tasks(), slot as usize - 1);
        let polls = table.load(i, TaskField::Polls) + 1;
        table.store(i, TaskField::Polls, polls);
        let state = if notified {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        table.store(i, TaskField::State, state.to_code());
        if let Some(ns) = duration_ns {
            table.store(i, TaskField::LastPollDurationNs, ns);
            let busy = table.load(i, TaskField::BusyNs);
            table.store(i, TaskField::BusyNs, busy + ns * POLL_SAMPLE);
        }
        if notified {
            let self_wakes = table.load(i, TaskField::SelfWakes) + 1;
            table.store(i, TaskField::SelfWakes, self_wakes);
            if self_wakes == SELF_WAKE_STORM && self_wakes * 2 > polls {
                self.flag(i, worker, Lint::SelfWakeStorm);
            }
        } else {
            table.store(i, TaskField::Wakes, table.load(i, TaskField::Wakes) + 1);
        }
    }

    /// Sets lint `lint` on task slot `i` and counts it on `worker`.
    fn flag(&self, i: usize, worker: usize, lint: Lint) {
        self.seg.worker(worker).lints[lint.index()].add(1);
        let table = self.seg.tasks();
        let packed = table.load(i, TaskField::WorkerAndLints);
        table.store(
            i,
            TaskField::WorkerAndLints,
            packed | 1 << (32 + lint.index()),
        );
    }

    /// The task of slot `slot` is gone (completed, panicked or cancelled): its slot is freed.
    pub(crate) fn task_released(&self, slot: u32) {
        if slot != 0 {
            self.seg.tasks().release(slot as usize - 1);
        }
    }

    /// The published file, if any (readers find the runtime there).
    pub(crate) fn path(&self) -> Option<&std::path::Path> {
        self.seg.is_published().then(|| self.seg.path())
    }
}

/// Whether the task poll starting on this thread is one of the timed ones (one in
/// [`POLL_SAMPLE`]): its start time if so.
#[inline]
pub(crate) fn timed_task_poll() -> Option<Instant> {
    thread_local! {
        static POLLS: Cell<u64> = const { Cell::new(0) };
    }
    let n = POLLS.with(|p| {
        let n = p.get().wrapping_add(1);
        p.set(n);
        n
    });
    n.is_multiple_of(POLL_SAMPLE).then(Instant::now)
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
