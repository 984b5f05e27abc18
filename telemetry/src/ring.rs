//! The per-worker event ring: a single-writer overwrite ring in the manner of perf's
//! `perf_event` ring buffer, with a per-record stamp so readers detect torn and lapped records.
//!
//! Layout (words): `[head, 15 reserved][record 0][record 1]...`, `capacity` records of
//! [`EVENT_WORDS`] words, `capacity` a power of two.
//!
//! Protocol:
//!
//! * `head` counts the events ever pushed; event `n` lives in record `n & (capacity - 1)`.
//! * One writer (the worker that owns the ring) pushes event `n = head`: stamp = 0 (Relaxed),
//!   `fence(Release)`, payload words (Relaxed), stamp = `n + 1` (Release), head = `n + 1`
//!   (Release). It never waits for readers: it overwrites the oldest record.
//! * Each reader keeps its own [`EventCursor`] (the next sequence it wants) and reads `head`
//!   (then `fence(Acquire)`). Events older than `head - capacity` were overwritten: they are
//!   counted lost at once. For each remaining sequence `n` it reads the stamp, `fence(Acquire)`,
//!   copies the payload, `fence(Acquire)`, and re-reads the stamp; the record is event `n`, whole,
//!   only if both stamps equal `n + 1` (the seqlock argument of [`crate::seqlock`], with the stamp
//!   as the sequence). Otherwise the writer lapped the reader during the read: the event is lost.
//! * So for every read, `events.len() + lost + invalid` equals the sequences the cursor moved
//!   over, and the cursor ends at the `head` it read. Lost events are counted, never silent.
//!
//! The reader never trusts the ring: a `head` behind the cursor is reported as an error, the
//! loop covers at most `capacity` records, and decoded worker indices are checked.

use crate::event::{Event, EVENT_WORDS};
use crate::loom::sync::atomic::{fence, AtomicU64, Ordering};
use crate::words::Words;
use std::cell::Cell;

/// Words before the first record (the head, padded to 128 bytes).
pub const RING_HEADER_WORDS: usize = 16;

/// Words of a ring of `capacity` records, rounded up to 128 bytes.
pub const fn ring_words(capacity: usize) -> usize {
    (RING_HEADER_WORDS + capacity * EVENT_WORDS).div_ceil(16) * 16
}

/// The writer's handle on one ring. One writer per ring: the worker that owns it keeps one
/// handle (it caches the head, so the writer never reads shared memory, and it is not `Sync`).
#[derive(Debug)]
pub struct EventRing<'a> {
    words: &'a [AtomicU64],
    mask: u64,
    worker: u16,
    head: Cell<u64>,
}

impl<'a> EventRing<'a> {
    /// A ring over `words` (at least [`ring_words`]`(capacity)` words), `capacity` a power of two,
    /// continuing from the head stored there.
    #[cfg(not(loom))]
    pub(crate) fn new(words: &'a [AtomicU64], capacity: usize, worker: u16) -> EventRing<'a> {
        let head = words[0].load(Ordering::Relaxed);
        EventRing::starting_at(words, capacity, worker, head)
    }

    /// A ring whose writer knows the head already (a fresh ring: 0).
    #[inline]
    pub(crate) fn starting_at(
        words: &'a [AtomicU64],
        capacity: usize,
        worker: u16,
        head: u64,
    ) -> EventRing<'a> {
        assert!(capacity.is_power_of_two() && words.len() >= ring_words(capacity));
        let (mask, head) = (capacity as u64 - 1, Cell::new(head));
        EventRing {
            words,
            mask,
            worker,
            head,
        }
    }

    /// Appends an event, overwriting the oldest when full. Never blocks, allocates or makes a
    /// system call.
    #[inline]
    pub fn push(&self, timestamp_ns: u64, task: u64, data: crate::EventData) {
        let head = self.head.get();
        self.head.set(head.wrapping_add(1));
        let start = RING_HEADER_WORDS + (head & self.mask) as usize * EVENT_WORDS;
        let record = &self.words[start..start + EVENT_WORDS];
        let event = Event {
            seq: head,
            timestamp_ns,
            worker: self.worker,
            task,
            data,
        };
        write_record(&self.words[0], record, head, event.encode());
    }

    /// Events pushed so far.
    #[inline]
    pub fn pushed(&self) -> u64 {
        self.head.get()
    }
}

/// Writes event `seq` (its words 1.., as [`Event::encode`] makes them) into `record` (the
/// [`EVENT_WORDS`] words of its slot) and publishes it through the ring's `head_word`: the
/// writer's half of the protocol above, the one place it is written.
#[inline(always)]
pub(crate) fn write_record(
    head_word: &AtomicU64,
    record: &[AtomicU64],
    seq: u64,
    words: [u64; EVENT_WORDS - 1],
) {
    let [stamp, payload @ ..] = record else {
        unreachable!("a record has {EVENT_WORDS} words")
    };
    stamp.store(0, Ordering::Relaxed);
    fence(Ordering::Release);
    for (dst, v) in payload.iter().zip(words) {
        dst.store(v, Ordering::Relaxed);
    }
    stamp.store(seq.wrapping_add(1), Ordering::Release);
    head_word.store(seq.wrapping_add(1), Ordering::Release);
}

/// A reader's position in one ring: the sequence of the next event it wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCursor {
    next: u64,
}

impl EventCursor {
    /// A cursor at the first event ever pushed: its first read counts everything already
    /// overwritten as lost.
    pub fn new() -> EventCursor {
        EventCursor { next: 0 }
    }

    /// A cursor at sequence `seq`.
    pub fn at(seq: u64) -> EventCursor {
        EventCursor { next: seq }
    }

    /// The sequence of the next event this cursor will read.
    pub fn next_seq(&self) -> u64 {
        self.next
    }
}

/// What one read of a ring returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventBatch {
    /// Whole events, in sequence order.
    pub events: Vec<Event>,
    /// Events overwritten before this reader copied them.
    pub lost: u64,
    /// Records dropped because they named a worker index outside the segment.
    pub invalid: u64,
}

/// Why a ring could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RingError {
    /// The ring's head is behind the cursor: the ring is not the one the cursor was reading, or
    /// it is corrupt.
    HeadBehindCursor,
    /// The ring lies outside the segment.
    OutOfBounds,
}

/// A validated ring position for reading: word `base` of the segment, `capacity` records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RingView {
    pub(crate) base: usize,
    pub(crate) capacity: u64,
    pub(crate) workers: usize,
}

impl RingView {
    /// Reads the events from `cursor` up to the head, advancing the cursor.
    pub(crate) fn read<W: Words + ?Sized>(
        &self,
        words: &W,
        cursor: &mut EventCursor,
    ) -> Result<EventBatch, RingError> {
        let head = self.head(words)?;
        if head < cursor.next {
            return Err(RingError::HeadBehindCursor);
        }
        let oldest = head.saturating_sub(self.capacity);
        let mut batch = EventBatch {
            lost: oldest.saturating_sub(cursor.next),
            ..EventBatch::default()
        };
        for seq in cursor.next.max(oldest)..head {
            match self.record(words, seq) {
                Some(e) if e.indices_valid(self.workers) => batch.events.push(e),
                Some(_) => batch.invalid += 1,
                None => batch.lost += 1,
            }
        }
        cursor.next = head;
        Ok(batch)
    }

    /// The head (events pushed), with acquire ordering.
    pub(crate) fn head<W: Words + ?Sized>(&self, words: &W) -> Result<u64, RingError> {
        let head = words.load(self.base).ok_or(RingError::OutOfBounds)?;
        fence(Ordering::Acquire);
        Ok(head)
    }

    /// Event `seq` if its record still holds it, whole.
    fn record<W: Words + ?Sized>(&self, words: &W, seq: u64) -> Option<Event> {
        let slot = (seq & (self.capacity - 1)) as usize;
        let start = self.base + RING_HEADER_WORDS + slot * EVENT_WORDS;
        let stamp = seq.wrapping_add(1);
        if words.load(start)? != stamp {
            return None;
        }
        fence(Ordering::Acquire);
        let mut payload = [0u64; EVENT_WORDS - 1];
        for (i, w) in payload.iter_mut().enumerate() {
            *w = words.load(start + 1 + i)?;
        }
        fence(Ordering::Acquire);
        (words.load(start)? == stamp).then(|| Event::decode(seq, &payload))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::EventData;

    fn ring_memory(capacity: usize) -> Vec<AtomicU64> {
        (0..ring_words(capacity))
            .map(|_| AtomicU64::new(0))
            .collect()
    }

    fn view(capacity: usize) -> RingView {
        RingView {
            base: 0,
            capacity: capacity as u64,
            workers: 2,
        }
    }

    fn push_n(ring: &EventRing<'_>, from: u64, n: u64) {
        for i in from..from + n {
            ring.push(i * 10, i, EventData::PollEnd { duration_ns: i });
        }
    }

    #[test]
    fn fewer_than_capacity_read_exactly_in_order() {
        let mem = ring_memory(8);
        let ring = EventRing::new(&mem, 8, 1);
        push_n(&ring, 0, 5);
        let mut cursor = EventCursor::new();
        let batch = view(8).read(&mem[..], &mut cursor).unwrap();
        assert_eq!((batch.lost, batch.invalid), (0, 0));
        let seqs: Vec<u64> = batch.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3, 4]);
        assert!(batch
            .events
            .iter()
            .all(|e| e.task == e.seq && e.worker == 1));
        assert_eq!(batch.events[3].data, EventData::PollEnd { duration_ns: 3 });
        assert_eq!(cursor.next_seq(), 5);
        assert_eq!(
            view(8).read(&mem[..], &mut cursor).unwrap(),
            EventBatch::default()
        );
    }

    #[test]
    fn a_lapped_reader_loses_exactly_the_overwritten_events() {
        let mem = ring_memory(8);
        let ring = EventRing::new(&mem, 8, 0);
        let mut cursor = EventCursor::new();
        push_n(&ring, 0, 3);
        assert_eq!(view(8).read(&mem[..], &mut cursor).unwrap().events.len(), 3);
        push_n(&ring, 3, 8 + 5); // capacity + 5 past the cursor
        let batch = view(8).read(&mem[..], &mut cursor).unwrap();
        assert_eq!(batch.lost, 5);
        let seqs: Vec<u64> = batch.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (8..16).collect::<Vec<_>>());
        assert_eq!(ring.pushed(), 16);
    }

    #[test]
    fn a_torn_record_is_lost_not_returned() {
        let mem = ring_memory(4);
        let ring = EventRing::new(&mem, 4, 0);
        push_n(&ring, 0, 2);
        mem[RING_HEADER_WORDS].store(0, Ordering::Relaxed); // record 0 being rewritten
        let batch = view(4).read(&mem[..], &mut EventCursor::new()).unwrap();
        assert_eq!((batch.events.len(), batch.lost), (1, 1));
    }

    #[test]
    fn a_head_behind_the_cursor_is_an_error() {
        let mem = ring_memory(4);
        let mut cursor = EventCursor::at(3);
        assert_eq!(
            view(4).read(&mem[..], &mut cursor),
            Err(RingError::HeadBehindCursor)
        );
    }

    #[test]
    fn invalid_worker_indices_are_counted() {
        let mem = ring_memory(4);
        let ring = EventRing::new(&mem, 4, 7); // worker 7 of 2
        push_n(&ring, 0, 2);
        let batch = view(4).read(&mem[..], &mut EventCursor::new()).unwrap();
        assert_eq!((batch.events.len(), batch.invalid), (0, 2));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::EventData;

    /// A writer laps a reader on a 2-record ring (3 pushes): every returned event is whole (all
    /// payload words equal its sequence), in order, and returned + lost covers exactly the
    /// sequences the cursor moved over, in two reads racing the writer and one after it.
    #[test]
    fn lapped_reader_never_returns_a_torn_record() {
        loom::model(|| {
            let mem: Arc<Vec<AtomicU64>> =
                Arc::new((0..ring_words(2)).map(|_| AtomicU64::new(0)).collect());
            let w = mem.clone();
            let writer = loom::thread::spawn(move || {
                let ring = EventRing::starting_at(&w, 2, 0, 0);
                for i in 0..3u64 {
                    ring.push(i, i, EventData::TimerFire { late_ns: i });
                }
            });
            let view = RingView {
                base: 0,
                capacity: 2,
                workers: 1,
            };
            let mut cursor = EventCursor::new();
            let mut seen = Vec::new();
            let mut accounted = 0;
            for _ in 0..2 {
                let before = cursor.next_seq();
                let batch = view.read(&mem[..], &mut cursor).unwrap();
                for e in &batch.events {
                    assert_eq!((e.timestamp_ns, e.task), (e.seq, e.seq), "torn {e:?}");
                    assert_eq!(e.data, EventData::TimerFire { late_ns: e.seq });
                }
                assert_eq!(
                    batch.events.len() as u64 + batch.lost,
                    cursor.next_seq() - before
                );
                accounted += batch.events.len() as u64 + batch.lost;
                seen.extend(batch.events.iter().map(|e| e.seq));
            }
            writer.join().unwrap();
            let last = view.read(&mem[..], &mut cursor).unwrap();
            accounted += last.events.len() as u64 + last.lost;
            seen.extend(last.events.iter().map(|e| e.seq));
            assert!(
                seen.windows(2).all(|p| p[0] < p[1]),
                "out of order {seen:?}"
            );
            assert_eq!(accounted, 3);
            assert_eq!(cursor.next_seq(), 3);
        });
    }
}
