//! The event record: what a worker writes into its ring, and its decoding.
//!
//! A record is [`EVENT_WORDS`] 64-bit words (48 bytes):
//!
//! | word | content |
//! |---|---|
//! | 0 | stamp: sequence number + 1 (0 = empty or being written); owned by the ring protocol |
//! | 1 | timestamp, ns (the writer's monotonic clock) |
//! | 2 | kind (bits 0-15), worker (16-31), `aux` (32-63) |
//! | 3 | task id (0 when the event concerns no task) |
//! | 4, 5 | payload `a`, `b` |
//!
//! Kinds have stable `u16` codes ([`EventKind`]); a code this version does not know decodes as
//! [`EventKind::Unknown`] with its raw payload, never a panic.

use crate::io_op::IoOp;
use crate::lint::Lint;

/// Words per event record, stamp included.
pub const EVENT_WORDS: usize = 6;

/// Bytes per event record.
pub const EVENT_SIZE: usize = EVENT_WORDS * 8;

/// The kind of an event, with its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A task was spawned.
    Spawn,
    /// A poll started.
    PollStart,
    /// A poll ended.
    PollEnd,
    /// A task was woken.
    Wake,
    /// A task yielded.
    Yield,
    /// A task completed.
    Complete,
    /// The worker stole tasks.
    Steal,
    /// The worker parked.
    Park,
    /// The worker unparked.
    Unpark,
    /// An I/O operation was submitted.
    IoSubmit,
    /// An I/O operation completed.
    IoComplete,
    /// A timer fired.
    TimerFire,
    /// A pool grew.
    PoolGrowth,
    /// A lint fired on a task.
    Lint,
    /// A code this version does not know.
    Unknown(u16),
}

const KINDS: [EventKind; 14] = [
    EventKind::Spawn,
    EventKind::PollStart,
    EventKind::PollEnd,
    EventKind::Wake,
    EventKind::Yield,
    EventKind::Complete,
    EventKind::Steal,
    EventKind::Park,
    EventKind::Unpark,
    EventKind::IoSubmit,
    EventKind::IoComplete,
    EventKind::TimerFire,
    EventKind::PoolGrowth,
    EventKind::Lint,
];

impl EventKind {
    /// The stable code: `Spawn` is 1, then in declaration order; 0 is never written.
    #[inline]
    pub fn code(self) -> u16 {
        // Written out (rather than searched in `KINDS`) so a known kind is a constant at the
        // writer's call site; a test checks it against `KINDS`.
        match self {
            EventKind::Spawn => 1,
            EventKind::PollStart => 2,
            EventKind::PollEnd => 3,
            EventKind::Wake => 4,
            EventKind::Yield => 5,
            EventKind::Complete => 6,
            EventKind::Steal => 7,
            EventKind::Park => 8,
            EventKind::Unpark => 9,
            EventKind::IoSubmit => 10,
            EventKind::IoComplete => 11,
            EventKind::TimerFire => 12,
            EventKind::PoolGrowth => 13,
            EventKind::Lint => 14,
            EventKind::Unknown(c) => c,
        }
    }

    /// The kind of `code`.
    pub fn from_code(code: u16) -> EventKind {
        usize::from(code)
            .checked_sub(1)
            .and_then(|i| KINDS.get(i).copied())
            .unwrap_or(EventKind::Unknown(code))
    }
}

/// How a task completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It returned.
    Ok,
    /// It panicked.
    Panicked,
    /// It was cancelled (aborted, or dropped at shutdown).
    Cancelled,
    /// A code this version does not know.
    Unknown(u32),
}

/// Who woke a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WakeSource {
    /// Another task (or the task itself), by id.
    Task(u64),
    /// The I/O or timer driver.
    Driver,
    /// A code this version does not know.
    Unknown(u32),
}

/// What happened, with the payload of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventData {
    /// A task was spawned by `parent` (0: from outside any task) at a spawn location (a string
    /// id, 0 when unknown).
    Spawn {
        /// The spawning task's id, 0 when spawned from outside a task.
        parent: u64,
        /// String-table id of the spawn location, 0 when unknown.
        location: u32,
    },
    /// A poll started.
    PollStart,
    /// A poll ended after `duration_ns`.
    PollEnd {
        /// How long the poll took.
        duration_ns: u64,
    },
    /// The task was woken.
    Wake {
        /// Who woke it.
        by: WakeSource,
    },
    /// The task yielded.
    Yield,
    /// The task completed.
    Complete {
        /// How.
        outcome: Outcome,
    },
    /// The event's worker stole `count` tasks from worker `from`.
    Steal {
        /// The victim worker.
        from: u16,
        /// Tasks taken.
        count: u32,
    },
    /// The worker parked.
    Park,
    /// The worker unparked.
    Unpark,
    /// An I/O operation was submitted.
    IoSubmit {
        /// Its kind.
        op: IoOp,
    },
    /// An I/O operation completed.
    IoComplete {
        /// Its kind.
        op: IoOp,
        /// Submission to completion.
        latency_ns: u64,
        /// The result: bytes or a negative errno.
        result: i64,
    },
    /// A timer fired `late_ns` after its deadline.
    TimerFire {
        /// Lateness.
        late_ns: u64,
    },
    /// Pool slot `pool` grew to `capacity`.
    PoolGrowth {
        /// The pool slot.
        pool: u32,
        /// Its new capacity.
        capacity: u64,
    },
    /// Lint `lint` fired on the event's task; `value` is what tripped it (the poll's duration
    /// in ns for `long_poll` and `no_yield`, the wait in ns for `lost_waker`, the run of
    /// self-wakes for `self_wake_storm`).
    Lint {
        /// Which lint.
        lint: Lint,
        /// What tripped it.
        value: u64,
    },
    /// A kind this version does not know, with its raw payload.
    Unknown {
        /// The code.
        kind: u16,
        /// The 32-bit payload.
        aux: u32,
        /// Payload word `a`.
        a: u64,
        /// Payload word `b`.
        b: u64,
    },
}

/// One decoded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Position in its ring's stream: the ring's n-th event has sequence n, from 0.
    pub seq: u64,
    /// When it happened (ns on the writer's monotonic clock).
    pub timestamp_ns: u64,
    /// The worker whose ring holds it.
    pub worker: u16,
    /// The task it concerns, 0 for none.
    pub task: u64,
    /// What happened.
    pub data: EventData,
}

/// The raw fields of a record below the stamp: `(kind, aux, a, b)`.
type Raw = (u16, u32, u64, u64);

impl EventData {
    /// The kind.
    pub fn kind(&self) -> EventKind {
        EventKind::from_code(self.encode().0)
    }

    #[inline]
    pub(crate) fn encode(&self) -> Raw {
        use EventKind as K;
        let c = |k: EventKind| k.code();
        match *self {
            EventData::Spawn { parent, location } => (c(K::Spawn), location, parent, 0),
            EventData::PollStart => (c(K::PollStart), 0, 0, 0),
            EventData::PollEnd { duration_ns } => (c(K::PollEnd), 0, duration_ns, 0),
            EventData::Wake { by } => (c(K::Wake), wake_aux(by), wake_task(by), 0),
            EventData::Yield => (c(K::Yield), 0, 0, 0),
            EventData::Complete { outcome } => (c(K::Complete), outcome_code(outcome), 0, 0),
            EventData::Steal { from, count } => (c(K::Steal), count, u64::from(from), 0),
            EventData::Park => (c(K::Park), 0, 0, 0),
            EventData::Unpark => (c(K::Unpark), 0, 0, 0),
            EventData::IoSubmit { op } => (c(K::IoSubmit), u32::from(op.index()), 0, 0),
            EventData::IoComplete {
                op,
                latency_ns,
                result,
            } => (
                c(K::IoComplete),
                u32::from(op.index()),
                latency_ns,
                result as u64,
            ),
            EventData::TimerFire { late_ns } => (c(K::TimerFire), 0, late_ns, 0),
            EventData::PoolGrowth { pool, capacity } => (c(K::PoolGrowth), pool, capacity, 0),
            EventData::Lint { lint, value } => (c(K::Lint), lint.index() as u32, value, 0),
            EventData::Unknown { kind, aux, a, b } => (kind, aux, a, b),
        }
    }

    pub(crate) fn decode((kind, aux, a, b): Raw) -> EventData {
        match EventKind::from_code(kind) {
            EventKind::Spawn => EventData::Spawn {
                parent: a,
                location: aux,
            },
            EventKind::PollStart => EventData::PollStart,
            EventKind::PollEnd => EventData::PollEnd { duration_ns: a },
            EventKind::Wake => EventData::Wake {
                by: wake_source(aux, a),
            },
            EventKind::Yield => EventData::Yield,
            EventKind::Complete => EventData::Complete {
                outcome: outcome(aux),
            },
            EventKind::Steal => EventData::Steal {
                from: a.min(u64::from(u16::MAX)) as u16,
                count: aux,
            },
            EventKind::Park => EventData::Park,
            EventKind::Unpark => EventData::Unpark,
            EventKind::IoSubmit => EventData::IoSubmit { op: io_op(aux) },
            EventKind::IoComplete => EventData::IoComplete {
                op: io_op(aux),
                latency_ns: a,
                result: b as i64,
            },
            EventKind::TimerFire => EventData::TimerFire { late_ns: a },
            EventKind::PoolGrowth => EventData::PoolGrowth {
                pool: aux,
                capacity: a,
            },
            EventKind::Lint => EventData::Lint {
                lint: Lint::from_index(aux as usize),
                value: a,
            },
            EventKind::Unknown(kind) => EventData::Unknown { kind, aux, a, b },
        }
    }
}

impl Event {
    /// Words 1.. of the record (everything but the stamp).
    #[inline]
    pub(crate) fn encode(&self) -> [u64; EVENT_WORDS - 1] {
        let (kind, aux, a, b) = self.data.encode();
        let meta = u64::from(kind) | u64::from(self.worker) << 16 | u64::from(aux) << 32;
        [self.timestamp_ns, meta, self.task, a, b]
    }

    /// The event of sequence `seq` from words 1.. of its record.
    pub(crate) fn decode(seq: u64, w: &[u64; EVENT_WORDS - 1]) -> Event {
        let [timestamp_ns, meta, task, a, b] = *w;
        let raw = (meta as u16, (meta >> 32) as u32, a, b);
        Event {
            seq,
            timestamp_ns,
            worker: (meta >> 16) as u16,
            task,
            data: EventData::decode(raw),
        }
    }

    /// Whether every worker index it names is below `workers` (the reader drops it otherwise).
    pub(crate) fn indices_valid(&self, workers: usize) -> bool {
        let victim_ok = match self.data {
            EventData::Steal { from, .. } => usize::from(from) < workers,
            _ => true,
        };
        usize::from(self.worker) < workers && victim_ok
    }
}

fn wake_aux(by: WakeSource) -> u32 {
    match by {
        WakeSource::Task(_) => 0,
        WakeSource::Driver => 1,
        WakeSource::Unknown(c) => c,
    }
}

fn wake_task(by: WakeSource) -> u64 {
    match by {
        WakeSource::Task(id) => id,
        _ => 0,
    }
}

fn wake_source(aux: u32, a: u64) -> WakeSource {
    match aux {
        0 => WakeSource::Task(a),
        1 => WakeSource::Driver,
        c => WakeSource::Unknown(c),
    }
}

fn outcome_code(o: Outcome) -> u32 {
    match o {
        Outcome::Ok => 0,
        Outcome::Panicked => 1,
        Outcome::Cancelled => 2,
        Outcome::Unknown(c) => c,
    }
}

fn outcome(code: u32) -> Outcome {
    match code {
        0 => Outcome::Ok,
        1 => Outcome::Panicked,
        2 => Outcome::Cancelled,
        c => Outcome::Unknown(c),
    }
}

fn io_op(aux: u32) -> IoOp {
    IoOp::from_index(aux.min(u32::from(u16::MAX)) as u16)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn roundtrip(data: EventData) {
        let e = Event {
            seq: 7,
            timestamp_ns: 99,
            worker: 3,
            task: 42,
            data,
        };
        assert_eq!(Event::decode(7, &e.encode()), e, "{data:?}");
    }

    #[test]
    fn every_kind_roundtrips() {
        roundtrip(EventData::Spawn {
            parent: 5,
            location: 9,
        });
        roundtrip(EventData::PollStart);
        roundtrip(EventData::PollEnd { duration_ns: 1234 });
        roundtrip(EventData::Wake {
            by: WakeSource::Task(8),
        });
        roundtrip(EventData::Wake {
            by: WakeSource::Driver,
        });
        roundtrip(EventData::Yield);
        for outcome in [Outcome::Ok, Outcome::Panicked, Outcome::Cancelled] {
            roundtrip(EventData::Complete { outcome });
        }
        roundtrip(EventData::Steal { from: 2, count: 17 });
        roundtrip(EventData::Park);
        roundtrip(EventData::Unpark);
        roundtrip(EventData::IoSubmit { op: IoOp::Accept });
        roundtrip(EventData::IoComplete {
            op: IoOp::Read,
            latency_ns: 10,
            result: -11,
        });
        roundtrip(EventData::TimerFire { late_ns: 3 });
        roundtrip(EventData::PoolGrowth {
            pool: 1,
            capacity: 256,
        });
    }

    #[test]
    fn codes_are_stable_and_unknown_codes_decode() {
        assert_eq!(EventKind::Spawn.code(), 1);
        assert_eq!(EventKind::PoolGrowth.code(), 13);
        assert_eq!(EventKind::Lint.code(), 14);
        // Every known kind: code `i + 1` in declaration order, and back.
        for (i, kind) in KINDS.iter().enumerate() {
            assert_eq!(kind.code(), i as u16 + 1, "{kind:?}");
            assert_eq!(EventKind::from_code(kind.code()), *kind);
        }
        assert_eq!(EventKind::from_code(0), EventKind::Unknown(0));
        assert_eq!(EventKind::from_code(15), EventKind::Unknown(15));
        let raw = [1, 500 | 1 << 16 | 6 << 32, 0, 7, 8];
        let e = Event::decode(0, &raw);
        assert_eq!(
            e.data,
            EventData::Unknown {
                kind: 500,
                aux: 6,
                a: 7,
                b: 8
            }
        );
        assert_eq!(e.data.kind(), EventKind::Unknown(500));
    }

    #[test]
    fn worker_indices_are_validated() {
        let steal = EventData::Steal { from: 4, count: 1 };
        let e = Event {
            seq: 0,
            timestamp_ns: 0,
            worker: 1,
            task: 0,
            data: steal,
        };
        assert!(!e.indices_valid(4), "victim 4 of 4 workers");
        assert!(e.indices_valid(5));
        assert!(!Event {
            worker: 9,
            data: EventData::Park,
            ..e
        }
        .indices_valid(4));
    }
}
