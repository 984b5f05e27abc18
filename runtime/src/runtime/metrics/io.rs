//! Per-operation I/O counters, kept in the telemetry segment's I/O blocks. Operations are
//! submitted and completed on any thread (workers, the block_on thread, the blocking pool), so
//! these are shared words added to with Relaxed read-modify-writes, off the per-poll path.

use super::histogram::bucket_of;
use super::snapshot::{IoMetrics, IoOpMetrics};
use super::Telemetry;
use crate::io::driver::OpKind;
use std::sync::Arc;
use zokio_telemetry::{IoOp, IoOpBlock};

/// The driver's counters: a view of the segment's I/O blocks.
pub(crate) struct IoStats {
    tel: Arc<Telemetry>,
}

impl Default for IoStats {
    /// Counters in a private segment of their own (a driver built outside a runtime).
    fn default() -> IoStats {
        IoStats::new(Telemetry::detached(1))
    }
}

impl IoStats {
    pub(crate) fn new(tel: Arc<Telemetry>) -> IoStats {
        IoStats { tel }
    }

    #[inline]
    fn op(&self, kind: OpKind) -> &IoOpBlock {
        self.tel.seg().io_op(IoOp::ALL[kind.index()])
    }

    pub(crate) fn submitted(&self, kind: OpKind) {
        let c = self.op(kind);
        c.submitted.add(1);
        c.in_flight.add(1);
        self.tel.ev_io_submit(kind.index());
    }

    /// The last completion of a submitted operation (multishot operations complete many times).
    pub(crate) fn finished(&self, kind: OpKind) {
        self.op(kind).in_flight.sub(1);
    }

    /// A completion: `res` is the kernel's result (negative errno on failure); bytes count for
    /// reads and writes; `latency_ns` of `None` leaves the histogram alone.
    pub(crate) fn completed(&self, kind: OpKind, res: i32, latency_ns: Option<u64>) {
        let c = self.op(kind);
        c.completed.add(1);
        if res == -libc::ECANCELED {
            c.cancelled.add(1);
        } else if res < 0 {
            c.errors.add(1);
        } else if moves_bytes(kind) {
            c.bytes.add(res as u64);
        }
        if let Some(ns) = latency_ns {
            c.latency_histogram[bucket_of(ns)].add(1);
        }
        self.tel.ev_io_complete(kind.index(), latency_ns, res);
    }

    /// A non-blocking system call done in place of a submission (readiness backends).
    pub(crate) fn sync_op(&self, kind: OpKind, res: Result<usize, ()>) {
        self.op(kind).submitted.add(1);
        self.completed(
            kind,
            res.map_or(-1, |n| n.min(i32::MAX as usize) as i32),
            None,
        );
    }

    pub(crate) fn sq_full_wait(&self) {
        self.tel.seg().io_driver().sq_full_waits.add(1);
    }

    pub(crate) fn cq_overflowed(&self, n: u64) {
        self.tel.seg().io_driver().cq_overflows.add(n);
    }

    pub(crate) fn snapshot(&self, into: &mut IoMetrics) {
        into.ops = OpKind::ALL.iter().map(|&k| self.op_snapshot(k)).collect();
        let d = self.tel.seg().io_driver();
        into.sq_full_waits = d.sq_full_waits.load();
        into.cq_overflows = d.cq_overflows.load();
    }

    /// Publishes the driver-wide words `Handle::metrics()` computes from the rings (stray
    /// completions, the provided-buffer pool), so readers of the segment see them too.
    pub(crate) fn publish_driver(&self, m: &IoMetrics) {
        let d = self.tel.seg().io_driver();
        d.stray_completions.store(m.stray_completions);
        d.buffer_capacity.store(m.buffers.capacity);
        d.buffer_size.store(m.buffers.buffer_size);
        d.buffers_in_use.store(m.buffers.in_use);
        d.buffer_hits.store(m.buffers.hits);
        d.buffer_misses.store(m.buffers.misses);
        d.buffer_growth.store(m.buffers.growth);
    }

    fn op_snapshot(&self, kind: OpKind) -> IoOpMetrics {
        let c = self.op(kind);
        IoOpMetrics {
            op: kind.as_str(),
            submitted: c.submitted.load(),
            completed: c.completed.load(),
            errors: c.errors.load(),
            cancelled: c.cancelled.load(),
            bytes: c.bytes.load(),
            in_flight: c.in_flight.load(),
            latency_histogram: c.latency_histogram.iter().map(|b| b.load()).collect(),
        }
    }
}

fn moves_bytes(kind: OpKind) -> bool {
    matches!(
        kind,
        OpKind::Read | OpKind::Write | OpKind::Readv | OpKind::Writev
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The driver's kinds index the segment's I/O blocks: both lists must name the same kinds
    /// in the same order, or one kind's counters land in another's block.
    #[test]
    fn op_kinds_index_the_segment_blocks_of_the_same_name() {
        assert_eq!(OpKind::ALL.len(), IoOp::ALL.len());
        for (i, kind) in OpKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
            assert_eq!(kind.as_str(), IoOp::ALL[i].as_str(), "kind {i}");
        }
    }
}
