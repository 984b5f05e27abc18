//! [`Telemetry`]: the runtime's telemetry segment (crate `zokio-telemetry`), where every counter
//! the runtime keeps is published.
//!
//! Each runtime creates one segment when it is built: in a private tmpfs directory where any
//! tool of the same user finds it by pid (`zokio-console attach <pid>`), or, when publication is
//! off (`ZOKIO_TELEMETRY=off`) or the file cannot be created, in this process's memory only.
//! Either way the runtime counts into the same blocks and `Handle::metrics()` reads them back,
//! so what a reader sees and what the runtime reports are the same words.

use super::histogram::bucket_of;
use super::snapshot::PoolMetrics;
use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::io;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zokio_telemetry::{
    EventData, Identity, IoOp, Lint, Outcome, Segment, SegmentConfig, TaskField, TaskRecord,
    TaskState, WakeSource, WorkerBlock,
};

/// Polls longer than this trip [`Lint::LongPoll`] (blocking inside async code).
const LONG_POLL_NS: u64 = 10_000_000;

/// A poll running longer than this trips [`Lint::NoYield`].
const NO_YIELD_NS: u64 = 1_000_000_000;

/// How often the monitor looks at the workers: a poll is flagged once the monitor has seen it
/// running for the threshold, so every poll longer than the threshold plus this period is
/// caught (and shorter ones over the threshold may be). Every 2 ms measured 20 % slower on a
/// message-passing benchmark (the monitor's wake-ups on a 2-core machine); 10 ms, no cost.
const MONITOR_PERIOD: Duration = Duration::from_millis(10);

/// Consecutive self-wakes (woken during its own poll) after which a task is flagged
/// [`Lint::SelfWakeStorm`], if they are also most of its polls.
const SELF_WAKE_STORM: u64 = 1000;

/// Busy time is estimated from the timed polls (one in this many).
const POLL_SAMPLE: u64 = super::worker::POLL_SAMPLE;

/// One wake in this many (per waking thread) is timed on the precise clock, for the workers'
/// schedule histograms: a clock reading at the wake and one at the poll that follows.
pub(crate) const WAKE_SAMPLE: u32 = 128;

/// The flag in what a task keeps of its telemetry (its task header's `tel_slot`, beside its
/// slot plus one: task tables hold at most 2^24 slots) saying its spawn event is still owed.
pub(crate) const SPAWN_EVENT_PENDING: u32 = 1 << 31;

/// What the builder decides about telemetry.
#[derive(Debug, Clone)]
pub(crate) struct TelemetryConfig {
    /// Shown as the runtime's service.
    pub(crate) service_name: String,
    /// Task-table slots (tasks beyond are counted, not listed).
    pub(crate) task_capacity: usize,
    /// Events per worker ring (a power of two).
    pub(crate) ring_capacity: usize,
    /// Whether the segment is published for readers (else private memory, seen only through
    /// `Handle::metrics()`).
    pub(crate) publish: bool,
}

impl Default for TelemetryConfig {
    fn default() -> TelemetryConfig {
        TelemetryConfig {
            service_name: String::new(),
            task_capacity: 16_384,
            ring_capacity: 4096,
            publish: true,
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

/// The words of one worker that the hooks of every poll on it write (its block in the segment,
/// the lints the monitor left for it), looked up once per poll: the start and the end of a poll
/// each finding the block through the segment's layout (bounds checks included) cost the
/// shortest polls measurably.
#[derive(Clone, Copy)]
pub(crate) struct PollWorker<'a> {
    pub(crate) index: usize,
    block: &'a WorkerBlock,
    pending: &'a AtomicU64,
}

/// The bits of a task record's state word that hold the state (the rest: the worker).
const STATE_CODE: u64 = 0xffff;

/// Entries of the per-thread spawn-location cache.
const LOCATION_CACHE: usize = 64;

thread_local! {
    /// (location address, telemetry id, string id), direct-mapped by address: see
    /// [`Telemetry::location_id`].
    static LOCATIONS: [Cell<(usize, u64, u32)>; LOCATION_CACHE] =
        const { [const { Cell::new((0, 0, 0)) }; LOCATION_CACHE] };
}

/// Lints the monitor set on the poll that just ended (usually none: one load).
#[inline(always)]
fn take_pending(p: &AtomicU64) -> u64 {
    if p.load(Relaxed) == 0 {
        0
    } else {
        p.swap(0, Relaxed)
    }
}

/// A runtime's telemetry segment.
pub(crate) struct Telemetry {
    seg: Segment,
    /// Event timestamps and task-state times count from here.
    epoch: Instant,
    /// Per worker: what only the thread that is that worker writes (its ring's head, its
    /// clock, its slot cache), one cache-line group each.
    locals: Box<[CachePadded<WorkerLocal>]>,
    /// Per worker: lints the monitor detected on the poll running now, for the worker to set on
    /// the task and report when the poll ends (bit `i`: `Lint::from_index(i)`).
    pending: Box<[CachePadded<AtomicU64>]>,
    /// The runtime's clock as of the monitor's last tick (ns), on a line of its own that only
    /// the monitor writes: with each worker's own last reading it stamps events, which must not
    /// cost a clock reading each.
    coarse_now: CachePadded<AtomicU64>,
    /// Polls longer than this are linted (`long_poll`).
    long_poll_ns: u64,
    /// Whether tasks get task-table slots (a capacity of 0 turns the table off).
    task_table: bool,
    /// Unique among the `Telemetry`s of this process (keys the location cache).
    id: u64,
    /// Called by the monitor every [`PUBLISH_PERIOD_TICKS`] ticks: publish what is computed
    /// rather than counted into the segment (the I/O driver's buffer pool and stray completions,
    /// the scheduler's gauges and pools), so passive readers see it without anyone calling
    /// `Handle::metrics()`, and a value a worker published just before the runtime went idle
    /// is not the last word.
    publishers: std::sync::Mutex<Vec<Publisher>>,
    /// The runtime id published in the segment's header (0 for a detached segment).
    runtime_id: u64,
    /// Per pool slot: the growth (cells taken from the allocator) last announced with a
    /// `PoolGrowth` event.
    pool_marks: Box<[AtomicU64]>,
}

/// A function the monitor calls to publish computed values.
pub(crate) type Publisher = Box<dyn Fn() + Send + Sync>;

/// What one worker writes for itself, read by no other thread of the runtime.
#[derive(Default)]
struct WorkerLocal {
    /// Events pushed into its ring.
    head: AtomicU64,
    /// Its last clock reading (ns, at park and unpark).
    clock: AtomicU64,
    /// Task-table slots its tasks retired, for its next spawns.
    slots: SlotCache,
}

/// Task-table slots a worker keeps for reuse: slots of tasks that ended on it, retired (no
/// longer listed) but still claimed, so its next spawns take one without a compare-and-swap on
/// the shared claim bitmap, in lines its own core wrote last. Only the thread that is the
/// worker touches its cache (the same rule as its event ring): plain loads and stores.
///
/// A slot waiting here is free but not claimable by other threads: a full table may count an
/// overflow while up to [`SLOT_CACHE`] slots per worker wait in caches.
#[derive(Default)]
struct SlotCache {
    len: AtomicU32,
    slots: [AtomicU32; SLOT_CACHE],
}

/// Retired slots a worker keeps at most.
const SLOT_CACHE: usize = 32;

impl SlotCache {
    #[inline]
    fn pop(&self) -> Option<usize> {
        let len = self.len.load(Relaxed);
        let len = len.checked_sub(1)?;
        self.len.store(len, Relaxed);
        Some(self.slots[len as usize].load(Relaxed) as usize)
    }

    /// Keeps `index`; `false` if full.
    #[inline]
    fn push(&self, index: usize) -> bool {
        let len = self.len.load(Relaxed);
        if len as usize == SLOT_CACHE {
            return false;
        }
        self.slots[len as usize].store(index as u32, Relaxed);
        self.len.store(len + 1, Relaxed);
        true
    }
}

/// Monitor ticks between calls of the publisher (10 ms each).
const PUBLISH_PERIOD_TICKS: u32 = 10;

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
        let created = match config.publish {
            true => Segment::create(&seg_config, &identity),
            false => Ok(None),
        };
        let seg = match created {
            Ok(Some(seg)) => seg,
            Ok(None) => Segment::private(&seg_config, &identity)?,
            Err(e) => {
                warn_once(&e);
                Segment::private(&seg_config, &identity)?
            }
        };
        Ok(Arc::new(Telemetry::with_segment(
            seg,
            workers,
            identity.runtime_id,
        )))
    }

    fn with_segment(seg: Segment, workers: usize, runtime_id: u64) -> Telemetry {
        let words = || {
            (0..workers)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect()
        };
        Telemetry {
            epoch: Instant::now(),
            locals: (0..workers).map(|_| CachePadded::default()).collect(),
            pending: words(),
            coarse_now: CachePadded::new(AtomicU64::new(0)),
            long_poll_ns: LONG_POLL_NS,
            task_table: seg.layout().config.task_capacity > 0,
            id: {
                static NEXT: AtomicU64 = AtomicU64::new(1);
                NEXT.fetch_add(1, Relaxed)
            },
            runtime_id,
            pool_marks: (0..seg.layout().config.pool_slots)
                .map(|_| AtomicU64::new(0))
                .collect(),
            seg,
            publishers: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Adds a function the monitor calls every 100 ms to publish computed values.
    pub(crate) fn add_publisher(&self, f: Publisher) {
        self.publishers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
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
        let seg = Segment::private(&config, &identity).expect("an anonymous mapping");
        Arc::new(Telemetry::with_segment(seg, workers, 0))
    }

    /// The tag its workers carry in the thread context (unique in this process, never 0), so
    /// a worker of another runtime is not taken for one of ours.
    pub(crate) fn worker_tag(&self) -> u64 {
        self.id
    }

    /// The index of the worker of this runtime this thread is, if it is one.
    #[inline]
    fn this_worker(&self) -> Option<usize> {
        crate::runtime::context::worker_index_of(self.id)
    }

    /// The runtime's id, as the segment's header publishes it (unique in this process; 0 for a
    /// detached segment).
    pub(crate) fn runtime_id(&self) -> u64 {
        self.runtime_id
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
        self.pool_grew(slot, p.misses);
    }

    /// Pushes a `PoolGrowth` event (on this thread's worker's ring, if it is one) when pool
    /// `slot`'s growth, the cells it took from the global allocator, has passed a power of two
    /// since the last one announced: a pool that grows shows up in the event log without an
    /// event per cell. Announced once whoever publishes first (a compare-and-swap).
    fn pool_grew(&self, slot: usize, grown: u64) {
        let mark = &self.pool_marks[slot];
        let announced = mark.load(Relaxed);
        if grown == 0 || (announced != 0 && grown.ilog2() <= announced.ilog2()) {
            return;
        }
        let Some(w) = self.this_worker() else {
            return;
        };
        if mark
            .compare_exchange(announced, grown, Relaxed, Relaxed)
            .is_ok()
        {
            let data = EventData::PoolGrowth {
                pool: slot as u32,
                capacity: grown,
            };
            self.push(w, 0, data);
        }
    }

    /// A task was spawned: claims its task-table slot and publishes who it is. Returns what the
    /// task keeps: the slot plus one, or 0 when the table is full (counted as an overflow),
    /// with [`SPAWN_EVENT_PENDING`] set when this thread is none of the runtime's workers and
    /// has no ring to write the spawn event to: the worker that first polls the task (or
    /// cancels it) writes it then ([`Telemetry::first_poll`]).
    pub(crate) fn task_spawned(
        &self,
        id: u64,
        parent: u64,
        location: &'static Location<'static>,
        name: Option<&str>,
    ) -> u32 {
        let worker = self.this_worker();
        let pending = if worker.is_some() {
            0
        } else {
            SPAWN_EVENT_PENDING
        };
        if !self.task_table {
            // Nothing to write here for a task spawned from a thread that is none of the
            // workers: its first poll writes the spawn event.
            if let Some(w) = worker {
                let location = self.location_id(location);
                self.push(w, id, EventData::Spawn { parent, location });
            }
            return pending;
        }
        let location = self.location_id(location);
        if let Some(w) = worker {
            self.push(w, id, EventData::Spawn { parent, location });
        }
        let record = TaskRecord {
            id,
            parent,
            name: name.and_then(|n| self.seg.intern(n)).unwrap_or(0),
            location,
            state: TaskState::Scheduled,
            // Queued from now until its first poll.
            state_since_ns: self.stamp(worker),
            ..TaskRecord::default()
        };
        let tasks = self.seg.tasks();
        pending
            | match worker.and_then(|w| self.locals[w].slots.pop()) {
                Some(i) => {
                    tasks.publish(i, &record);
                    i as u32 + 1
                }
                None => tasks.claim_with(&record).map_or(0, |i| i as u32 + 1),
            }
    }

    /// The slot a task keeps (`kept`: what [`Telemetry::task_spawned`] returned, as the task
    /// header holds it) when `worker` starts its poll: a spawn event still owed is written now,
    /// into `worker`'s ring (spawned from a thread that is none of the workers: its parent is
    /// reported as 0, the task table has it). Returns the slot plus one without the flag, for
    /// the caller to keep.
    #[inline(always)]
    pub(crate) fn first_poll(
        &self,
        kept: u32,
        task: u64,
        worker: usize,
        location: &'static Location<'static>,
    ) -> u32 {
        let slot = kept & !SPAWN_EVENT_PENDING;
        if slot != kept {
            self.owed_spawn_event(task, worker, location);
        }
        slot
    }

    #[cold]
    fn owed_spawn_event(&self, task: u64, worker: usize, location: &'static Location<'static>) {
        let location = self.location_id(location);
        self.push(
            worker,
            task,
            EventData::Spawn {
                parent: 0,
                location,
            },
        );
    }

    /// The string id of a spawn location, through a per-thread cache (interning takes a lock).
    /// The cache's hit is inlined into the spawn and first-poll paths; a miss interns out of
    /// line.
    #[inline]
    fn location_id(&self, location: &'static Location<'static>) -> u32 {
        let key = location as *const Location<'static> as usize;
        let slot = (key >> 4) % LOCATION_CACHE;
        let cached = LOCATIONS.with(|c| c[slot].get());
        if cached.0 == key && cached.1 == self.id {
            return cached.2;
        }
        self.intern_location(location, slot)
    }

    #[cold]
    fn intern_location(&self, location: &'static Location<'static>, slot: usize) -> u32 {
        let text = format!(
            "{}:{}:{}",
            location.file(),
            location.line(),
            location.column()
        );
        let id = self.seg.intern(&text).unwrap_or(0);
        let key = location as *const Location<'static> as usize;
        LOCATIONS.with(|c| c[slot].set((key, self.id, id)));
        id
    }

    /// Task slot `slot` (as kept by the task: index plus one) starts a poll on worker `pw`:
    /// the time since the task was last scheduled (spawned, woken from idle, or woken during
    /// its previous poll) counts as queued, on the coarse clock, and it shows as running. The
    /// caller holds the task's RUNNING bit: the only writer of the slot.
    ///
    /// `woken_ns`: the stamp its waker left when that wake was one of the timed ones (one in
    /// [`WAKE_SAMPLE`]: the precise clock, low bit set; see [`Telemetry::task_woken`]), else 0.
    /// The delay from a timed stamp to now goes into the worker's schedule histogram, and is
    /// the queued time.
    #[inline(always)]
    pub(crate) fn task_poll_started(
        &self,
        slot: u32,
        task_id: u64,
        pw: PollWorker<'_>,
        woken_ns: u64,
    ) {
        let (w, worker) = (pw.block, pw.index);
        w.poll_seq.store(w.poll_seq.load() + 1);
        w.current_task.store(task_id);
        if woken_ns != 0 {
            self.timed_wake_polled(slot, worker, woken_ns);
            return;
        }
        if slot == 0 {
            return;
        }
        // The slot's words were last written by this task's previous poll or its waker: loads
        // that usually hit.
        let t = self.seg.task(slot as usize - 1);
        let now = self.coarse_clock(worker).max(1);
        let since = t.load(TaskField::StateSinceNs);
        let running = TaskState::Running.word(worker as u16);
        if now <= since {
            // The clock has not moved since the task was scheduled (the usual case for a busy
            // task: it ticks every 10 ms), or this worker's clock is a tick behind its waker's:
            // nothing to add.
            t.store(TaskField::State, running);
            return;
        }
        let scheduled = t.load(TaskField::ScheduledNs);
        t.store(TaskField::ScheduledNs, scheduled + (now - since));
        t.store(TaskField::State, running);
        t.store(TaskField::StateSinceNs, now);
    }

    /// The rare part of [`Telemetry::task_poll_started`]: a task whose wake was timed starts
    /// its poll. Its scheduling delay, on the precise clock, goes into the worker's schedule
    /// histogram (the worker is its only writer) and, for a listed task, into its queued time.
    #[cold]
    fn timed_wake_polled(&self, slot: u32, worker: usize, woken_ns: u64) {
        let now = self.now_ns();
        let delay = now.saturating_sub(woken_ns & !1);
        let bucket = &self.seg.worker(worker).schedule_histogram[bucket_of(delay)];
        bucket.store(bucket.load() + 1);
        let Some(i) = (slot as usize).checked_sub(1) else {
            return;
        };
        let t = self.seg.task(i);
        let scheduled = t.load(TaskField::ScheduledNs);
        t.store(TaskField::ScheduledNs, scheduled + delay);
        t.store(TaskField::State, TaskState::Running.word(worker as u16));
        t.store(TaskField::StateSinceNs, now.max(1));
    }

    /// A waker scheduled from idle the task that keeps `kept` (its slot as the task header
    /// holds it); returns the stamp to leave on the task for its next poll (see
    /// [`Telemetry::task_poll_started`]): one wake in [`WAKE_SAMPLE`] (per waking thread) is
    /// timed on the precise clock, the others get 0. A task listed in the table shows as
    /// scheduled from now on, and the time since its last poll ended counts as idle. The
    /// caller won the task's transition from idle and has not queued it yet: until it does, it
    /// is the slot's only writer (the poll before wrote the slot before its own transition).
    #[inline]
    pub(crate) fn task_woken(&self, kept: u32) -> u64 {
        thread_local! {
            static WAKES: Cell<u32> = const { Cell::new(0) };
        }
        let n = WAKES.with(|c| {
            let n = c.get().wrapping_add(1);
            c.set(n);
            n
        });
        self.task_woken_timed(kept, n.is_multiple_of(WAKE_SAMPLE))
    }

    /// [`Telemetry::task_woken`] with the choice of a timed wake made.
    #[inline]
    fn task_woken_timed(&self, kept: u32, timed: bool) -> u64 {
        match (kept & !SPAWN_EVENT_PENDING) as usize {
            0 if timed => self.now_ns() | 1,
            0 => 0,
            slot => self.listed_task_woken(slot - 1, timed),
        }
    }

    fn listed_task_woken(&self, i: usize, timed: bool) -> u64 {
        let now = if timed {
            self.now_ns()
        } else {
            self.stamp(self.this_worker())
        };
        let t = self.seg.task(i);
        let since = t.load(TaskField::StateSinceNs);
        // Clocks of different threads may be a tick apart: idle time never goes back.
        let woken = now.max(since);
        if woken > since {
            let idle = t.load(TaskField::IdleNs);
            t.store(TaskField::IdleNs, idle + (woken - since));
            t.store(TaskField::StateSinceNs, woken);
        }
        let state = t.load(TaskField::State);
        t.store(
            TaskField::State,
            state & !STATE_CODE | TaskState::Scheduled.to_code(),
        );
        if timed {
            now | 1
        } else {
            0
        }
    }

    /// The coarse clock as `worker` (or a thread that is none of the workers) knows it.
    #[inline]
    fn stamp(&self, worker: Option<usize>) -> u64 {
        match worker {
            Some(w) => self.coarse_clock(w),
            None => self.coarse_now.load(Relaxed),
        }
        .max(2)
    }

    /// The poll of slot `slot` (0: none, or already released) of `task` ended on `worker`:
    /// [`Telemetry::task_poll_ending`], then, if it was woken during the poll (`notified`: it
    /// runs again), [`Telemetry::task_poll_notified`]. For a poll that completed its task, and
    /// for tests.
    #[inline(always)]
    pub(crate) fn task_poll_ended(
        &self,
        slot: u32,
        task: u64,
        pw: PollWorker<'_>,
        notified: bool,
        sampled_ns: Option<u64>,
    ) {
        self.task_poll_ending(slot, task, pw, sampled_ns);
        if notified {
            self.task_poll_notified(slot, task, pw.index, sampled_ns.is_some());
        }
    }

    /// The poll of slot `slot` (0: none, or already released) of `task` on worker `pw`
    /// returned, and the task still holds RUNNING: its record is written now, showing it idle,
    /// so that a waker scheduling it the moment it leaves RUNNING writes after this (see
    /// [`Telemetry::task_woken`]). `sampled_ns` if the poll was one of the timed ones. Lints
    /// the monitor flagged on this poll land on the task here.
    ///
    /// Inlined into the poll loop: the usual poll (untimed, unflagged) costs a few stores into
    /// lines this worker wrote last; lints and sampled events are out of line.
    #[inline(always)]
    pub(crate) fn task_poll_ending(
        &self,
        slot: u32,
        task: u64,
        pw: PollWorker<'_>,
        sampled_ns: Option<u64>,
    ) {
        let (w, worker) = (pw.block, pw.index);
        w.current_task.store(0);
        w.poll_seq.store(w.poll_seq.load() + 1);
        let pending = take_pending(pw.pending);
        let mut measured = sampled_ns;
        if pending != 0 || sampled_ns.is_some() {
            measured = self.poll_end_reports(task, worker, pending, sampled_ns);
        }
        if let Some(i) = (slot as usize).checked_sub(1) {
            self.record_poll_end(i, worker, pending, sampled_ns, measured);
        }
    }

    /// The poll of [`Telemetry::task_poll_ending`] left its task woken (it runs again: the
    /// caller queues it after this, so it is still the slot's only writer): it shows as
    /// scheduled, a self-wake is counted (and linted past [`SELF_WAKE_STORM`]), and a sampled
    /// poll reports a yield.
    #[inline(always)]
    pub(crate) fn task_poll_notified(&self, slot: u32, task: u64, worker: usize, sampled: bool) {
        if sampled {
            self.sampled_yield(worker, task);
        }
        if let Some(i) = (slot as usize).checked_sub(1) {
            self.record_notified(i, task, worker);
        }
    }

    #[cold]
    fn sampled_yield(&self, worker: usize, task: u64) {
        self.ev_yield(worker, task);
    }

    /// The task record's part of [`Telemetry::task_poll_notified`].
    #[inline]
    fn record_notified(&self, i: usize, task: u64, worker: usize) {
        let t = self.seg.task(i);
        t.store(TaskField::State, TaskState::Scheduled.word(worker as u16));
        let self_wakes = t.load(TaskField::SelfWakes) + 1;
        t.store(TaskField::SelfWakes, self_wakes);
        if self_wakes == SELF_WAKE_STORM && self_wakes * 2 > t.load(TaskField::Polls) {
            self.flag(i, task, worker, Lint::SelfWakeStorm, self_wakes);
        }
    }

    /// The rare part of [`Telemetry::task_poll_ending`]: lint events for what the monitor
    /// flagged, a poll event for a timed poll. Returns the poll's duration if known: timed, or
    /// flagged (timed from when the monitor first saw it: a clock reading only for such polls,
    /// at most one monitor period short).
    #[cold]
    fn poll_end_reports(
        &self,
        task: u64,
        worker: usize,
        pending: u64,
        sampled_ns: Option<u64>,
    ) -> Option<u64> {
        let w = self.seg.worker(worker);
        let flagged_ns =
            (pending != 0).then(|| self.now_ns().saturating_sub(w.stuck_since_ns.load()));
        for lint in Lint::in_mask(pending as u32) {
            let value = sampled_ns.or(flagged_ns).unwrap_or(0);
            self.push(worker, task, EventData::Lint { lint, value });
        }
        // Poll and yield events come with the sampled polls only (one in `POLL_SAMPLE`): one
        // each per poll measured 10 % of a yield-heavy workload.
        if let Some(ns) = sampled_ns {
            self.ev_timed_poll(worker, task, ns);
        }
        sampled_ns.or(flagged_ns)
    }

    /// The task record's part of [`Telemetry::task_poll_ending`] (`measured`: the poll's
    /// duration if timed or flagged).
    #[inline]
    fn record_poll_end(
        &self,
        i: usize,
        worker: usize,
        pending: u64,
        sampled_ns: Option<u64>,
        measured: Option<u64>,
    ) {
        let t = self.seg.task(i);
        let polls = t.load(TaskField::Polls) + 1;
        t.store(TaskField::Polls, polls);
        // Every poll but the first follows a wake (wakes while already queued coalesce).
        t.store(TaskField::Wakes, polls - 1);
        t.store(TaskField::State, TaskState::Idle.word(worker as u16));
        t.store(TaskField::StateSinceNs, self.coarse_clock(worker).max(1));
        if let Some(ns) = measured {
            self.record_measured_poll(i, pending, sampled_ns, ns);
        }
    }

    /// A timed or flagged poll of slot `i` took `ns`: its duration, busy time (a sampled poll
    /// stands for the `POLL_SAMPLE` polls around it; a flagged long poll counts for itself)
    /// and the lints the monitor set on it.
    #[cold]
    fn record_measured_poll(&self, i: usize, pending: u64, sampled_ns: Option<u64>, ns: u64) {
        let t = self.seg.task(i);
        if pending != 0 {
            let lints = t.load(TaskField::Lints);
            t.store(TaskField::Lints, lints | pending << 32);
        }
        t.store(TaskField::LastPollDurationNs, ns);
        let busy = sampled_ns.map_or(ns, |ns| ns * POLL_SAMPLE);
        let before = t.load(TaskField::BusyNs);
        t.store(TaskField::BusyNs, before + busy);
    }

    /// [`Telemetry::poll_worker`] for the worker this thread is (worker 0 on a thread that is
    /// none), found through a per-thread cache of the last one: a poll starts with a few loads
    /// rather than a walk through the segment's layout.
    #[inline(always)]
    pub(crate) fn poll_worker_here(&self) -> PollWorker<'_> {
        thread_local! {
            /// The last [`PollWorker`] of this thread: its telemetry's id (0: none yet), the
            /// worker's index, its block and its pending lints.
            static LAST: Cell<(u64, usize, *const WorkerBlock, *const AtomicU64)> =
                const { Cell::new((0, 0, std::ptr::null(), std::ptr::null())) };
        }
        let worker = crate::runtime::context::worker_index().unwrap_or(0);
        let (id, index, block, pending) = LAST.with(Cell::get);
        if id == self.id && index == worker {
            // SAFETY: both pointers were taken from this `Telemetry` (ids are never reused, so
            // an entry of a dropped one never matches a live one), which owns the mapping and
            // the pending words and outlives the borrow returned here.
            return unsafe {
                PollWorker {
                    index,
                    block: &*block,
                    pending: &*pending,
                }
            };
        }
        let w = self.poll_worker(worker);
        LAST.with(|c| c.set((self.id, worker, w.block, w.pending)));
        w
    }

    /// Worker `worker`'s words that the hooks of every poll write, for
    /// [`Telemetry::task_poll_started`] and [`Telemetry::task_poll_ended`]. Panics if there is
    /// no such worker.
    #[inline(always)]
    pub(crate) fn poll_worker(&self, worker: usize) -> PollWorker<'_> {
        PollWorker {
            index: worker,
            block: self.seg.worker(worker),
            pending: &self.pending[worker],
        }
    }

    /// The poll of `task` (slot `slot`) on `worker` returned `Pending` leaving no waker: lints
    /// it `lost_waker` (once per task: the bit stays set on its record).
    pub(crate) fn lost_waker(&self, slot: u32, task: u64, worker: usize) {
        if slot == 0 {
            self.seg.worker(worker).lints[Lint::LostWaker.index()].add(1);
            self.push(
                worker,
                task,
                EventData::Lint {
                    lint: Lint::LostWaker,
                    value: 0,
                },
            );
            return;
        }
        let i = slot as usize - 1;
        let bit = 1u64 << (32 + Lint::LostWaker.index());
        if self.seg.task(i).load(TaskField::Lints) & bit == 0 {
            self.flag(i, task, worker, Lint::LostWaker, 0);
        }
    }

    /// Sets lint `lint` on task `task` (slot `i`), counts it on `worker` and reports it.
    #[cold]
    fn flag(&self, i: usize, task: u64, worker: usize, lint: Lint, value: u64) {
        self.seg.worker(worker).lints[lint.index()].add(1);
        self.push(worker, task, EventData::Lint { lint, value });
        let lints = self.seg.task_load(i, TaskField::Lints);
        self.seg
            .task_store(i, TaskField::Lints, lints | 1 << (32 + lint.index()));
    }

    /// The coarse clock as worker `worker` knows it: the monitor's tick or its own last
    /// reading, whichever is later (ns).
    #[inline]
    fn coarse_clock(&self, worker: usize) -> u64 {
        let own = self.locals[worker].clock.load(Relaxed);
        self.coarse_now.load(Relaxed).max(own)
    }

    /// Pushes an event into worker `worker`'s ring. Only the thread that is worker `worker` (it
    /// holds that worker's core) may call it. Inlined everywhere: at each call site the kind
    /// is a constant, so the record's encoding folds into a few stores.
    #[inline(always)]
    fn push(&self, worker: usize, task: u64, data: EventData) {
        let head = &self.locals[worker].head;
        let mut h = head.load(Relaxed);
        let now = self.coarse_clock(worker);
        self.seg.push_event(worker, &mut h, now, task, data);
        head.store(h, Relaxed);
    }

    /// Pushes an event into the ring of the worker this thread is, if it is one.
    #[inline]
    fn event(&self, task: u64, data: EventData) {
        if let Some(w) = self.this_worker() {
            self.push(w, task, data);
        }
    }

    /// Event: a timed poll of `task` on `worker` took `duration_ns`.
    #[inline]
    pub(crate) fn ev_timed_poll(&self, worker: usize, task: u64, duration_ns: u64) {
        self.push(worker, task, EventData::PollStart);
        self.push(worker, task, EventData::PollEnd { duration_ns });
    }

    /// Event: `task` woke itself during its poll (it yielded).
    #[inline]
    pub(crate) fn ev_yield(&self, worker: usize, task: u64) {
        self.push(worker, task, EventData::Yield);
    }

    /// Event: `task` completed on `worker` (`panicked`: its poll panicked; `cancelled`).
    #[inline]
    pub(crate) fn ev_complete(&self, worker: usize, task: u64, panicked: bool, cancelled: bool) {
        let outcome = match (panicked, cancelled) {
            (true, _) => Outcome::Panicked,
            (_, true) => Outcome::Cancelled,
            _ => Outcome::Ok,
        };
        self.push(worker, task, EventData::Complete { outcome });
    }

    /// Event: `task` was woken, by the task running on this worker (`by`), or by a driver.
    #[inline]
    pub(crate) fn ev_wake(&self, worker: usize, task: u64, by: Option<u64>) {
        let by = by.map_or(WakeSource::Driver, WakeSource::Task);
        self.push(worker, task, EventData::Wake { by });
    }

    /// A task's poll panicked (counted before its `JoinHandle` learns of it; rare: one shared
    /// add per panic).
    #[inline]
    pub(crate) fn task_panicked(&self) {
        self.seg().runtime().tasks_panicked.add(1);
    }

    /// Event (on this thread's worker, if it is one): `task` was cancelled; `in_poll`: by a
    /// worker about to poll it (which counts it as completed), else by an abort or shutdown.
    #[inline]
    pub(crate) fn ev_cancelled(
        &self,
        task: u64,
        in_poll: bool,
        kept: u32,
        location: &'static Location<'static>,
    ) {
        let rt = self.seg().runtime();
        rt.tasks_cancelled.add(1);
        if in_poll {
            rt.tasks_cancelled_in_poll.add(1);
        }
        if let Some(w) = self.this_worker() {
            // Cancelled before any poll: the spawn event it still owes comes first.
            self.first_poll(kept, task, w, location);
            let outcome = Outcome::Cancelled;
            self.push(w, task, EventData::Complete { outcome });
        }
    }

    /// Event: worker `worker` stole `count` tasks from `victim`.
    #[inline]
    pub(crate) fn ev_steal(&self, worker: usize, victim: usize, count: u64) {
        let (from, count) = (victim as u16, count.min(u32::MAX as u64) as u32);
        self.push(worker, 0, EventData::Steal { from, count });
    }

    /// Event: worker `worker` parks (`true`) or unparks; its counters hold a fresh clock reading.
    #[inline]
    pub(crate) fn ev_park(&self, worker: usize, park: bool, stats: &super::WorkerStats) {
        // The worker's own word: storing into the shared clock here moved its line between
        // the cores at every park.
        let now = self.ns_of(stats.clock());
        self.locals[worker].clock.store(now, Relaxed);
        let data = if park {
            EventData::Park
        } else {
            EventData::Unpark
        };
        self.push(worker, 0, data);
    }

    /// Event (on this thread's worker, if it is one): an I/O operation of kind `op` (its index)
    /// was submitted.
    #[inline]
    pub(crate) fn ev_io_submit(&self, op: usize) {
        self.event(0, EventData::IoSubmit { op: IoOp::ALL[op] });
    }

    /// Event (on this thread's worker, if it is one): an I/O operation completed.
    #[inline]
    pub(crate) fn ev_io_complete(&self, op: usize, latency_ns: Option<u64>, result: i32) {
        self.event(
            0,
            EventData::IoComplete {
                op: IoOp::ALL[op],
                latency_ns: latency_ns.unwrap_or(0),
                result: i64::from(result),
            },
        );
    }

    /// Event (on this thread's worker, if it is one): a timer fired `late_ns` after its deadline.
    #[inline]
    pub(crate) fn ev_timer(&self, late_ns: u64) {
        self.event(0, EventData::TimerFire { late_ns });
    }

    /// Starts the monitor thread (unless `ZOKIO_MONITOR=off`): every [`MONITOR_PERIOD`] it
    /// advances the event clock and looks
    /// for polls that run too long (`long_poll`, `no_yield`), counting them at once and leaving
    /// them for the worker to set on the task and report when the poll ends. It ends when the
    /// runtime is dropped.
    pub(crate) fn start_monitor(self: &Arc<Self>) -> io::Result<()> {
        if std::env::var_os("ZOKIO_MONITOR").is_some_and(|v| v == "off") {
            return Ok(());
        }
        let weak = Arc::downgrade(self);
        let workers = self.locals.len();
        std::thread::Builder::new()
            .name("zokio-monitor".into())
            .spawn(move || {
                let mut seen = vec![Seen::default(); workers];
                let mut ticks = 0u32;
                while let Some(tel) = weak.upgrade() {
                    tel.monitor_tick(&mut seen);
                    ticks = ticks.wrapping_add(1);
                    if ticks.is_multiple_of(PUBLISH_PERIOD_TICKS) {
                        let publishers = tel.publishers.lock().unwrap_or_else(|e| e.into_inner());
                        for publish in publishers.iter() {
                            publish();
                        }
                    }
                    drop(tel);
                    std::thread::sleep(MONITOR_PERIOD);
                }
            })
            .map(drop)
    }

    /// One look at every worker.
    fn monitor_tick(&self, seen: &mut [Seen]) {
        let now = self.now_ns();
        self.coarse_now.fetch_max(now, Relaxed);
        self.seg.runtime().clock_ns.store(now);
        for (w, s) in seen.iter_mut().enumerate() {
            let block = self.seg.worker(w);
            let seq = block.poll_seq.load();
            if seq.is_multiple_of(2) || seq != s.seq {
                // Between polls, or a new poll: start watching it.
                if seq != s.seq {
                    *s = Seen {
                        seq,
                        since: now,
                        flagged: 0,
                    };
                    block
                        .stuck_since_ns
                        .store(if seq.is_multiple_of(2) { 0 } else { now });
                }
                continue;
            }
            let running = now - s.since;
            for (lint, limit) in [
                (Lint::LongPoll, self.long_poll_ns),
                (Lint::NoYield, NO_YIELD_NS),
            ] {
                let bit = 1u64 << lint.index();
                if running >= limit && s.flagged & bit == 0 {
                    s.flagged |= bit;
                    block.lints[lint.index()].add(1);
                    // The poll may end between our look and this store; the bit then lands
                    // on the worker's next poll (nanoseconds after a poll of 10 ms or more:
                    // rare, and only the task the lint names can be wrong, never a count).
                    self.pending[w].fetch_or(bit, Relaxed);
                }
            }
        }
    }

    /// The task of slot `slot` is gone (completed, panicked or cancelled): its slot is freed.
    pub(crate) fn task_released(&self, kept: u32) {
        let Some(i) = ((kept & !SPAWN_EVENT_PENDING) as usize).checked_sub(1) else {
            return;
        };
        let tasks = self.seg.tasks();
        tasks.retire(i);
        // Kept for this worker's next spawn, else back to the bitmap for any thread.
        if !self
            .this_worker()
            .is_some_and(|w| self.locals[w].slots.push(i))
        {
            tasks.free(i);
        }
    }
}

/// What the monitor remembers of a worker's current poll.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    seq: u64,
    since: u64,
    flagged: u64,
}

thread_local! {
    /// The worker's sampler's decision for the poll starting on this thread: its start time if
    /// it is one of the timed ones (set by [`WorkerStats::poll_started`], taken by the task's
    /// poll), then the duration the task measured from that start (taken by
    /// [`WorkerStats::poll_ended`], which uses it only if the start is its own). One sampler and
    /// two clock readings per timed poll serve both the worker's histogram and the task's record.
    ///
    /// [`WorkerStats::poll_started`]: super::WorkerStats::poll_started
    /// [`WorkerStats::poll_ended`]: super::WorkerStats::poll_ended
    static TIMED_POLL: Cell<TimedPoll> = const { Cell::new(TimedPoll::None) };
}

#[derive(Clone, Copy)]
enum TimedPoll {
    None,
    /// The next task poll is timed from this start.
    Next(Instant),
    /// The task poll timed from `.0` took `.1` ns.
    Measured(Instant, u64),
}

/// Whether the task poll starting on this thread is one of the timed ones: its start time if
/// so (the worker's sampler decides: one poll in [`POLL_SAMPLE`]).
#[inline]
pub(crate) fn timed_task_poll() -> Option<Instant> {
    TIMED_POLL.with(|t| match t.get() {
        TimedPoll::Next(start) => {
            t.set(TimedPoll::None);
            Some(start)
        }
        _ => None,
    })
}

/// The timed task poll that started at `start` took `ns` (handed to the worker's sampler, which
/// need not read the clock again).
#[inline]
pub(crate) fn timed_task_poll_ended(start: Instant, ns: u64) {
    TIMED_POLL.with(|t| t.set(TimedPoll::Measured(start, ns)));
}

/// The worker's sampler: the poll about to start is a timed one, from `start`.
#[inline]
pub(crate) fn sample_next_poll(start: Instant) {
    TIMED_POLL.with(|t| t.set(TimedPoll::Next(start)));
}

/// The worker's sampler: its timed poll from `start` ended; the duration the task measured
/// from that same start, if it did (else the sampler reads the clock itself). Clears the
/// decision either way.
#[inline]
pub(crate) fn sampled_poll_ns(start: Instant) -> Option<u64> {
    match TIMED_POLL.with(|t| t.replace(TimedPoll::None)) {
        TimedPoll::Measured(at, ns) if at == start => Some(ns),
        _ => None,
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A task's state and times follow its life, exactly, with the clock set by hand: queued
    /// from its spawn to its first poll; idle from a poll's end until a waker schedules it
    /// (it shows as scheduled from that moment, before any poll), queued from then to its next
    /// poll; queued from a poll that woke itself to the next; and a waker whose clock is
    /// behind the poll's end counts nothing as idle.
    #[test]
    fn state_and_times_follow_spawn_wake_and_poll() {
        let tel = Telemetry::detached(1);
        let at = |ns: u64| tel.coarse_now.store(ns, Relaxed);
        at(1_000);
        // Spawned from this thread, none of the workers: the spawn event is owed, and the first
        // poll (on worker 0) writes it and keeps the plain slot.
        let kept = tel.task_spawned(7, 0, Location::caller(), None);
        assert_ne!(kept & SPAWN_EVENT_PENDING, 0);
        let slot = tel.first_poll(kept, 7, 0, Location::caller());
        assert_eq!(slot, kept & !SPAWN_EVENT_PENDING);
        assert_ne!(slot, 0, "a slot in the table");
        let i = slot as usize - 1;
        let field = |f| tel.seg.task_load(i, f);
        let split = || (field(TaskField::IdleNs), field(TaskField::ScheduledNs));
        let state = || {
            (
                field(TaskField::State) & STATE_CODE,
                field(TaskField::StateSinceNs),
            )
        };
        let (scheduled, running, idle) = (
            TaskState::Scheduled.to_code(),
            TaskState::Running.to_code(),
            TaskState::Idle.to_code(),
        );
        assert_eq!(state(), (scheduled, 1_000), "queued since its spawn");
        at(1_500);
        tel.task_poll_started(slot, 7, tel.poll_worker(0), 0);
        assert_eq!(split(), (0, 500), "spawned at 1,000, first polled at 1,500");
        assert_eq!(state(), (running, 1_500));
        at(2_000);
        tel.task_poll_ended(slot, 7, tel.poll_worker(0), false, None);
        assert_eq!(state(), (idle, 2_000));
        at(5_000);
        assert_eq!(
            tel.task_woken_timed(kept, false),
            0,
            "an untimed wake: no stamp"
        );
        assert_eq!(state(), (scheduled, 5_000), "scheduled before its poll");
        assert_eq!(split(), (3_000, 500), "idle 2,000-5,000");
        at(5_300);
        tel.task_poll_started(slot, 7, tel.poll_worker(0), 0);
        assert_eq!(split(), (3_000, 800), "queued 5,000-5,300");
        at(6_000);
        tel.task_poll_ended(slot, 7, tel.poll_worker(0), true, None);
        assert_eq!(state(), (scheduled, 6_000), "woke itself");
        assert_eq!(field(TaskField::SelfWakes), 1);
        at(6_100);
        tel.task_poll_started(slot, 7, tel.poll_worker(0), 0);
        assert_eq!(split(), (3_000, 900), "woke itself: queued 6,000-6,100");
        at(7_000);
        tel.task_poll_ended(slot, 7, tel.poll_worker(0), false, None);
        at(6_500);
        tel.task_woken_timed(kept, false);
        assert_eq!(
            split(),
            (3_000, 900),
            "a waker's clock behind the poll's end"
        );
        assert_eq!(state(), (scheduled, 7_000));
        at(7_000);
        tel.task_poll_started(slot, 7, tel.poll_worker(0), 0);
        assert_eq!(state(), (running, 7_000));
        assert_eq!(split(), (3_000, 900));
        assert_eq!(
            (field(TaskField::Polls), field(TaskField::Wakes)),
            (3, 2),
            "the running poll is counted when it ends"
        );
    }

    /// The per-thread cache behind `poll_worker_here` answers for the telemetry and worker
    /// asked about: two runtimes' telemetry polled in turn on one thread, and the thread
    /// becoming another worker, each get their own words.
    #[test]
    fn poll_worker_here_follows_the_telemetry_and_the_worker() {
        let a = Telemetry::detached(2);
        let b = Telemetry::detached(1);
        let words = |w: PollWorker<'_>| {
            (
                w.index,
                w.block as *const WorkerBlock,
                w.pending as *const AtomicU64,
            )
        };
        let own = |t: &Telemetry, i: usize| words(t.poll_worker(i));
        assert_eq!(crate::runtime::context::worker_index(), None);
        for _ in 0..2 {
            assert_eq!(words(a.poll_worker_here()), own(&a, 0));
            assert_eq!(words(a.poll_worker_here()), own(&a, 0), "from the cache");
            assert_eq!(words(b.poll_worker_here()), own(&b, 0));
        }
        let (prev, tag) = crate::runtime::context::worker();
        crate::runtime::context::set_worker_index(Some(1), a.id);
        assert_eq!(words(a.poll_worker_here()), own(&a, 1));
        crate::runtime::context::set_worker_index(prev, tag);
        assert_eq!(words(a.poll_worker_here()), own(&a, 0));
        assert_ne!(own(&a, 0), own(&a, 1));
        assert_ne!(own(&a, 0).1, own(&b, 0).1);
    }

    /// One wake in 128 of a thread is timed on the precise clock: the others of an unlisted
    /// task get no stamp at all, the timed one an odd stamp, and the poll it leads to counts
    /// exactly one delay in the worker's schedule histogram (a task with no slot too).
    #[test]
    fn one_wake_in_128_is_timed_into_the_schedule_histogram() {
        let tel = Telemetry::detached(1);
        let stamps: Vec<u64> = (0..WAKE_SAMPLE).map(|_| tel.task_woken(0)).collect();
        let timed: Vec<u64> = stamps.iter().copied().filter(|&s| s != 0).collect();
        assert_eq!(timed.len(), 1, "{stamps:?}");
        assert_eq!(timed[0] & 1, 1, "precise stamps are odd");
        let hist = || -> Vec<u64> {
            tel.seg
                .worker(0)
                .schedule_histogram
                .iter()
                .map(|c| c.load())
                .collect()
        };
        tel.task_poll_started(0, 9, tel.poll_worker(0), 0);
        assert_eq!(hist().iter().sum::<u64>(), 0, "an untimed poll");
        tel.task_poll_started(0, 9, tel.poll_worker(0), timed[0]);
        let h = hist();
        assert_eq!(h.iter().sum::<u64>(), 1, "{h:?}");
        // Stamped a moment ago: well under a second.
        assert!(
            h[bucket_of(1_000_000_000)..].iter().all(|&n| n == 0),
            "{h:?}"
        );
    }
}
