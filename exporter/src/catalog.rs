//! Every metric the exporter publishes: its Prometheus name, type, HELP text, labels, and the
//! OTLP instrument it maps to. The one list both exports, the docs and the dashboards' tests use.
//!
//! Every series of a runtime also carries the target labels [`TARGET_LABELS`] (`service`, `pid`,
//! `runtime`), so one process with two runtimes, or one daemon watching many processes, never
//! merges two runtimes' series. OTLP names follow the usual translation to Prometheus: dots
//! become underscores, the unit is appended (`s` -> `_seconds`, `By` -> `_bytes`), and counters
//! end in `_total`.

/// The Prometheus metric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (`_total`).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Cumulative buckets, `_count` and `_sum`.
    Histogram,
}

impl Kind {
    /// The word of a `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Who a metric describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One runtime: carries the target labels.
    Runtime,
    /// The exporter itself: no target labels.
    Exporter,
}

/// One metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// Prometheus name.
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// The HELP line.
    pub help: &'static str,
    /// Labels besides the target labels, in the order series carry their values.
    pub labels: &'static [&'static str],
    /// The OTLP instrument name.
    pub otlp_name: &'static str,
    /// The OTLP unit (UCUM: `s`, `By`, `1`, `{task}`...).
    pub otlp_unit: &'static str,
    /// Runtime or exporter.
    pub scope: Scope,
}

/// Labels every runtime series carries: the service name, the process id, the runtime's id
/// within its process.
pub const TARGET_LABELS: [&str; 3] = ["service", "pid", "runtime"];

/// Histogram bucket bounds are powers of two nanoseconds (the runtime's histograms are log2-ns,
/// so these bounds are exact, never interpolated): poll durations from 2^10 ns (1.02 µs) to
/// 2^27 ns (134 ms).
pub const POLL_BUCKETS_LOG2: std::ops::RangeInclusive<u32> = 10..=27;

/// I/O latencies from 2^10 ns (1.02 µs) to 2^30 ns (1.07 s).
pub const IO_BUCKETS_LOG2: std::ops::RangeInclusive<u32> = 10..=30;

macro_rules! family {
    ($name:literal, $kind:ident, [$($label:literal),*], $otlp:literal, $unit:literal, $scope:ident, $help:literal) => {
        Family {
            name: $name,
            kind: Kind::$kind,
            help: $help,
            labels: &[$($label),*],
            otlp_name: $otlp,
            otlp_unit: $unit,
            scope: Scope::$scope,
        }
    };
}

/// Index of each family in [`FAMILIES`].
#[allow(missing_docs)]
pub mod id {
    pub const BUILD_INFO: usize = 0;
    pub const WORKERS: usize = 1;
    pub const WORKER_POLLS: usize = 2;
    pub const WORKER_STEALS: usize = 3;
    pub const WORKER_STEAL_OPERATIONS: usize = 4;
    pub const WORKER_STEAL_ATTEMPTS: usize = 5;
    pub const WORKER_STOLEN_FROM: usize = 6;
    pub const WORKER_PARKS: usize = 7;
    pub const WORKER_SPURIOUS_WAKEUPS: usize = 8;
    pub const WORKER_BUSY: usize = 9;
    pub const WORKER_LOCAL_QUEUE: usize = 10;
    pub const WORKER_LIFO_HITS: usize = 11;
    pub const WORKER_FORCED_YIELDS: usize = 12;
    pub const WORKER_CURRENT_POLL: usize = 13;
    pub const GLOBAL_QUEUE: usize = 14;
    pub const BLOCKING_THREADS: usize = 15;
    pub const BLOCKING_IDLE_THREADS: usize = 16;
    pub const BLOCKING_QUEUE: usize = 17;
    pub const TASK_ACTIVE: usize = 18;
    pub const TASK_SPAWNED: usize = 19;
    pub const TASK_COMPLETED: usize = 20;
    pub const TASK_POLL_DURATION: usize = 21;
    pub const TASK_SCHEDULE_DURATION: usize = 22;
    pub const TASK_TABLE_OVERFLOWS: usize = 23;
    pub const POOL_MEMORY: usize = 24;
    pub const POOL_IN_USE: usize = 25;
    pub const POOL_CAPACITY: usize = 26;
    pub const POOL_ALLOCATIONS: usize = 27;
    pub const POOL_MISSES: usize = 28;
    pub const POOL_GROWTH: usize = 29;
    pub const POOL_REMOTE_FREES: usize = 30;
    pub const IO_SUBMISSIONS: usize = 31;
    pub const IO_COMPLETIONS: usize = 32;
    pub const IO_INFLIGHT: usize = 33;
    pub const IO_DURATION: usize = 34;
    pub const IO_BYTES: usize = 35;
    pub const IO_SQ_FULL: usize = 36;
    pub const IO_CQ_OVERFLOWS: usize = 37;
    pub const IO_STRAY: usize = 38;
    pub const LINTS: usize = 39;
    pub const EVENTS_LOST: usize = 40;
    pub const STRINGS_OVERFLOWS: usize = 41;
    pub const EXPORTER_TARGETS: usize = 42;
    pub const EXPORTER_READ_ERRORS: usize = 43;
    pub const EXPORTER_FOLDED: usize = 44;
    pub const EXPORTER_SCRAPES: usize = 45;
    pub const EXPORTER_OTLP_EXPORTS: usize = 46;
    pub const EXPORTER_OTLP_DROPPED: usize = 47;
}

/// Every family, indexed by the constants in [`id`].
pub const FAMILIES: &[Family] = &[
    family!("zokio_build_info", Gauge, ["version", "io_backend", "abi"], "zokio.build.info", "1", Runtime,
        "Always 1: the version of the exporter that read the runtime, the runtime's I/O backend and its telemetry segment's ABI version."),
    family!("zokio_workers", Gauge, [], "zokio.workers", "{thread}", Runtime,
        "Worker threads of the runtime."),
    family!("zokio_worker_polls_total", Counter, ["worker"], "zokio.worker.polls", "{poll}", Runtime,
        "Task polls run by the worker."),
    family!("zokio_worker_steals_total", Counter, ["worker"], "zokio.worker.steals", "{task}", Runtime,
        "Tasks the worker took from other workers' queues."),
    family!("zokio_worker_steal_operations_total", Counter, ["worker"], "zokio.worker.steal_operations", "{operation}", Runtime,
        "Steal attempts that took at least one task."),
    family!("zokio_worker_steal_attempts_total", Counter, ["worker"], "zokio.worker.steal_attempts", "{operation}", Runtime,
        "Attempts to steal from another worker, successful or not."),
    family!("zokio_worker_stolen_from_total", Counter, ["worker", "victim"], "zokio.worker.stolen_from", "{task}", Runtime,
        "Tasks the worker stole, by the worker it stole them from (pairs that never stole are left out)."),
    family!("zokio_worker_parks_total", Counter, ["worker"], "zokio.worker.parks", "{park}", Runtime,
        "Times the worker went to sleep for lack of work."),
    family!("zokio_worker_spurious_wakeups_total", Counter, ["worker"], "zokio.worker.spurious_wakeups", "{wakeup}", Runtime,
        "Wake-ups that found the worker still meant to sleep."),
    family!("zokio_worker_busy_time_seconds_total", Counter, ["worker"], "zokio.worker.busy_time", "s", Runtime,
        "Time the worker was awake: polling, searching for work, stealing, driving I/O and timers."),
    family!("zokio_worker_local_queue_depth", Gauge, ["worker"], "zokio.worker.local_queue.depth", "{task}", Runtime,
        "Tasks waiting in the worker's local queue when it last published."),
    family!("zokio_worker_lifo_hits_total", Counter, ["worker"], "zokio.worker.lifo_hits", "{poll}", Runtime,
        "Polls of a task taken from the worker's LIFO slot (a task woken by the one before it)."),
    family!("zokio_worker_budget_forced_yields_total", Counter, ["worker"], "zokio.worker.budget_forced_yields", "{poll}", Runtime,
        "Polls that ended because the task used up its cooperative budget."),
    family!("zokio_worker_current_poll_seconds", Gauge, ["worker"], "zokio.worker.current_poll", "s", Runtime,
        "How long the poll now running on the worker has run, as seen by the runtime's monitor (10 ms resolution; 0 between polls). Above 1 s the worker is blocked."),
    family!("zokio_global_queue_depth", Gauge, [], "zokio.global_queue.depth", "{task}", Runtime,
        "Tasks in the runtime's global (injection) queue."),
    family!("zokio_blocking_threads", Gauge, [], "zokio.blocking.threads", "{thread}", Runtime,
        "Threads of the blocking pool, busy or idle."),
    family!("zokio_blocking_idle_threads", Gauge, [], "zokio.blocking.idle_threads", "{thread}", Runtime,
        "Idle threads of the blocking pool."),
    family!("zokio_blocking_queue_depth", Gauge, [], "zokio.blocking.queue.depth", "{task}", Runtime,
        "Blocking tasks waiting for a thread."),
    family!("zokio_task_active", Gauge, [], "zokio.task.active", "{task}", Runtime,
        "Tasks alive: spawned and not completed."),
    family!("zokio_task_spawned_total", Counter, [], "zokio.task.spawned", "{task}", Runtime,
        "Tasks spawned, from workers and from outside the runtime."),
    family!("zokio_task_completed_total", Counter, ["outcome"], "zokio.task.completed", "{task}", Runtime,
        "Tasks completed, by outcome: ok (the future returned), panic, cancelled (aborted, or dropped at shutdown)."),
    family!("zokio_task_poll_duration_seconds", Histogram, [], "zokio.task.poll.duration", "s", Runtime,
        "Task poll durations (one poll in 128 is timed; each untimed poll counts in the bucket of the last timed one; the sum is estimated from bucket midpoints)."),
    family!("zokio_task_schedule_duration_seconds", Histogram, [], "zokio.task.schedule.duration", "s", Runtime,
        "Time from a task's wake to the start of its poll: how long woken tasks wait in run queues (one wake in 128 is timed; the sum is estimated from bucket midpoints)."),
    family!("zokio_task_table_overflows_total", Counter, [], "zokio.task.table_overflows", "{task}", Runtime,
        "Tasks not listed in the telemetry task table because it was full."),
    family!("zokio_pool_memory_used_bytes", Gauge, ["pool"], "zokio.pool.memory_used", "By", Runtime,
        "Bytes the pool holds: cached task cells, or the I/O buffers' memory."),
    family!("zokio_pool_in_use", Gauge, ["pool"], "zokio.pool.in_use", "{item}", Runtime,
        "Items handed out by the pool and not yet returned."),
    family!("zokio_pool_capacity", Gauge, ["pool"], "zokio.pool.capacity", "{item}", Runtime,
        "Items the pool can hold (0 where a pool has no fixed size)."),
    family!("zokio_pool_allocations_total", Counter, ["pool"], "zokio.pool.allocations", "{item}", Runtime,
        "Items requested from the pool."),
    family!("zokio_pool_allocation_misses_total", Counter, ["pool"], "zokio.pool.allocation_misses", "{item}", Runtime,
        "Requests the pool could not serve (task cells from the global allocator; receives with no provided buffer)."),
    family!("zokio_pool_growth_total", Counter, ["pool"], "zokio.pool.growth", "{item}", Runtime,
        "Items the pool allocated to hold (the I/O buffer pool: buffers registered with the kernel; task-cell pools take new cells from the global allocator, counted as misses)."),
    family!("zokio_pool_remote_frees_total", Counter, ["pool"], "zokio.pool.remote_frees", "{item}", Runtime,
        "Items freed on another thread that came back to the pool."),
    family!("zokio_io_submissions_total", Counter, ["op"], "zokio.io.submissions", "{operation}", Runtime,
        "I/O operations started, by kind."),
    family!("zokio_io_completions_total", Counter, ["op", "result"], "zokio.io.completions", "{operation}", Runtime,
        "I/O operations completed, by kind and result (ok, error, cancelled)."),
    family!("zokio_io_inflight", Gauge, ["op"], "zokio.io.inflight", "{operation}", Runtime,
        "I/O operations submitted and not yet completed, by kind."),
    family!("zokio_io_operation_duration_seconds", Histogram, ["op"], "zokio.io.operation.duration", "s", Runtime,
        "Submission-to-completion latency of I/O operations, by kind (one operation in 8 is timed; multishot operations never; the sum is estimated from bucket midpoints)."),
    family!("zokio_io_transferred_bytes_total", Counter, ["op"], "zokio.io.transferred", "By", Runtime,
        "Bytes moved by successful reads and writes, by kind."),
    family!("zokio_io_submission_queue_full_total", Counter, [], "zokio.io.submission_queue_full", "{event}", Runtime,
        "Submissions that found the io_uring submission queue full and flushed it first."),
    family!("zokio_io_completion_queue_overflows_total", Counter, [], "zokio.io.completion_queue_overflows", "{completion}", Runtime,
        "Completions the kernel held back because the io_uring completion queue was full (none are lost)."),
    family!("zokio_io_stray_completions_total", Counter, [], "zokio.io.stray_completions", "{completion}", Runtime,
        "Completions that named no operation in flight (never expected: worth a report)."),
    family!("zokio_lint_triggered_total", Counter, ["lint"], "zokio.lint.triggered", "{event}", Runtime,
        "Times a lint fired: long_poll (a poll over 10 ms), no_yield (a task running over 1 s), lost_waker (a pending task nothing can wake), self_wake_storm."),
    family!("zokio_telemetry_events_lost_total", Counter, ["worker"], "zokio.telemetry.events_lost", "{event}", Runtime,
        "Events the worker's ring overwrote: what a reader starting now can no longer see."),
    family!("zokio_telemetry_string_table_overflows_total", Counter, [], "zokio.telemetry.string_table_overflows", "{string}", Runtime,
        "Task names and spawn locations not recorded because the string table was full."),
    family!("zokio_exporter_targets", Gauge, [], "zokio.exporter.targets", "{runtime}", Exporter,
        "Runtimes the exporter is reading."),
    family!("zokio_exporter_read_errors_total", Counter, [], "zokio.exporter.read_errors", "{error}", Exporter,
        "Segments the exporter failed to read (skipped for that scrape)."),
    family!("zokio_exporter_series_folded_total", Counter, [], "zokio.exporter.series_folded", "{series}", Exporter,
        "Series folded into an `other` label value because a label (worker, pool) had more values than the exporter publishes."),
    family!("zokio_exporter_scrapes_total", Counter, [], "zokio.exporter.scrapes", "{scrape}", Exporter,
        "Metric collections the exporter served (/metrics requests and OTLP collections)."),
    family!("zokio_exporter_otlp_exports_total", Counter, ["result"], "zokio.exporter.otlp.exports", "{batch}", Exporter,
        "OTLP export attempts, by result (ok, retry, dropped)."),
    family!("zokio_exporter_otlp_dropped_batches_total", Counter, [], "zokio.exporter.otlp.dropped_batches", "{batch}", Exporter,
        "OTLP batches given up on: the queue was full, the collector refused them, or retries ran out."),
];

/// The family named `name`.
pub fn family(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_positions() {
        assert_eq!(
            FAMILIES[id::WORKER_STOLEN_FROM].name,
            "zokio_worker_stolen_from_total"
        );
        assert_eq!(
            FAMILIES[id::TASK_COMPLETED].name,
            "zokio_task_completed_total"
        );
        assert_eq!(
            FAMILIES[id::IO_DURATION].name,
            "zokio_io_operation_duration_seconds"
        );
        assert_eq!(FAMILIES[id::LINTS].name, "zokio_lint_triggered_total");
        assert_eq!(
            FAMILIES[id::EXPORTER_OTLP_DROPPED].name,
            "zokio_exporter_otlp_dropped_batches_total"
        );
        assert_eq!(FAMILIES.len(), id::EXPORTER_OTLP_DROPPED + 1);
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        for f in FAMILIES {
            assert!(f.name.starts_with("zokio_"), "{}", f.name);
            let total = f.name.ends_with("_total");
            assert_eq!(
                total,
                f.kind == Kind::Counter,
                "{}: _total on counters only",
                f.name
            );
            for bad in ["_count", "_sum", "_bucket"] {
                assert!(!f.name.ends_with(bad), "{}", f.name);
            }
            if f.otlp_unit == "s" {
                assert!(f.name.contains("_seconds"), "{}", f.name);
            }
            if f.otlp_unit == "By" {
                assert!(f.name.contains("_bytes"), "{}", f.name);
            }
            assert!(f.help.ends_with('.') || f.help.ends_with(')'), "{}", f.name);
        }
        let mut names: Vec<_> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "unique names");
    }

    #[test]
    fn otlp_names_translate_to_the_prometheus_names() {
        for f in FAMILIES.iter().filter(|f| f.name != "zokio_build_info") {
            let mut want = f.otlp_name.replace('.', "_");
            match f.otlp_unit {
                "s" => want.push_str("_seconds"),
                "By" => want.push_str("_bytes"),
                _ => {}
            }
            if f.kind == Kind::Counter {
                want.push_str("_total");
            }
            assert_eq!(want, f.name, "{}", f.otlp_name);
        }
    }
}
