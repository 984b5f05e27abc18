//! The `attach <pid> --once --json` document: one snapshot's counters as JSON on stdout.
//!
//! The keys are snake_case and stable (new keys may be added; none is renamed or removed):
//!
//! - `pid`, `process_name`, `service`, `runtime_id`, `abi` (`{"major", "minor"}`),
//!   `uptime_seconds`, `backend`, `backend_reason`
//! - `workers`: one object per worker: `index`, `polls`, `spawned_local`, `completed`,
//!   `steal_attempts`, `steal_operations`, `steals` (tasks stolen), `stolen_from` (tasks stolen
//!   from each worker, by victim index), `local_queue_depth`, `lifo_hits`, `parks`, `unparks`,
//!   `spurious_wakeups`, `busy_ns`, `budget_forced_yields`, `poll_histogram` (32 log2-ns
//!   buckets: bucket `i` counts `[2^i, 2^(i+1))` ns), `schedule_histogram` (the same buckets:
//!   scheduling delays from a wake to the poll, one wake in 128 timed), `lints` (by lint name),
//!   `events_pushed`
//! - `runtime`: `spawned` (remote + every worker's local), `spawned_remote`, `completed`,
//!   `active_tasks`, `global_queue_depth`, `blocking_threads`, `blocking_idle_threads`,
//!   `blocking_queue_depth`, `polls` (over all workers), `string_table_overflows`,
//!   `schedule_p50_ns`, `schedule_p99_ns` (scheduling delays over all workers: the upper edge of
//!   the bucket holding the quantile, `null` before any wake was timed)
//! - `io`: `ops` (one object per kind: `op`, `submitted`, `completed`, `errors`, `cancelled`,
//!   `bytes`, `in_flight`, `latency_histogram`, `latency_p50_ns`, `latency_p99_ns` — the upper
//!   edge of the bucket holding the quantile, `null` when empty), `sq_full_waits`,
//!   `cq_overflows`, `stray_completions`, `buffers` (`capacity`, `size`, `in_use`, `hits`,
//!   `misses`, `growth`)
//! - `pools`: one object per named pool slot: `index`, `name`, `capacity`, `in_use`, `hits`,
//!   `misses`, `growth`, `bytes_held`, `remote_frees`
//! - `tasks`: `count` (live, listed), `capacity`, `overflows` (tasks the table had no slot
//!   for), `unreadable`, `with_lints`
//! - `lints`: total per lint over all workers, by name (`long_poll`, `no_yield`, `lost_waker`,
//!   `self_wake_storm`; an unknown slot that fired as `slot_N`)
//! - `events`: `pushed` (over all rings since the start), `overwritten` (pushed minus ring
//!   capacity: what no reader can still read)

use crate::state::histogram::quantile_ns;
use crate::state::lints;
use crate::state::rates::{completed, spawned};
use serde::Serialize;
use std::collections::BTreeMap;
use zokio_telemetry::{IoOpSnapshot, Lint, PoolSnapshot, Snapshot, WorkerSnapshot};

/// The document.
#[derive(Debug, Serialize)]
pub struct Document {
    pid: u32,
    process_name: String,
    service: String,
    runtime_id: u64,
    abi: Abi,
    uptime_seconds: f64,
    backend: String,
    backend_reason: String,
    workers: Vec<Worker>,
    runtime: Runtime,
    io: Io,
    pools: Vec<Pool>,
    tasks: Tasks,
    lints: BTreeMap<String, u64>,
    events: Events,
}

#[derive(Debug, Serialize)]
struct Abi {
    major: u32,
    minor: u32,
}

#[derive(Debug, Serialize)]
struct Worker {
    index: usize,
    polls: u64,
    spawned_local: u64,
    completed: u64,
    steal_attempts: u64,
    steal_operations: u64,
    steals: u64,
    stolen_from: Vec<u64>,
    local_queue_depth: u64,
    lifo_hits: u64,
    parks: u64,
    unparks: u64,
    spurious_wakeups: u64,
    busy_ns: u64,
    budget_forced_yields: u64,
    poll_histogram: Vec<u64>,
    schedule_histogram: Vec<u64>,
    lints: BTreeMap<String, u64>,
    events_pushed: u64,
}

#[derive(Debug, Serialize)]
struct Runtime {
    spawned: u64,
    spawned_remote: u64,
    completed: u64,
    active_tasks: u64,
    global_queue_depth: u64,
    blocking_threads: u64,
    blocking_idle_threads: u64,
    blocking_queue_depth: u64,
    polls: u64,
    string_table_overflows: u64,
    schedule_p50_ns: Option<u64>,
    schedule_p99_ns: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Io {
    ops: Vec<IoOp>,
    sq_full_waits: u64,
    cq_overflows: u64,
    stray_completions: u64,
    buffers: Buffers,
}

#[derive(Debug, Serialize)]
struct IoOp {
    op: &'static str,
    submitted: u64,
    completed: u64,
    errors: u64,
    cancelled: u64,
    bytes: u64,
    in_flight: u64,
    latency_histogram: Vec<u64>,
    latency_p50_ns: Option<u64>,
    latency_p99_ns: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Buffers {
    capacity: u64,
    size: u64,
    in_use: u64,
    hits: u64,
    misses: u64,
    growth: u64,
}

#[derive(Debug, Serialize)]
struct Pool {
    index: usize,
    name: Option<String>,
    capacity: u64,
    in_use: u64,
    hits: u64,
    misses: u64,
    growth: u64,
    bytes_held: u64,
    remote_frees: u64,
}

#[derive(Debug, Serialize)]
struct Tasks {
    count: usize,
    capacity: usize,
    overflows: u64,
    unreadable: u64,
    with_lints: usize,
}

#[derive(Debug, Serialize)]
struct Events {
    pushed: u64,
    overwritten: u64,
}

/// The document of `s`, taken when the clock read `now_unix_ns`.
pub fn document(s: &Snapshot, now_unix_ns: u64) -> Document {
    let h = &s.header;
    Document {
        pid: h.pid,
        process_name: h.process_name.clone(),
        service: h.service_name.clone(),
        runtime_id: h.runtime_id,
        abi: Abi {
            major: h.abi_major,
            minor: h.abi_minor,
        },
        uptime_seconds: now_unix_ns.saturating_sub(h.created_unix_ns) as f64 / 1e9,
        backend: h.backend.clone(),
        backend_reason: h.backend_reason.clone(),
        workers: s.workers.iter().map(worker).collect(),
        runtime: runtime(s),
        io: io(s),
        pools: s.pools.iter().map(pool).collect(),
        tasks: Tasks {
            count: s.tasks.len(),
            capacity: h.task_capacity,
            overflows: s.runtime.task_table_overflows,
            unreadable: s.tasks_unreadable,
            with_lints: s.tasks.iter().filter(|t| t.record.lints != 0).count(),
        },
        lints: lint_map(&lints::totals(s)),
        events: Events {
            pushed: s.workers.iter().map(|w| w.events_pushed).sum(),
            overwritten: s.events_overwritten,
        },
    }
}

/// The document as pretty JSON.
pub fn to_string(s: &Snapshot, now_unix_ns: u64) -> String {
    serde_json::to_string_pretty(&document(s, now_unix_ns)).expect("plain data serialises")
}

/// Lint counts by name: every known lint, and unknown slots that fired.
fn lint_map(slots: &[u64]) -> BTreeMap<String, u64> {
    slots
        .iter()
        .enumerate()
        .filter_map(|(i, &n)| match Lint::from_index(i) {
            Lint::Unknown(_) if n == 0 => None,
            Lint::Unknown(_) => Some((format!("slot_{i}"), n)),
            known => Some((known.as_str().to_owned(), n)),
        })
        .collect()
}

fn worker(w: &WorkerSnapshot) -> Worker {
    let c = &w.counters;
    Worker {
        index: w.index,
        polls: c.polls,
        spawned_local: c.spawned_local,
        completed: c.completed,
        steal_attempts: c.steal_attempts,
        steal_operations: c.steal_operations,
        steals: c.tasks_stolen,
        stolen_from: w.stolen_from.clone(),
        local_queue_depth: c.local_queue_depth,
        lifo_hits: c.lifo_hits,
        parks: c.parks,
        unparks: c.unparks,
        spurious_wakeups: c.spurious_wakeups,
        busy_ns: c.busy_ns,
        budget_forced_yields: c.budget_forced_yields,
        poll_histogram: c.poll_histogram.clone(),
        schedule_histogram: c.schedule_histogram.clone(),
        lints: lint_map(&c.lints),
        events_pushed: w.events_pushed,
    }
}

fn runtime(s: &Snapshot) -> Runtime {
    let r = &s.runtime;
    let schedule = s.schedule_histogram();
    Runtime {
        spawned: spawned(s),
        spawned_remote: r.spawned_remote,
        completed: completed(s),
        active_tasks: r.active_tasks,
        global_queue_depth: r.global_queue_depth,
        blocking_threads: r.blocking_threads,
        blocking_idle_threads: r.blocking_idle_threads,
        blocking_queue_depth: r.blocking_queue_depth,
        polls: s.total_polls(),
        string_table_overflows: r.string_table_overflows,
        schedule_p50_ns: quantile_ns(&schedule, 0.5),
        schedule_p99_ns: quantile_ns(&schedule, 0.99),
    }
}

fn io(s: &Snapshot) -> Io {
    let d = &s.io_driver;
    Io {
        ops: s.io_ops.iter().map(io_op).collect(),
        sq_full_waits: d.sq_full_waits,
        cq_overflows: d.cq_overflows,
        stray_completions: d.stray_completions,
        buffers: Buffers {
            capacity: d.buffer_capacity,
            size: d.buffer_size,
            in_use: d.buffers_in_use,
            hits: d.buffer_hits,
            misses: d.buffer_misses,
            growth: d.buffer_growth,
        },
    }
}

fn io_op(o: &IoOpSnapshot) -> IoOp {
    let c = &o.counters;
    IoOp {
        op: o.op.as_str(),
        submitted: c.submitted,
        completed: c.completed,
        errors: c.errors,
        cancelled: c.cancelled,
        bytes: c.bytes,
        in_flight: c.in_flight,
        latency_histogram: c.latency_histogram.clone(),
        latency_p50_ns: quantile_ns(&c.latency_histogram, 0.5),
        latency_p99_ns: quantile_ns(&c.latency_histogram, 0.99),
    }
}

fn pool(p: &PoolSnapshot) -> Pool {
    let c = &p.counters;
    Pool {
        index: p.index,
        name: p.name.clone(),
        capacity: c.capacity,
        in_use: c.in_use,
        hits: c.hits,
        misses: c.misses,
        growth: c.growth,
        bytes_held: c.bytes_held,
        remote_frees: c.remote_frees,
    }
}
