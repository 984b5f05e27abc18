//! The metrics snapshot returned by `Handle::metrics()`.

/// One worker's counters at the time of the snapshot. Counters are cumulative since the runtime
/// started; workers publish them at least every `event_interval` ticks and whenever they park,
/// so an idle runtime's snapshot is exact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// The worker's index.
    pub index: usize,
    /// Task polls.
    pub polls: u64,
    /// Tasks spawned from this worker (onto its own queue).
    pub spawned_local: u64,
    /// Tasks that completed on this worker (finished, panicked or cancelled).
    pub completed: u64,
    /// Attempts to steal from another worker.
    pub steal_attempts: u64,
    /// Steal attempts that took at least one task.
    pub steal_operations: u64,
    /// Tasks taken by stealing.
    pub tasks_stolen: u64,
    /// Tasks this worker stole, by victim worker index.
    pub stolen_from: Vec<u64>,
    /// Tasks in the local queue when last published.
    pub local_queue_depth: u64,
    /// Tasks run from the LIFO slot.
    pub lifo_hits: u64,
    /// Times the worker parked.
    pub parks: u64,
    /// Times the worker returned from parking (woken, timed out for a timer, or shut down).
    pub unparks: u64,
    /// Wake-ups that found the worker still meant to sleep.
    pub spurious_wakeups: u64,
    /// Nanoseconds the worker was awake: polling, searching, stealing and maintenance (every
    /// moment between waking up and parking again).
    pub busy_ns: u64,
    /// Polls that ended because the task ran out of cooperative budget.
    pub budget_forced_yields: u64,
    /// Poll durations: entry `i` counts polls of `[2^i, 2^(i+1))` ns.
    pub poll_time_histogram: Vec<u64>,
    /// Scheduling delays of the tasks this worker polled after a wake: from the wake (a task
    /// woken from idle) to the start of its poll, entry `i` counting delays of
    /// `[2^i, 2^(i+1))` ns. One wake in 128 (per waking thread) is timed.
    pub schedule_time_histogram: Vec<u64>,
}

/// One thread's task-cell pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Allocations served from the free lists.
    pub hits: u64,
    /// Allocations that went to the global allocator.
    pub misses: u64,
    /// Cells handed out and not yet back.
    pub in_use: u64,
    /// Bytes cached in free lists.
    pub bytes_held: u64,
    /// Cells freed on other threads that came home.
    pub remote_frees: u64,
}

/// A snapshot of the whole runtime.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// Number of worker threads.
    pub num_workers: usize,
    /// Per-worker counters.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks spawned from outside the runtime's workers (through the global queue).
    pub spawned_remote: u64,
    /// Tasks alive now (spawned, not yet completed).
    pub active_tasks: usize,
    /// Tasks in the global queue.
    pub global_queue_depth: usize,
    /// Threads in the blocking pool (busy or idle).
    pub blocking_threads: usize,
    /// Idle threads in the blocking pool.
    pub idle_blocking_threads: usize,
    /// Tasks waiting for a blocking thread.
    pub blocking_queue_depth: usize,
    /// Task-cell pools, one per worker thread that has run.
    pub pools: Vec<PoolMetrics>,
    /// The I/O driver's counters.
    pub io: IoMetrics,
}

/// The I/O driver: its backend and per-operation counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IoMetrics {
    /// `io_uring` or `poll`.
    pub backend: &'static str,
    /// Why that backend was chosen.
    pub backend_reason: String,
    /// One entry per operation kind, in `OpKind::ALL` order.
    pub ops: Vec<IoOpMetrics>,
    /// Times a submission found the submission queue full and had to flush first.
    pub sq_full_waits: u64,
    /// Completions the kernel had to hold back because the completion queue was full (none are
    /// lost: the driver requires `IORING_FEAT_NODROP`).
    pub cq_overflows: u64,
    /// Completions that named no operation in flight, ignored (a kernel quirk or a bug: never
    /// expected; a non-zero value is worth a report).
    pub stray_completions: u64,
    /// The pool of provided buffers multishot receives land in (io_uring on kernel 5.19+).
    pub buffers: IoBufferMetrics,
}

/// The I/O buffer pool: the provided buffers the kernel fills for multishot receives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IoBufferMetrics {
    /// Buffers in the pool (0 when the backend has no provided buffers).
    pub capacity: u64,
    /// Size of each buffer in bytes.
    pub buffer_size: u64,
    /// Buffers holding received data not yet read by the application.
    pub in_use: u64,
    /// Receives that found a buffer.
    pub hits: u64,
    /// Receives that found none (`ENOBUFS`) and fell back to a single-shot receive.
    pub misses: u64,
    /// Buffers allocated over the pool's life.
    pub growth: u64,
}

impl IoMetrics {
    /// The counters of operation kind `op` (`"read"`, `"write"`, `"accept"`, ...).
    pub fn op(&self, op: &str) -> Option<&IoOpMetrics> {
        self.ops.iter().find(|o| o.op == op)
    }
}

/// Counters of one operation kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IoOpMetrics {
    /// The kind: `accept`, `connect`, `read`, `write`, `readv`, `writev`, `openat`, `close`,
    /// `fsync`, `statx`, `timeout`, `cancel` or `poll`.
    pub op: &'static str,
    /// Operations started (submitted to the kernel, or system calls issued).
    pub submitted: u64,
    /// Completions, successful or not (a multishot operation, such as an accept that stays
    /// armed, completes once per result).
    pub completed: u64,
    /// Completions with an error (cancellations not included).
    pub errors: u64,
    /// Completions of operations cancelled because nobody waited for them any more (a
    /// dropped stream's armed receive, a dropped listener's armed accept).
    pub cancelled: u64,
    /// Bytes moved by successful reads or writes.
    pub bytes: u64,
    /// Operations submitted and not completed yet.
    pub in_flight: u64,
    /// Latency from submission to completion of a sample of single-shot operations (one in
    /// eight per thread on io_uring; multishot operations have no latency to speak of): entry
    /// `i` counts `[2^i, 2^(i+1))` ns. A distribution, not a count: its total is not `completed`.
    pub latency_histogram: Vec<u64>,
}

impl RuntimeMetrics {
    /// Polls over all workers.
    pub fn total_polls(&self) -> u64 {
        self.workers.iter().map(|w| w.polls).sum()
    }

    /// Tasks spawned, from workers and from outside.
    pub fn total_spawned(&self) -> u64 {
        self.spawned_remote + self.workers.iter().map(|w| w.spawned_local).sum::<u64>()
    }

    /// Tasks completed over all workers.
    pub fn total_completed(&self) -> u64 {
        self.workers.iter().map(|w| w.completed).sum()
    }

    /// Tasks stolen over all workers.
    pub fn total_stolen(&self) -> u64 {
        self.workers.iter().map(|w| w.tasks_stolen).sum()
    }

    /// Entries of the poll-time histograms over all workers.
    pub fn total_histogram_count(&self) -> u64 {
        self.workers
            .iter()
            .flat_map(|w| &w.poll_time_histogram)
            .sum()
    }
}
