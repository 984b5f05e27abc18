//! Per-worker counters (telemetry on).

use super::histogram::{bucket_of, POLL_BUCKETS};
use super::snapshot::WorkerMetrics;
use super::Telemetry;
use std::time::Instant;

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
    /// Histogram buckets changed since the last publication (bit `i`: bucket `i`), besides
    /// `last_bucket`, which changes with every poll: a publication stores only these.
    hist_dirty: u32,
    /// `stolen_from` changed since the last publication.
    stolen_dirty: bool,
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

/// Worker `index`'s published counters, as `Handle::metrics()` returns them.
pub(crate) fn worker_snapshot(tel: &Telemetry, index: usize) -> WorkerMetrics {
    let b = tel.seg().worker(index);
    WorkerMetrics {
        index,
        polls: b.polls.load(),
        spawned_local: b.spawned_local.load(),
        completed: b.completed.load(),
        steal_attempts: b.steal_attempts.load(),
        steal_operations: b.steal_operations.load(),
        tasks_stolen: b.tasks_stolen.load(),
        stolen_from: tel
            .seg()
            .stolen_from(index)
            .iter()
            .map(|c| c.load())
            .collect(),
        local_queue_depth: b.local_queue_depth.load(),
        lifo_hits: b.lifo_hits.load(),
        parks: b.parks.load(),
        unparks: b.unparks.load(),
        spurious_wakeups: b.spurious_wakeups.load(),
        busy_ns: b.busy_ns.load(),
        budget_forced_yields: b.budget_forced_yields.load(),
        poll_time_histogram: b.poll_histogram.iter().map(|c| c.load()).collect(),
        schedule_time_histogram: b.schedule_histogram.iter().map(|c| c.load()).collect(),
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
            hist_dirty: 0,
            stolen_dirty: false,
            recorded: 0,
            poll_start: Instant::now(),
            stretch_start: Instant::now(),
            last_publish: Instant::now(),
        }
    }

    /// Whether the current poll is a sampled (timed) one.
    #[inline]
    pub(crate) fn sampled(&self) -> bool {
        self.polls.is_multiple_of(POLL_SAMPLE)
    }

    /// A poll starts: every `POLL_SAMPLE`-th one is timed.
    #[inline]
    pub(crate) fn poll_started(&mut self) {
        if self.polls.is_multiple_of(POLL_SAMPLE) {
            self.poll_start = Instant::now();
            super::telemetry::sample_next_poll(self.poll_start);
        }
    }

    /// The poll ended. A timed one takes the duration the task's poll measured, or reads the
    /// clock when there was none (a task cancelled before its poll).
    #[inline]
    pub(crate) fn poll_ended(&mut self) {
        if self.polls.is_multiple_of(POLL_SAMPLE) {
            let ns = super::telemetry::sampled_poll_ns(self.poll_start)
                .unwrap_or_else(|| self.poll_start.elapsed().as_nanos() as u64);
            self.timed_poll_ended(ns);
        }
        self.polls += 1;
    }

    /// A timed poll took `ns`: the untimed polls since the last timed one go into the old
    /// bucket, and this one starts the new bucket's run.
    #[cold]
    fn timed_poll_ended(&mut self, ns: u64) {
        self.poll_hist[self.last_bucket] += self.polls - self.recorded;
        self.hist_dirty |= 1 << self.last_bucket;
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

    /// The clock reading of the current busy stretch's start (or end, after `stretch_ended`).
    #[inline]
    pub(crate) fn clock(&self) -> Instant {
        self.stretch_start
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
        self.stolen_dirty = true;
    }

    /// Stores every counter into worker `index`'s block of the segment (Relaxed: each word is
    /// independent; the worker is the only writer).
    pub(crate) fn publish(&mut self, tel: &Telemetry, index: usize) {
        self.last_publish = self.stretch_start;
        let b = tel.seg().worker(index);
        b.polls.store(self.polls);
        b.spawned_local.store(self.spawned_local);
        b.completed.store(self.completed);
        b.steal_attempts.store(self.steal_attempts);
        b.steal_operations.store(self.steal_operations);
        b.tasks_stolen.store(self.tasks_stolen);
        b.local_queue_depth.store(self.local_queue_depth);
        b.lifo_hits.store(self.lifo_hits);
        b.parks.store(self.parks);
        b.unparks.store(self.unparks);
        b.spurious_wakeups.store(self.spurious_wakeups);
        b.busy_ns.store(self.busy_ns);
        b.budget_forced_yields.store(self.budget_forced_yields);
        // Only what changed: a worker that parks often publishes often (a store per bucket
        // and per victim every time measured on park-heavy workloads).
        let mut dirty = self.hist_dirty | 1 << self.last_bucket;
        while dirty != 0 {
            let i = dirty.trailing_zeros() as usize;
            b.poll_histogram[i].store(self.histogram_entry(i));
            dirty &= dirty - 1;
        }
        self.hist_dirty = 0;
        if std::mem::take(&mut self.stolen_dirty) {
            let row = tel.seg().stolen_from(index);
            for (dst, src) in row.iter().zip(self.stolen_from.iter()) {
                dst.store(*src);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn publish_copies_every_counter() {
        let tel = Telemetry::detached(3);
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
        s.publish(&tel, 1);
        let m = worker_snapshot(&tel, 1);
        assert_eq!(m.polls, 4 + 3 * POLL_SAMPLE);
        // Every poll is in the histogram; where the three timed ones of the loop (and the 128
        // each stands for) land depends on how long they took, so only the known ones are
        // checked (see `untimed_polls_land_in_the_bucket_of_the_timed_one_before`).
        assert_eq!(m.poll_time_histogram.iter().sum::<u64>(), m.polls);
        assert!(m.poll_time_histogram[bucket_of(2_000)] >= 1);
        assert!(m.poll_time_histogram[bucket_of(5_000_000)] >= 1);
        assert_eq!(m.busy_ns, 11);
        assert_eq!(m.stolen_from, vec![0, 0, 5]);
        assert_eq!((m.steal_operations, m.tasks_stolen, m.parks), (1, 5, 7));
    }

    /// A timed poll's bucket also counts the untimed polls after it, until the next timed one:
    /// exact counts with known durations.
    #[test]
    fn untimed_polls_land_in_the_bucket_of_the_timed_one_before() {
        let tel = Telemetry::detached(1);
        let mut s = WorkerStats::new(1);
        s.record_poll(2_000);
        s.polls += 9; // nine untimed polls
        s.record_poll(5_000_000);
        s.polls += 4;
        s.publish(&tel, 0);
        let m = worker_snapshot(&tel, 0);
        assert_eq!(m.polls, 15);
        assert_eq!(m.poll_time_histogram[bucket_of(2_000)], 10);
        assert_eq!(m.poll_time_histogram[bucket_of(5_000_000)], 5);
        assert_eq!(m.poll_time_histogram.iter().sum::<u64>(), 15);
    }
}
