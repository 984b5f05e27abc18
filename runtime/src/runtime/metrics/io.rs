//! Per-operation I/O counters. Operations are submitted and completed on any thread (workers,
//! the block_on thread, the blocking pool), so these are shared atomics, one cache line group per
//! op kind, added to with Relaxed read-modify-writes off the hot scheduling path.

use super::histogram::{bucket_of, POLL_BUCKETS};
use super::snapshot::{IoMetrics, IoOpMetrics};
use crate::io::driver::OpKind;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Default)]
struct OpCounters {
    submitted: AtomicU64,
    completed: AtomicU64,
    errors: AtomicU64,
    cancelled: AtomicU64,
    bytes: AtomicU64,
    in_flight: AtomicU64,
    latency: [AtomicU64; POLL_BUCKETS],
}

/// The driver's counters.
#[derive(Default)]
pub(crate) struct IoStats {
    ops: [CachePadded<OpCounters>; OpKind::COUNT],
    sq_full_waits: AtomicU64,
    cq_overflows: AtomicU64,
}

impl IoStats {
    pub(crate) fn submitted(&self, kind: OpKind) {
        let c = &self.ops[kind.index()];
        c.submitted.fetch_add(1, Relaxed);
        c.in_flight.fetch_add(1, Relaxed);
    }

    /// The last completion of a submitted operation (multishot operations complete many times).
    pub(crate) fn finished(&self, kind: OpKind) {
        self.ops[kind.index()].in_flight.fetch_sub(1, Relaxed);
    }

    /// A completion: `res` is the kernel's result (negative errno on failure); bytes count for
    /// reads and writes; `latency_ns` of `None` leaves the histogram alone.
    pub(crate) fn completed(&self, kind: OpKind, res: i32, latency_ns: Option<u64>) {
        let c = &self.ops[kind.index()];
        c.completed.fetch_add(1, Relaxed);
        if res == -libc::ECANCELED {
            c.cancelled.fetch_add(1, Relaxed);
        } else if res < 0 {
            c.errors.fetch_add(1, Relaxed);
        } else if moves_bytes(kind) {
            c.bytes.fetch_add(res as u64, Relaxed);
        }
        if let Some(ns) = latency_ns {
            c.latency[bucket_of(ns)].fetch_add(1, Relaxed);
        }
    }

    /// A non-blocking system call done in place of a submission (readiness backends).
    pub(crate) fn sync_op(&self, kind: OpKind, res: Result<usize, ()>) {
        self.ops[kind.index()].submitted.fetch_add(1, Relaxed);
        self.completed(
            kind,
            res.map_or(-1, |n| n.min(i32::MAX as usize) as i32),
            None,
        );
    }

    pub(crate) fn sq_full_wait(&self) {
        self.sq_full_waits.fetch_add(1, Relaxed);
    }

    pub(crate) fn cq_overflowed(&self, n: u64) {
        self.cq_overflows.fetch_add(n, Relaxed);
    }

    pub(crate) fn snapshot(&self, into: &mut IoMetrics) {
        into.ops = OpKind::ALL.iter().map(|&k| self.op_snapshot(k)).collect();
        into.sq_full_waits = self.sq_full_waits.load(Relaxed);
        into.cq_overflows = self.cq_overflows.load(Relaxed);
    }

    fn op_snapshot(&self, kind: OpKind) -> IoOpMetrics {
        let c = &self.ops[kind.index()];
        IoOpMetrics {
            op: kind.as_str(),
            submitted: c.submitted.load(Relaxed),
            completed: c.completed.load(Relaxed),
            errors: c.errors.load(Relaxed),
            cancelled: c.cancelled.load(Relaxed),
            bytes: c.bytes.load(Relaxed),
            in_flight: c.in_flight.load(Relaxed),
            latency_histogram: c.latency.iter().map(|b| b.load(Relaxed)).collect(),
        }
    }
}

fn moves_bytes(kind: OpKind) -> bool {
    matches!(
        kind,
        OpKind::Read | OpKind::Write | OpKind::Readv | OpKind::Writev
    )
}
