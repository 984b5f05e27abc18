//! Per-second rates from two snapshots taken `elapsed` apart. Counters only grow; a counter
//! that went down (a restarted writer) counts as zero, never as a huge number.

use std::time::Duration;
use zokio_telemetry::{IoOp, Snapshot, WorkerSnapshot};

/// One worker's rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerRates {
    /// Polls per second.
    pub polls: f64,
    /// Tasks stolen per second.
    pub steals: f64,
    /// Parks per second.
    pub parks: f64,
    /// Share of the interval the worker was awake, in percent (0-100).
    pub busy_pct: f64,
    /// Tasks stolen per second from each victim.
    pub stolen_from: Vec<f64>,
}

/// One I/O operation kind's rates.
#[derive(Debug, Clone, PartialEq)]
pub struct IoRates {
    /// The kind.
    pub op: IoOp,
    /// Submissions per second.
    pub submitted: f64,
    /// Completions per second.
    pub completed: f64,
    /// Errors per second.
    pub errors: f64,
    /// Bytes per second.
    pub bytes: f64,
}

/// Everything that has a rate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    /// Per worker, by index.
    pub workers: Vec<WorkerRates>,
    /// Per I/O operation kind, in the snapshot's order.
    pub io: Vec<IoRates>,
    /// Tasks spawned per second (local and remote).
    pub spawned: f64,
    /// Tasks completed per second.
    pub completed: f64,
}

/// `(cur - prev) / seconds`, zero when the counter went down or no time passed.
pub fn per_second(prev: u64, cur: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    cur.saturating_sub(prev) as f64 / secs
}

/// The rates between `prev` and `cur`, taken `elapsed` apart. Workers or operation kinds that
/// `prev` lacks count from zero.
pub fn rates(prev: &Snapshot, cur: &Snapshot, elapsed: Duration) -> Rates {
    let empty = WorkerSnapshot::default();
    let workers = cur
        .workers
        .iter()
        .map(|w| {
            let p = prev.workers.get(w.index).unwrap_or(&empty);
            let in_poll = running_poll_ns(p, w, prev.runtime.clock_ns, cur.runtime.clock_ns);
            worker_rates(p, w, in_poll, elapsed)
        })
        .collect();
    Rates {
        workers,
        io: io_rates(prev, cur, elapsed),
        spawned: per_second(spawned(prev), spawned(cur), elapsed),
        completed: per_second(completed(prev), completed(cur), elapsed),
    }
}

/// Busy time the counters do not show yet: a worker publishes `busy_ns` between polls, so one
/// stuck in a long poll (blocking in async code) would show 0 % busy until the poll returns.
/// The poll running at `cur` (odd `poll_seq`), from when the monitor first saw it (or from
/// `prev` if it was running then already) to `cur`, on the runtime's clock.
fn running_poll_ns(
    prev: &WorkerSnapshot,
    cur: &WorkerSnapshot,
    prev_clock: u64,
    cur_clock: u64,
) -> u64 {
    let c = &cur.counters;
    if c.poll_seq.is_multiple_of(2) || c.stuck_since_ns == 0 {
        return 0;
    }
    let since = if prev.counters.poll_seq == c.poll_seq {
        prev_clock
    } else {
        c.stuck_since_ns.max(prev_clock)
    };
    cur_clock.saturating_sub(since)
}

fn worker_rates(
    prev: &WorkerSnapshot,
    cur: &WorkerSnapshot,
    in_poll_ns: u64,
    elapsed: Duration,
) -> WorkerRates {
    let (p, c) = (&prev.counters, &cur.counters);
    let busy = (c.busy_ns.saturating_sub(p.busy_ns) + in_poll_ns) as f64;
    let wall = elapsed.as_nanos() as f64;
    let stolen_from = cur
        .stolen_from
        .iter()
        .enumerate()
        .map(|(v, &n)| per_second(prev.stolen_from.get(v).copied().unwrap_or(0), n, elapsed))
        .collect();
    WorkerRates {
        polls: per_second(p.polls, c.polls, elapsed),
        steals: per_second(p.tasks_stolen, c.tasks_stolen, elapsed),
        parks: per_second(p.parks, c.parks, elapsed),
        busy_pct: if wall > 0.0 {
            (busy / wall * 100.0).min(100.0)
        } else {
            0.0
        },
        stolen_from,
    }
}

fn io_rates(prev: &Snapshot, cur: &Snapshot, elapsed: Duration) -> Vec<IoRates> {
    cur.io_ops
        .iter()
        .map(|o| {
            let c = &o.counters;
            let p = prev.io_op(o.op).cloned().unwrap_or_default();
            IoRates {
                op: o.op,
                submitted: per_second(p.submitted, c.submitted, elapsed),
                completed: per_second(p.completed, c.completed, elapsed),
                errors: per_second(p.errors, c.errors, elapsed),
                bytes: per_second(p.bytes, c.bytes, elapsed),
            }
        })
        .collect()
}

/// Tasks spawned over the runtime's life: remote spawns plus every worker's local spawns.
pub fn spawned(s: &Snapshot) -> u64 {
    s.runtime.spawned_remote
        + s.workers
            .iter()
            .map(|w| w.counters.spawned_local)
            .sum::<u64>()
}

/// Tasks completed over the runtime's life, over all workers.
pub fn completed(s: &Snapshot) -> u64 {
    s.workers.iter().map(|w| w.counters.completed).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zokio_telemetry::{IoOpCounters, IoOpSnapshot, WorkerCounters};

    fn worker(
        index: usize,
        polls: u64,
        stolen: u64,
        busy_ns: u64,
        from: Vec<u64>,
    ) -> WorkerSnapshot {
        WorkerSnapshot {
            index,
            counters: WorkerCounters {
                polls,
                tasks_stolen: stolen,
                busy_ns,
                parks: polls / 10,
                spawned_local: polls / 2,
                completed: polls / 4,
                ..Default::default()
            },
            stolen_from: from,
            events_pushed: 0,
        }
    }

    fn snapshot(workers: Vec<WorkerSnapshot>, reads: u64) -> Snapshot {
        let counters = IoOpCounters {
            submitted: reads,
            completed: reads,
            errors: reads / 5,
            ..Default::default()
        };
        let mut s = Snapshot {
            workers,
            io_ops: vec![IoOpSnapshot {
                op: IoOp::Read,
                counters,
            }],
            ..Default::default()
        };
        s.runtime.spawned_remote = reads;
        s
    }

    #[test]
    fn rates_are_exact_over_two_seconds() {
        let prev = snapshot(vec![worker(0, 100, 4, 0, vec![0, 4])], 10);
        let cur = snapshot(vec![worker(0, 300, 10, 500_000_000, vec![0, 10])], 50);
        let r = rates(&prev, &cur, Duration::from_secs(2));
        let w = &r.workers[0];
        assert_eq!(w.polls, 100.0);
        assert_eq!(w.steals, 3.0);
        assert_eq!(w.parks, 10.0);
        assert_eq!(w.busy_pct, 25.0);
        assert_eq!(w.stolen_from, vec![0.0, 3.0]);
        assert_eq!(r.io[0].submitted, 20.0);
        assert_eq!(r.io[0].errors, 4.0);
        // spawned: remote 10 -> 50, local 50 -> 150: (40 + 100) / 2
        assert_eq!(r.spawned, 70.0);
        assert_eq!(r.completed, 25.0);
    }

    /// A worker inside one long poll publishes no busy time until the poll returns; the
    /// console counts the poll itself, from when the monitor first saw it.
    #[test]
    fn a_worker_stuck_in_one_poll_is_busy() {
        let stuck = |seq: u64, since: u64| {
            let mut w = worker(0, 100, 0, 7_000_000, vec![]);
            (w.counters.poll_seq, w.counters.stuck_since_ns) = (seq, since);
            w
        };
        let at = |w: WorkerSnapshot, clock: u64| {
            let mut s = snapshot(vec![w], 0);
            s.runtime.clock_ns = clock;
            s
        };
        let second = Duration::from_secs(1);
        // The same poll all along: the whole second.
        let prev = at(stuck(41, 2_500_000_000), 3_000_000_000);
        let cur = at(stuck(41, 2_500_000_000), 4_000_000_000);
        assert_eq!(rates(&prev, &cur, second).workers[0].busy_pct, 100.0);
        // A poll that started (was first seen) a quarter second before `cur`.
        let prev = at(stuck(40, 0), 3_000_000_000);
        let cur = at(stuck(43, 3_750_000_000), 4_000_000_000);
        assert_eq!(rates(&prev, &cur, second).workers[0].busy_pct, 25.0);
        // Between polls: only what the counters say (none here).
        let cur = at(stuck(44, 0), 4_000_000_000);
        assert_eq!(rates(&prev, &cur, second).workers[0].busy_pct, 0.0);
    }

    #[test]
    fn a_counter_that_went_down_or_no_time_is_zero() {
        assert_eq!(per_second(10, 5, Duration::from_secs(1)), 0.0);
        assert_eq!(per_second(0, 5, Duration::ZERO), 0.0);
        let prev = snapshot(vec![], 0);
        let cur = snapshot(vec![worker(0, 30, 0, 0, vec![])], 0);
        assert_eq!(
            rates(&prev, &cur, Duration::from_millis(500)).workers[0].polls,
            60.0
        );
    }
}
