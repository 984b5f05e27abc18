//! Per-operation I/O counters.
//!
//! An io_uring ring counts its own operations ([`RingIoCounters`]): its submissions under its
//! submission-queue lock, its completions under its completion-queue lock (see `ring.rs`), so each
//! word has one writer at a time and takes a plain load and store, never a read-modify-write on a
//! line the other workers write too. (With shared words added to by every worker, the
//! lock-prefixed adds were half of the send completion's user time in the small-message echo
//! benchmark.)
//! System calls made in place of a submission (the readiness backend's reads and writes, direct
//! reads of an idle io_uring stream) are counted in shared words with read-modify-writes.
//!
//! [`IoStats::snapshot`] sums both for `Handle::metrics()` and publishes the sums into the
//! telemetry segment's I/O blocks; the monitor thread publishes them every 100 ms as well, so a
//! reader of the segment sees them at most that late (or as of the last `Handle::metrics()` call
//! with `ZOKIO_MONITOR=off`).

use super::histogram::bucket_of;
use super::snapshot::{IoMetrics, IoOpMetrics};
use super::Telemetry;
use crate::io::driver::OpKind;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use zokio_telemetry::{IoOp, HISTOGRAM_BUCKETS};

const KINDS: usize = OpKind::COUNT;

/// What the completions of one operation kind say.
struct Completions {
    /// Last completions (multishot operations complete many times, and finish once).
    finished: AtomicU64,
    completed: AtomicU64,
    errors: AtomicU64,
    cancelled: AtomicU64,
    bytes: AtomicU64,
    latency_histogram: [AtomicU64; HISTOGRAM_BUCKETS],
}

impl Default for Completions {
    fn default() -> Completions {
        Completions {
            finished: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            latency_histogram: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// One io_uring ring's counters. The submission words are written only under the ring's
/// submission lock, the completion words only under its completion lock: a writer adds with a
/// load and a store. Anyone may read them (Relaxed).
pub(crate) struct RingIoCounters {
    submitted: CachePadded<[AtomicU64; KINDS]>,
    completions: CachePadded<[Completions; KINDS]>,
}

impl RingIoCounters {
    fn new() -> RingIoCounters {
        RingIoCounters {
            submitted: CachePadded::new(std::array::from_fn(|_| AtomicU64::new(0))),
            completions: CachePadded::new(std::array::from_fn(|_| Completions::default())),
        }
    }
}

/// Adds `n` to a word only one thread writes at a time (its writers are ordered by a lock).
#[inline]
fn bump(word: &AtomicU64, n: u64) {
    word.store(word.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Records one completion into `c`, adding with `add` (a plain or an atomic add).
#[inline]
fn record(
    c: &Completions,
    kind: OpKind,
    res: i32,
    latency_ns: Option<u64>,
    add: fn(&AtomicU64, u64),
) {
    add(&c.completed, 1);
    if res == -libc::ECANCELED {
        add(&c.cancelled, 1);
    } else if res < 0 {
        add(&c.errors, 1);
    } else if moves_bytes(kind) {
        add(&c.bytes, res as u64);
    }
    if let Some(ns) = latency_ns {
        add(&c.latency_histogram[bucket_of(ns)], 1);
    }
}

fn atomic_add(word: &AtomicU64, n: u64) {
    word.fetch_add(n, Relaxed);
}

/// The driver's counters: the rings' own, the shared ones of direct system calls, and the
/// segment's I/O blocks they are published into.
pub(crate) struct IoStats {
    tel: Arc<Telemetry>,
    /// Operations done by system calls rather than submissions (any thread: atomic adds).
    direct: RingIoCounters,
    /// Every ring's counters, for the sums.
    rings: Mutex<Vec<Arc<RingIoCounters>>>,
    /// Held while summing and publishing: publications follow each other, so a counter in the
    /// segment never goes back (a later sum reads every word at least as late as an earlier).
    publishing: Mutex<()>,
}

impl Default for IoStats {
    /// Counters in a private segment of their own (a driver built outside a runtime).
    fn default() -> IoStats {
        IoStats::new(Telemetry::detached(1))
    }
}

impl IoStats {
    pub(crate) fn new(tel: Arc<Telemetry>) -> IoStats {
        IoStats {
            tel,
            direct: RingIoCounters::new(),
            rings: Mutex::new(Vec::new()),
            publishing: Mutex::new(()),
        }
    }

    /// Counters for a new ring, included in the sums from now on.
    pub(crate) fn ring(&self) -> Arc<RingIoCounters> {
        let ring = Arc::new(RingIoCounters::new());
        self.rings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ring.clone());
        ring
    }

    /// An operation was queued on `ring`. The caller holds the ring's submission lock.
    #[inline]
    pub(crate) fn submitted(&self, ring: &RingIoCounters, kind: OpKind) {
        bump(&ring.submitted[kind.index()], 1);
        self.tel.ev_io_submit(kind.index());
    }

    /// A completion of an operation of `ring`. The caller holds the ring's completion lock.
    #[inline]
    pub(crate) fn completed(
        &self,
        ring: &RingIoCounters,
        kind: OpKind,
        res: i32,
        latency_ns: Option<u64>,
    ) {
        record(&ring.completions[kind.index()], kind, res, latency_ns, bump);
        self.tel.ev_io_complete(kind.index(), latency_ns, res);
    }

    /// The last completion of an operation of `ring` (multishot operations complete many times).
    /// The caller holds the ring's completion lock.
    #[inline]
    pub(crate) fn finished(&self, ring: &RingIoCounters, kind: OpKind) {
        bump(&ring.completions[kind.index()].finished, 1);
    }

    /// A non-blocking system call done in place of a submission (readiness backends).
    pub(crate) fn sync_op(&self, kind: OpKind, res: Result<usize, ()>) {
        let res = res.map_or(-1, |n| n.min(i32::MAX as usize) as i32);
        let i = kind.index();
        atomic_add(&self.direct.submitted[i], 1);
        let c = &self.direct.completions[i];
        atomic_add(&c.finished, 1);
        record(c, kind, res, None, atomic_add);
        self.tel.ev_io_complete(i, None, res);
    }

    pub(crate) fn sq_full_wait(&self) {
        self.tel.seg().io_driver().sq_full_waits.add(1);
    }

    pub(crate) fn cq_overflowed(&self, n: u64) {
        self.tel.seg().io_driver().cq_overflows.add(n);
    }

    /// Sums the counters into `into` and publishes the sums into the segment's I/O blocks.
    pub(crate) fn snapshot(&self, into: &mut IoMetrics) {
        let _publishing = self.publishing.lock().unwrap_or_else(|e| e.into_inner());
        let rings = self.rings.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let all = || std::iter::once(&self.direct).chain(rings.iter().map(|r| &**r));
        into.ops = OpKind::ALL
            .iter()
            .map(|&kind| {
                let i = kind.index();
                let sum = |f: fn(&Completions) -> &AtomicU64| -> u64 {
                    all().map(|r| f(&r.completions[i]).load(Relaxed)).sum()
                };
                // Finished before submitted: every finished operation was submitted first.
                let finished = sum(|c| &c.finished);
                let submitted: u64 = all().map(|r| r.submitted[i].load(Relaxed)).sum();
                let m = IoOpMetrics {
                    op: kind.as_str(),
                    submitted,
                    completed: sum(|c| &c.completed),
                    errors: sum(|c| &c.errors),
                    cancelled: sum(|c| &c.cancelled),
                    bytes: sum(|c| &c.bytes),
                    in_flight: submitted.saturating_sub(finished),
                    latency_histogram: (0..HISTOGRAM_BUCKETS)
                        .map(|b| {
                            all()
                                .map(|r| r.completions[i].latency_histogram[b].load(Relaxed))
                                .sum()
                        })
                        .collect(),
                };
                let block = self.tel.seg().io_op(IoOp::ALL[i]);
                block.submitted.store(m.submitted);
                block.completed.store(m.completed);
                block.errors.store(m.errors);
                block.cancelled.store(m.cancelled);
                block.bytes.store(m.bytes);
                block.in_flight.store(m.in_flight);
                for (word, n) in block.latency_histogram.iter().zip(&m.latency_histogram) {
                    word.store(*n);
                }
                m
            })
            .collect();
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

    /// A ring's own counts and the direct system calls' add up in the snapshot, operations in
    /// flight are the submitted ones not finished, and the segment's blocks get the same sums.
    #[test]
    fn rings_and_direct_calls_sum_into_the_snapshot_and_the_segment() {
        let stats = IoStats::default();
        let (a, b) = (stats.ring(), stats.ring());
        for _ in 0..3 {
            stats.submitted(&a, OpKind::Read);
        }
        stats.submitted(&b, OpKind::Read);
        stats.completed(&a, OpKind::Read, 100, Some(1_000));
        stats.finished(&a, OpKind::Read);
        stats.completed(&b, OpKind::Read, -libc::ECONNRESET, None);
        stats.finished(&b, OpKind::Read);
        // A multishot receive's completion that is not its last.
        stats.completed(&a, OpKind::Read, 50, None);
        stats.sync_op(OpKind::Read, Ok(7));
        stats.sync_op(OpKind::Write, Err(()));
        let mut m = IoMetrics::default();
        stats.snapshot(&mut m);
        let read = m.op("read").unwrap();
        assert_eq!(
            (
                read.submitted,
                read.completed,
                read.errors,
                read.bytes,
                read.in_flight
            ),
            (5, 4, 1, 157, 2)
        );
        assert_eq!(read.latency_histogram[bucket_of(1_000)], 1);
        assert_eq!(read.latency_histogram.iter().sum::<u64>(), 1);
        let write = m.op("write").unwrap();
        assert_eq!(
            (
                write.submitted,
                write.completed,
                write.errors,
                write.in_flight
            ),
            (1, 1, 1, 0)
        );
        let block = stats.tel.seg().io_op(IoOp::ALL[OpKind::Read.index()]);
        assert_eq!(
            (
                block.submitted.load(),
                block.completed.load(),
                block.bytes.load()
            ),
            (5, 4, 157)
        );
        assert_eq!(block.in_flight.load(), 2);
        assert_eq!(block.latency_histogram[bucket_of(1_000)].load(), 1);
    }

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
