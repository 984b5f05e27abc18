//! What a reader returns: plain owned values, every index already checked.

use crate::counters::{
    IoDriverCounters, IoOpCounters, PoolCounters, RuntimeCounters, WorkerCounters,
};
use crate::io_op::IoOp;
use crate::task::TaskRecord;

/// The header of a segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    /// ABI major version.
    pub abi_major: u32,
    /// ABI minor version.
    pub abi_minor: u32,
    /// Process id of the writer.
    pub pid: u32,
    /// Its start time, clock ticks after boot.
    pub start_time: u64,
    /// Its process name.
    pub process_name: String,
    /// The service name the application chose.
    pub service_name: String,
    /// The runtime's id within the process.
    pub runtime_id: u64,
    /// When the segment was created, ns since the Unix epoch.
    pub created_unix_ns: u64,
    /// Worker threads.
    pub workers: usize,
    /// The I/O backend (`io_uring`, `poll`; empty until the runtime sets it).
    pub backend: String,
    /// Why that backend was chosen.
    pub backend_reason: String,
    /// Events per worker ring.
    pub ring_capacity: usize,
    /// Task slots.
    pub task_capacity: usize,
}

/// One worker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerSnapshot {
    /// The worker's index.
    pub index: usize,
    /// Its counters.
    pub counters: WorkerCounters,
    /// Tasks it stole, by victim index (its row of the steal matrix).
    pub stolen_from: Vec<u64>,
    /// Events it pushed into its ring since the start.
    pub events_pushed: u64,
}

/// One pool slot in use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolSnapshot {
    /// The slot.
    pub index: usize,
    /// Its name, if the string table holds it.
    pub name: Option<String>,
    /// Its counters.
    pub counters: PoolCounters,
}

/// One I/O operation kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoOpSnapshot {
    /// The kind.
    pub op: IoOp,
    /// Its counters.
    pub counters: IoOpCounters,
}

/// One live task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskSnapshot {
    /// Its slot in the table.
    pub slot: usize,
    /// The record as written (ids raw).
    pub record: TaskRecord,
    /// Its name, resolved from the string table.
    pub name: Option<String>,
    /// Its spawn location, resolved from the string table.
    pub location: Option<String>,
    /// The worker that last polled it, if the index is valid.
    pub worker: Option<usize>,
}

/// Everything in a segment at one moment (each word read atomically; no cross-word consistency
/// except within a task record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The header.
    pub header: HeaderInfo,
    /// Runtime-wide counters.
    pub runtime: RuntimeCounters,
    /// One entry per worker.
    pub workers: Vec<WorkerSnapshot>,
    /// Pool slots in use (a non-zero label).
    pub pools: Vec<PoolSnapshot>,
    /// One entry per I/O operation kind.
    pub io_ops: Vec<IoOpSnapshot>,
    /// Driver-wide I/O counters.
    pub io_driver: IoDriverCounters,
    /// Live tasks.
    pub tasks: Vec<TaskSnapshot>,
    /// Task slots that were being written on every retry and could not be read.
    pub tasks_unreadable: u64,
    /// Events the rings overwrote before anyone could have read them from the oldest record
    /// (total pushed minus ring capacity, over all workers): a lower bound of what any reader lost.
    pub events_overwritten: u64,
    /// The string table: entry `id - 1` is string `id` (task names, spawn locations; `None`
    /// where unreadable). Events name locations by id only; see [`Snapshot::string`].
    pub strings: Vec<Option<String>>,
}

impl Snapshot {
    /// String `id` (1-based, as in task records and events), if it exists.
    pub fn string(&self, id: u32) -> Option<&str> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        self.strings.get(i)?.as_deref()
    }

    /// Polls over all workers.
    pub fn total_polls(&self) -> u64 {
        self.workers.iter().map(|w| w.counters.polls).sum()
    }

    /// The workers' schedule histograms added up (scheduling delays, wake to poll, log2-ns
    /// buckets; zeros for a segment before ABI 1.2).
    pub fn schedule_histogram(&self) -> Vec<u64> {
        let mut buckets = vec![0u64; crate::HISTOGRAM_BUCKETS];
        for w in &self.workers {
            for (b, n) in buckets.iter_mut().zip(&w.counters.schedule_histogram) {
                *b += n;
            }
        }
        buckets
    }

    /// The counters of operation kind `op`.
    pub fn io_op(&self, op: IoOp) -> Option<&IoOpCounters> {
        self.io_ops.iter().find(|o| o.op == op).map(|o| &o.counters)
    }
}
