//! Per-worker counters (telemetry on).

use super::histogram::{bucket_of, POLL_BUCKETS};
use super::snapshot::WorkerMetrics;
use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// The published block of one worker: single atomic words, written only by the worker (Relaxed
/// stores of values it counted locally), read by anyone. Aligned to 128 bytes so two workers'
/// blocks never share a cache line (or an adjacent-line prefetch pair).
#[repr(align(128))]
#[derive(Debug)]
pub(crate) struct WorkerBlock {
    polls: AtomicU64,
    spawned_local: AtomicU64,
    completed: AtomicU64,
    steal_attempts: AtomicU64,
    steal_operations: AtomicU64,
    tasks_stolen: AtomicU64,
    local_queue_depth: AtomicU64,
    lifo_hits: AtomicU64,
    parks: AtomicU64,
    unparks: AtomicU64,
    spurious_wakeups: AtomicU64,
    busy_ns: AtomicU64,
    budget_forced_yields: AtomicU64,
    poll_hist: [AtomicU64; POLL_BUCKETS],
    stolen_from: Box<[AtomicU64]>,
}

/// The worker's own copy: plain fields, counted without atomics on the hot path.
#[derive(Debug, Clone)]
pub(crate) struct WorkerStats {
    pub(crate) polls: u64,
    pub(crate) spawned_local: u64,
    pub(crate) completed: u64,
    pub(crate) steal_attempts: u64,
    pub(crate) steal_operations: u64,
    pub(crate) tasks_stolen: u64,
    pub(crate) local_queue_depth: u64,
    pub(crate) lifo_hits: u64,
    pub(crate) parks: u64,
    pub(crate) unparks: u64,
    pub(crate) spurious_wakeups: u64,
    pub(crate) busy_ns: u64,
    pub(crate) budget_forced_yields: u64,
    poll_hist: [u64; POLL_BUCKETS],
    stolen_from: Box<[u64]>,
    /// Bucket of the last timed poll; untimed polls are counted in it.
    last_bucket: usize,
    /// Polls already added to `poll_hist`; the rest (`polls - recorded`) belong to
    /// `last_bucket` and are added lazily, so an untimed poll costs one increment.
    recorded: u64,
    /// When the current poll started, if it is a timed one (`polls % POLL_SAMPLE == 0`).
    poll_start: Instant,
    /// When the current busy stretch (since unpark or the last maintenance) started.
    stretch_start: Instant,
    /// When the counters were last published.
    last_publish: Instant,
}

/// A busy worker publishes its counters at most this often (at maintenance); it always
/// publishes before it parks, so an idle runtime's counters are exact.
pub(crate) const PUBLISH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1);

/// One poll in this many is timed (two clock reads); the others are counted in the bucket of
/// the last timed poll. So the histogram's total is exactly the poll count, its shape is sampled,
/// and the clock costs one read per 64 polls (1 in 16 measurably slowed `yield_many`).
pub(crate) const POLL_SAMPLE: u64 = 128;

impl WorkerBlock {
    pub(crate) fn new(workers: usize) -> WorkerBlock {
        WorkerBlock {
            polls: AtomicU64::new(0),
            spawned_local: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            steal_attempts: AtomicU64::new(0),
            steal_operations: AtomicU64::new(0),
            tasks_stolen: AtomicU64::new(0),
            local_queue_depth: AtomicU64::new(0),
            lifo_hits: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            unparks: AtomicU64::new(0),
            spurious_wakeups: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            budget_forced_yields: AtomicU64::new(0),
            poll_hist: std::array::from_fn(|_| AtomicU64::new(0)),
            stolen_from: (0..workers).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// A consistent-per-word copy of the block.
    pub(crate) fn snapshot(&self, index: usize) -> WorkerMetrics {
        WorkerMetrics {
            index,
            polls: self.polls.load(Relaxed),
            spawned_local: self.spawned_local.load(Relaxed),
            completed: self.completed.load(Relaxed),
            steal_attempts: self.steal_attempts.load(Relaxed),
            steal_operations: self.steal_operations.load(Relaxed),
            tasks_stolen: self.tasks_stolen.load(Relaxed),
            stolen_from: self.stolen_from.iter().map(|c| c.load(Relaxed)).collect(),
            local_queue_depth: self.local_queue_depth.load(Relaxed),
            lifo_hits: self.lifo_hits.load(Relaxed),
            parks: self.parks.load(Relaxed),
            unparks: self.unparks.load(Relaxed),
            spurious_wakeups: self.spurious_wakeups.load(Relaxed),
            busy_ns: self.busy_ns.load(Relaxed),
            budget_forced_yields: self.budget_forced_yields.load(Relaxed),
            poll_time_histogram: self.poll_hist.iter().map(|c| c.load(Relaxed)).collect(),
        }
    }
}

impl WorkerStats {
    pub(crate) fn new(workers: usize) -> WorkerStats {
        WorkerStats {
            polls: 0,
            spawned_local: 0,
            completed: 0,
            steal_attempts: 0,
            steal_operations: 0,
            tasks_stolen: 0,
            local_queue_depth: 0,
            lifo_hits: 0,
            parks: 0,
            unparks: 0,
            spurious_wakeups: 0,
            busy_ns: 0,
            budget_forced_yields: 0,
            poll_hist: [0; POLL_BUCKETS],
            stolen_from: vec![0; workers].into_boxed_slice(),
            last_bucket: 0,
            recorded: 0,
            poll_start: Instant::now(),
            stretch_start: Instant::now(),
            last_publish: Instant::now(),
        }
    }

    /// A poll starts: every `POLL_SAMPLE`-th one is timed.
    #[inline]
    pub(crate) fn poll_started(&mut self) {
        if self.polls.is_multiple_of(POLL_SAMPLE) {
            self.poll_start = Instant::now();
        }
    }

    /// The poll ended.
    #[inline]
    pub(crate) fn poll_ended(&mut self) {
        if self.polls.is_multiple_of(POLL_SAMPLE) {
            self.timed_poll_ended(self.poll_start.elapsed().as_nanos() as u64);
        }
        self.polls += 1;
    }

    /// A timed poll took `ns`: the untimed polls since the last timed one go into the old
    /// bucket, and this one starts the new bucket's run.
    #[cold]
    fn timed_poll_ended(&mut self, ns: u64) {
        self.poll_hist[self.last_bucket] += self.polls - self.recorded;
        self.recorded = self.polls;
        self.last_bucket = bucket_of(ns);
    }

    /// Records one poll of a known duration (tests, and callers that timed it themselves).
    pub(crate) fn record_poll(&mut self, ns: u64) {
        self.timed_poll_ended(ns);
        self.polls += 1;
    }

    /// The histogram including the polls not yet added to it.
    fn histogram_entry(&self, bucket: usize) -> u64 {
        let pending = if bucket == self.last_bucket {
            self.polls - self.recorded
        } else {
            0
        };
        self.poll_hist[bucket] + pending
    }

    /// A busy stretch starts (the worker woke up).
    #[inline]
    pub(crate) fn stretch_started(&mut self) {
        self.stretch_start = Instant::now();
    }

    /// Adds the busy stretch so far to `busy_ns` and starts a new one (at maintenance and
    /// before parking). Returns whether a publication is due (`PUBLISH_INTERVAL` passed).
    #[inline]
    pub(crate) fn stretch_ended(&mut self) -> bool {
        let now = Instant::now();
        self.busy_ns += now.saturating_duration_since(self.stretch_start).as_nanos() as u64;
        self.stretch_start = now;
        now.saturating_duration_since(self.last_publish) >= PUBLISH_INTERVAL
    }

    /// Records a successful steal of `count` tasks (including the one run at once) from `victim`.
    #[inline]
    pub(crate) fn record_steal(&mut self, victim: usize, count: u64) {
        self.steal_operations += 1;
        self.tasks_stolen += count;
        self.stolen_from[victim] += count;
    }

    /// Stores every counter into the shared block (Relaxed: each word is independent).
    pub(crate) fn publish(&mut self, block: &WorkerBlock) {
        self.last_publish = self.stretch_start;
        block.polls.store(self.polls, Relaxed);
        block.spawned_local.store(self.spawned_local, Relaxed);
        block.completed.store(self.completed, Relaxed);
        block.steal_attempts.store(self.steal_attempts, Relaxed);
        block.steal_operations.store(self.steal_operations, Relaxed);
        block.tasks_stolen.store(self.tasks_stolen, Relaxed);
        block
            .local_queue_depth
            .store(self.local_queue_depth, Relaxed);
        block.lifo_hits.store(self.lifo_hits, Relaxed);
        block.parks.store(self.parks, Relaxed);
        block.unparks.store(self.unparks, Relaxed);
        block.spurious_wakeups.store(self.spurious_wakeups, Relaxed);
        block.busy_ns.store(self.busy_ns, Relaxed);
        block
            .budget_forced_yields
            .store(self.budget_forced_yields, Relaxed);
        for (i, dst) in block.poll_hist.iter().enumerate() {
            dst.store(self.histogram_entry(i), Relaxed);
        }
        for (dst, src) in block.stolen_from.iter().zip(self.stolen_from.iter()) {
            dst.store(*src, Relaxed);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn publish_copies_every_counter() {
        let block = WorkerBlock::new(3);
        let mut s = WorkerStats::new(3);
        for ns in [0, 10, 2_000, 5_000_000] {
            s.record_poll(ns);
        }
        for _ in 0..3 * POLL_SAMPLE {
            s.poll_started();
            s.poll_ended();
        }
        s.record_steal(2, 5);
        s.parks = 7;
        s.busy_ns = 11;
        s.publish(&block);
        let m = block.snapshot(1);
        assert_eq!(m.polls, 4 + 3 * POLL_SAMPLE);
        assert_eq!(m.poll_time_histogram.iter().sum::<u64>(), m.polls);
        assert_eq!(m.poll_time_histogram[bucket_of(2_000)], 1);
        assert_eq!(m.busy_ns, 11);
        assert_eq!(m.stolen_from, vec![0, 0, 5]);
        assert_eq!((m.steal_operations, m.tasks_stolen, m.parks), (1, 5, 7));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;

    /// The publication protocol on a reduced block (two counters; the real block repeats the
    /// same store for each word): a reader racing two publications sees only published values,
    /// and a counter never goes backwards between two reads. Counters are independent words, so
    /// no cross-counter consistency is promised.
    #[test]
    fn reader_sees_published_values_only() {
        loom::model(|| {
            let polls = Arc::new(AtomicU64::new(0));
            let busy = Arc::new(AtomicU64::new(0));
            let (p, b) = (polls.clone(), busy.clone());
            let writer = loom::thread::spawn(move || {
                let mut s = WorkerStats::new(1);
                s.record_poll(100);
                s.busy_ns += 100;
                p.store(s.polls, Relaxed);
                b.store(s.busy_ns, Relaxed);
                s.record_poll(5_000);
                s.busy_ns += 5_000;
                p.store(s.polls, Relaxed);
                b.store(s.busy_ns, Relaxed);
            });
            let (p1, b1) = (polls.load(Relaxed), busy.load(Relaxed));
            let (p2, b2) = (polls.load(Relaxed), busy.load(Relaxed));
            writer.join().unwrap();
            assert!([0, 1, 2].contains(&p1) && [0, 1, 2].contains(&p2));
            assert!([0, 100, 5_100].contains(&b1) && [0, 100, 5_100].contains(&b2));
            assert!(p2 >= p1 && b2 >= b1, "a counter went backwards");
            assert_eq!((polls.load(Relaxed), busy.load(Relaxed)), (2, 5_100));
        });
    }
}
