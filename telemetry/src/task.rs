//! The task table: fixed-capacity slots, each a seqlock record (see [`crate::seqlock`]).
//!
//! Slot layout ([`TASK_SLOT_WORDS`] words, 128 bytes): `[seq, live, id, parent, name, location,
//! state, polls, busy_ns, scheduled_ns, idle_ns, wakes, self_wakes, last_poll_duration_ns,
//! lints << 32, state_since_ns]`; the state word holds `state | worker << 16`.
//!
//! Allocation is the writer process's business and lives outside the segment: a bitmap of
//! claimed slots, one bit per slot, claimed with a compare-and-swap, so any thread may claim and
//! release. When every slot is taken, [`TaskTable::claim`] counts the task in the runtime block's
//! `task_table_overflows` and returns `None`: the task is not listed, and the count says so.
//!
//! A [`TaskSlot`] is the one writer of its slot: `update` takes `&mut self`, which is the
//! seqlock's single-writer rule. Readers copy a slot with bounded retries and report a slot they
//! could not copy as busy.

use crate::counters::Counter;
use crate::seqlock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Words per task slot, sequence included.
pub const TASK_SLOT_WORDS: usize = 16;

/// Payload words per slot (everything after the sequence).
pub(crate) const TASK_PAYLOAD_WORDS: usize = TASK_SLOT_WORDS - 1;

/// What a task is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting to be woken. (Zokio's runtime shows a task woken by another one as idle until
    /// its poll starts, which adds the wait to `scheduled_ns`: the waker does not write the
    /// record.)
    #[default]
    Idle,
    /// Waiting in a queue: spawned, or woken during its own poll (it yielded).
    Scheduled,
    /// Being polled.
    Running,
    /// A code this version does not know.
    Unknown(u64),
}

impl TaskState {
    fn code(self) -> u64 {
        match self {
            TaskState::Idle => 0,
            TaskState::Scheduled => 1,
            TaskState::Running => 2,
            TaskState::Unknown(c) => c,
        }
    }

    fn from_code(code: u64) -> TaskState {
        match code {
            0 => TaskState::Idle,
            1 => TaskState::Scheduled,
            2 => TaskState::Running,
            c => TaskState::Unknown(c),
        }
    }
}

/// One task's record, as the writer keeps it and the reader decodes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskRecord {
    /// Task id (unique within the runtime).
    pub id: u64,
    /// The spawning task's id, 0 when spawned from outside a task.
    pub parent: u64,
    /// String-table id of the task's name, 0 for none.
    pub name: u32,
    /// String-table id of the spawn location, 0 for none.
    pub location: u32,
    /// What it is doing.
    pub state: TaskState,
    /// Times polled.
    pub polls: u64,
    /// Nanoseconds being polled. Zokio's runtime estimates it from sampled polls (one in 128
    /// is timed and stands for the 128) plus every poll its monitor flagged as long.
    pub busy_ns: u64,
    /// Nanoseconds spent scheduled but not yet polled: from spawn, a wake or a self-wake to the
    /// poll that followed (time waiting in a run queue). Zokio's runtime measures it and
    /// `idle_ns` on its coarse clock (advanced every 10 ms and at parks): each interval is
    /// counted in whole ticks, so single intervals shorter than a tick mostly count 0 and
    /// sometimes one tick, and the sums are right on average. Added when the poll starts.
    pub scheduled_ns: u64,
    /// Nanoseconds idle: from the end of a poll to the wake that scheduled the task again
    /// (waiting for its I/O, timer or message). Added when the next poll starts, like
    /// `scheduled_ns`; the current stretch shows in `state` and `state_since_ns`.
    pub idle_ns: u64,
    /// Times woken (each wake that led to a poll; wakes while already queued coalesce).
    pub wakes: u64,
    /// Times it woke itself.
    pub self_wakes: u64,
    /// How long its last timed poll took, ns (0: none timed yet).
    pub last_poll_duration_ns: u64,
    /// The worker that last polled it.
    pub worker: u16,
    /// The lints it tripped: bit `i` is [`Lint::from_index(i)`](crate::Lint::from_index).
    pub lints: u32,
    /// When it entered its current state (ns on the writer's monotonic clock, as event
    /// timestamps): with `state`, how long it has been idle, scheduled or running.
    pub state_since_ns: u64,
}

impl TaskRecord {
    /// The payload words, `live` first.
    #[inline]
    pub(crate) fn encode(&self, live: bool) -> [u64; TASK_PAYLOAD_WORDS] {
        let names = u64::from(self.name);
        [
            u64::from(live),
            self.id,
            self.parent,
            names,
            u64::from(self.location),
            self.state.code() & 0xffff | u64::from(self.worker) << 16,
            self.polls,
            self.busy_ns,
            self.scheduled_ns,
            self.idle_ns,
            self.wakes,
            self.self_wakes,
            self.last_poll_duration_ns,
            u64::from(self.lints) << 32,
            self.state_since_ns,
        ]
    }

    /// The record in payload words, and whether it is live. Out-of-range ids decode as 0 and
    /// an out-of-range worker as `u16::MAX`: the reader checks them.
    pub(crate) fn decode(w: &[u64; TASK_PAYLOAD_WORDS]) -> (bool, TaskRecord) {
        let small = |v: u64| u32::try_from(v).unwrap_or(0);
        let record = TaskRecord {
            id: w[1],
            parent: w[2],
            name: small(w[3]),
            location: small(w[4]),
            state: TaskState::from_code(w[5] & 0xffff),
            polls: w[6],
            busy_ns: w[7],
            scheduled_ns: w[8],
            idle_ns: w[9],
            wakes: w[10],
            self_wakes: w[11],
            last_poll_duration_ns: w[12],
            worker: (w[5] >> 16) as u16,
            lints: (w[13] >> 32) as u32,
            state_since_ns: w[14],
        };
        (w[0] == 1, record)
    }
}

/// A word of a task record that a writer may store on its own, without the seqlock: counters
/// and state that readers do not need consistent with each other (each word is atomic). The
/// identity words (id, parent, name, location) are written once, under the seqlock, by
/// [`TaskTable::claim_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskField {
    /// [`TaskRecord::state`] and [`TaskRecord::worker`]: `state code | worker << 16` (see
    /// [`TaskState::word`]), one store per change.
    State = 5,
    /// [`TaskRecord::polls`].
    Polls = 6,
    /// [`TaskRecord::busy_ns`].
    BusyNs = 7,
    /// [`TaskRecord::scheduled_ns`].
    ScheduledNs = 8,
    /// [`TaskRecord::idle_ns`].
    IdleNs = 9,
    /// [`TaskRecord::wakes`].
    Wakes = 10,
    /// [`TaskRecord::self_wakes`].
    SelfWakes = 11,
    /// [`TaskRecord::last_poll_duration_ns`].
    LastPollDurationNs = 12,
    /// [`TaskRecord::lints`]: `lints << 32`.
    Lints = 13,
    /// [`TaskRecord::state_since_ns`].
    StateSinceNs = 14,
}

impl TaskState {
    /// The code stored in the record's state word.
    pub fn to_code(self) -> u64 {
        self.code()
    }

    /// The record's state word for this state on `worker`.
    pub fn word(self, worker: u16) -> u64 {
        self.code() & 0xffff | u64::from(worker) << 16
    }
}

/// One task slot's words, for a writer that stores counters and state one word at a time (see
/// [`TaskField`]): no seqlock, no bounds checks past the slot's.
#[derive(Debug, Clone, Copy)]
pub struct TaskWords<'a>(pub(crate) &'a [AtomicU64; TASK_SLOT_WORDS]);

impl<'a> TaskWords<'a> {
    #[inline]
    pub(crate) fn word(self, field: TaskField) -> &'a AtomicU64 {
        &self.0[field as usize + 1]
    }

    /// Stores `field` (Relaxed).
    #[inline]
    pub fn store(&self, field: TaskField, value: u64) {
        self.word(field).store(value, Ordering::Relaxed);
    }

    /// Loads `field` (the writer reading back its own value).
    #[inline]
    pub fn load(&self, field: TaskField) -> u64 {
        self.word(field).load(Ordering::Relaxed)
    }
}

/// The writer's view of the task table.
#[derive(Debug, Clone, Copy)]
pub struct TaskTable<'a> {
    slots: &'a [AtomicU64],
    claimed: &'a [AtomicU64],
    hint: &'a AtomicU64,
    overflows: &'a Counter,
}

/// The claim bitmap for `capacity` slots: bits past the capacity start set so they are never
/// claimed.
pub(crate) fn claim_bitmap(capacity: usize) -> Vec<AtomicU64> {
    (0..capacity.div_ceil(64))
        .map(|i| {
            let valid = (capacity - i * 64).min(64);
            AtomicU64::new(if valid == 64 { 0 } else { !0u64 << valid })
        })
        .collect()
}

impl<'a> TaskTable<'a> {
    #[inline]
    pub(crate) fn new(
        slots: &'a [AtomicU64],
        claimed: &'a [AtomicU64],
        hint: &'a AtomicU64,
        overflows: &'a Counter,
    ) -> TaskTable<'a> {
        TaskTable {
            slots,
            claimed,
            hint,
            overflows,
        }
    }

    /// Slots in the table.
    pub fn capacity(&self) -> usize {
        self.slots.len() / TASK_SLOT_WORDS
    }

    /// Claims a free slot; `None` (counted as an overflow) when the table is full. The slot is
    /// not listed until its first [`TaskSlot::update`].
    pub fn claim(&self) -> Option<TaskSlot<'a>> {
        let index = self.claim_index()?;
        // The claim's Acquire ordered us after the last owner's final write.
        let seq = self.words(index)[0].load(Ordering::Relaxed);
        Some(TaskSlot {
            table: *self,
            index,
            seq,
            record: TaskRecord::default(),
        })
    }

    /// Sets a free slot's bit: its index, or `None` (counted as an overflow) when all are set.
    ///
    /// The hint holds the bitmap word to start from and, in its high half, how many claims may
    /// still fail at once after a scan found the table full (a full scan reads every word: on a
    /// runtime with more live tasks than slots each spawn paid for one). [`TaskTable::free`]
    /// clears the count. A free racing with the failing scan may leave the count set with a
    /// slot free: then at most [`FULL_SKIP`] claims overflow before the next scan finds it.
    fn claim_index(&self) -> Option<usize> {
        let n = self.claimed.len();
        let hint = self.hint.load(Ordering::Relaxed);
        let (start, skip) = ((hint & HINT_WORD) as usize, hint >> 32);
        if skip > 0 {
            self.hint
                .store(start as u64 | (skip - 1) << 32, Ordering::Relaxed);
            self.overflows.add(1);
            return None;
        }
        for i in (0..n).map(|i| (start + i) % n) {
            if let Some(bit) = claim_bit(&self.claimed[i]) {
                if i != start {
                    self.hint.store(i as u64, Ordering::Relaxed);
                }
                return Some(i * 64 + bit);
            }
        }
        self.hint
            .store(start as u64 | FULL_SKIP << 32, Ordering::Relaxed);
        self.overflows.add(1);
        None
    }

    #[inline]
    fn words(&self, index: usize) -> &'a [AtomicU64] {
        &self.slots[index * TASK_SLOT_WORDS..(index + 1) * TASK_SLOT_WORDS]
    }

    /// Claims a slot and publishes `record` in it, for a writer that keeps the slot by index
    /// (the runtime stores it in the task): `None`, counted as an overflow, when the table is
    /// full. Later writes go through [`TaskTable::store`]; [`TaskTable::release`] frees it. A
    /// slot has one writer at a time, and each writer's writes happen before the next's (the
    /// runtime's task state hands a task from one worker to the next).
    pub fn claim_with(&self, record: &TaskRecord) -> Option<usize> {
        let index = self.claim_index()?;
        self.publish(index, record);
        Some(index)
    }

    /// Publishes `record` as live in slot `index`, which the caller holds: claimed through
    /// [`TaskTable::claim_with`] and since [`TaskTable::retire`]d by the same thread, so it is
    /// still claimed and no reader lists it. (A writer keeping retired slots for its next tasks
    /// touches neither the shared bitmap nor lines another core wrote.) Panics if out of range.
    #[inline]
    pub fn publish(&self, index: usize, record: &TaskRecord) {
        let words = self.words(index);
        let mut seq = words[0].load(Ordering::Relaxed);
        seqlock::write(words, &mut seq, &record.encode(true));
    }

    /// Stores one word of slot `index`'s record (Relaxed, no seqlock: see [`TaskField`]).
    /// Panics if `index` is out of range.
    #[inline]
    pub fn store(&self, index: usize, field: TaskField, value: u64) {
        self.slots[index * TASK_SLOT_WORDS + field as usize + 1].store(value, Ordering::Relaxed);
    }

    /// Loads one word of slot `index`'s record (the writer reading back its own counter).
    #[inline]
    pub fn load(&self, index: usize, field: TaskField) -> u64 {
        self.slots[index * TASK_SLOT_WORDS + field as usize + 1].load(Ordering::Relaxed)
    }

    /// Marks slot `index` not live (under the seqlock) and frees it: the task is gone.
    pub fn release(&self, index: usize) {
        self.retire(index);
        self.free(index);
    }

    /// Marks slot `index` not live (under the seqlock), keeping it claimed: readers no longer
    /// list it, and the caller may [`TaskTable::publish`] its next task there or
    /// [`TaskTable::free`] it.
    #[inline]
    pub fn retire(&self, index: usize) {
        let words = self.words(index);
        let mut seq = words[0].load(Ordering::Relaxed);
        // Only the `live` word changes: a one-word seqlock write (the rest stays as it was).
        seqlock::write(&words[..2], &mut seq, &[0]);
    }

    /// Returns retired slot `index` to the free slots (any thread may claim it next).
    pub fn free(&self, index: usize) {
        let (word, bit) = (index / 64, index % 64);
        self.claimed[word].fetch_and(!(1u64 << bit), Ordering::Release);
        if self.hint.load(Ordering::Relaxed) >> 32 != 0 {
            // The table was full: the next claim starts here, at once.
            self.hint.store(word as u64, Ordering::Relaxed);
        }
    }
}

/// The claim hint's bitmap word (its low half).
const HINT_WORD: u64 = 0xffff_ffff;

/// Claims that fail without a scan after one found the table full.
const FULL_SKIP: u64 = 63;

/// Sets the lowest clear bit of `word`; its index, or `None` when all are set.
fn claim_bit(word: &AtomicU64) -> Option<usize> {
    let mut current = word.load(Ordering::Relaxed);
    while current != u64::MAX {
        let bit = (!current).trailing_zeros() as usize;
        match word.compare_exchange_weak(
            current,
            current | 1 << bit,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => return Some(bit),
            Err(now) => current = now,
        }
    }
    None
}

/// A claimed task slot: the one writer of its record. Dropping it releases the slot.
#[derive(Debug)]
pub struct TaskSlot<'a> {
    table: TaskTable<'a>,
    index: usize,
    /// The slot's seqlock sequence, kept here by its one writer.
    seq: u64,
    record: TaskRecord,
}

impl TaskSlot<'_> {
    /// The slot's index in the table.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The record as last written.
    pub fn record(&self) -> &TaskRecord {
        &self.record
    }

    /// Changes the record and publishes it (one seqlock write of the slot; no lock, allocation
    /// or system call).
    pub fn update(&mut self, f: impl FnOnce(&mut TaskRecord)) {
        f(&mut self.record);
        seqlock::write(
            self.table.words(self.index),
            &mut self.seq,
            &self.record.encode(true),
        );
    }

    /// Marks the slot not live and returns it to the table (the same as dropping it).
    pub fn release(self) {}
}

impl Drop for TaskSlot<'_> {
    fn drop(&mut self) {
        seqlock::write(
            self.table.words(self.index),
            &mut self.seq,
            &self.record.encode(false),
        );
        self.table.free(self.index);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Slot `i`'s payload as a reader decodes it: whether it is live, and the record.
    fn decoded(table: &TaskTable<'_>, i: usize) -> (bool, TaskRecord) {
        let mut words = [0u64; TASK_PAYLOAD_WORDS];
        for (w, src) in words.iter_mut().zip(&table.words(i)[1..]) {
            *w = src.load(Ordering::Relaxed);
        }
        TaskRecord::decode(&words)
    }

    struct Fixture {
        slots: Vec<AtomicU64>,
        claimed: Vec<AtomicU64>,
        hint: AtomicU64,
        overflows: Counter,
    }

    fn fixture(capacity: usize) -> Fixture {
        Fixture {
            slots: (0..capacity * TASK_SLOT_WORDS)
                .map(|_| AtomicU64::new(0))
                .collect(),
            claimed: claim_bitmap(capacity),
            hint: AtomicU64::new(0),
            overflows: Counter::default(),
        }
    }

    impl Fixture {
        fn table(&self) -> TaskTable<'_> {
            TaskTable::new(&self.slots, &self.claimed, &self.hint, &self.overflows)
        }
    }

    #[test]
    fn overflow_is_counted_exactly_and_release_frees_a_slot() {
        let f = fixture(70);
        let table = f.table();
        let mut held: Vec<_> = (0..70).map(|_| table.claim().expect("free slot")).collect();
        let mut indices: Vec<usize> = held.iter().map(TaskSlot::index).collect();
        indices.sort_unstable();
        assert_eq!(indices, (0..70).collect::<Vec<_>>());
        for _ in 0..3 {
            assert!(table.claim().is_none());
        }
        assert_eq!(f.overflows.load(), 3);
        let freed = held.swap_remove(10).index();
        let again = table.claim().expect("the freed slot");
        assert_eq!(again.index(), freed);
        held.push(again);
        // Full again: a hundred more claims overflow, each counted (most without a scan).
        for _ in 0..100 {
            assert!(table.claim().is_none());
        }
        assert_eq!(f.overflows.load(), 103);
        let freed = held.swap_remove(20).index();
        assert_eq!(
            table.claim().map(|s| s.index()),
            Some(freed),
            "a free ends the skip"
        );
    }

    #[test]
    fn claim_with_store_and_release_by_index() {
        let f = fixture(2);
        let table = f.table();
        let record = TaskRecord {
            id: 7,
            parent: 1,
            ..TaskRecord::default()
        };
        let i = table.claim_with(&record).unwrap();
        table.store(i, TaskField::Polls, 12);
        table.store(i, TaskField::State, TaskState::Running.word(3));
        table.store(i, TaskField::Lints, 1 << 33);
        let (live, r) = decoded(&table, i);
        assert!(live);
        assert_eq!(
            (r.id, r.parent, r.polls, r.state),
            (7, 1, 12, TaskState::Running)
        );
        assert_eq!((r.worker, r.lints), (3, 2));
        assert_eq!(table.load(i, TaskField::Polls), 12);
        table.release(i);
        assert_eq!(table.words(i)[1].load(Ordering::Relaxed), 0, "not live");
        assert_eq!(table.claim_with(&record), Some(i), "freed");
    }

    #[test]
    fn a_retired_slot_stays_claimed_until_freed() {
        let f = fixture(1);
        let table = f.table();
        let first = TaskRecord {
            id: 7,
            polls: 3,
            ..TaskRecord::default()
        };
        let i = table.claim_with(&first).unwrap();
        table.retire(i);
        assert!(!decoded(&table, i).0, "retired: not listed");
        assert_eq!(table.claim_with(&first), None, "retired: still claimed");
        assert_eq!(f.overflows.load(), 1);
        let second = TaskRecord {
            id: 8,
            ..TaskRecord::default()
        };
        table.publish(i, &second);
        assert_eq!(
            decoded(&table, i),
            (true, second),
            "the whole record is the new task's"
        );
        assert_eq!(
            table.words(i)[0].load(Ordering::Relaxed),
            6,
            "three seqlock writes"
        );
        table.retire(i);
        table.free(i);
        assert_eq!(table.claim_with(&first), Some(i), "freed");
    }

    #[test]
    fn records_roundtrip_through_the_payload() {
        let r = TaskRecord {
            id: 9,
            parent: 3,
            name: 2,
            location: 1,
            state: TaskState::Running,
            polls: 5,
            worker: 1,
            ..TaskRecord::default()
        };
        assert_eq!(TaskRecord::decode(&r.encode(true)), (true, r));
        assert!(!TaskRecord::decode(&r.encode(false)).0);
    }
}
