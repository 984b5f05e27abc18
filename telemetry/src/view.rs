//! The reading logic, over any [`Words`] source: the mapped file and a byte slice run the same
//! code, so what the fuzzers exercise is what `zokio-console` runs.

use crate::counters::{
    IoDriverCounters, IoOpCounters, PoolCounters, RuntimeCounters, WorkerBlock, WorkerCounters,
    HISTOGRAM_BUCKETS,
};
use crate::error::{corrupt, Result};
use crate::io_op::IoOp;
use crate::layout::*;
use crate::ring::{EventBatch, EventCursor, RingError, RingView};
use crate::seqlock::{self, SeqRead, READ_RETRIES};
use crate::snapshot::*;
use crate::strings;
use crate::task::{TaskRecord, TASK_PAYLOAD_WORDS};
use crate::validate::validate;
use crate::words::{unpack_str, Words};
use std::mem::offset_of;

/// A validated segment, ready to read.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub(crate) layout: Layout,
}

impl View {
    /// Validates `words` (`len` bytes).
    pub(crate) fn new<W: Words + ?Sized>(words: &W, len: u64) -> Result<View> {
        validate(words, len).map(|layout| View { layout })
    }

    fn header_words<W: Words + ?Sized>(words: &W, offset: usize, n: usize) -> Vec<u64> {
        (0..n).map(|i| words.word(offset / 8 + i)).collect()
    }

    /// The header fields.
    pub(crate) fn header<W: Words + ?Sized>(&self, words: &W) -> HeaderInfo {
        let f = |offset: usize| words.word(offset / 8);
        let version = f(offset_of!(Header, version));
        let (backend, backend_reason) = read_backend(words);
        let c = &self.layout.config;
        HeaderInfo {
            abi_major: (version >> 32) as u32,
            abi_minor: version as u32,
            pid: u32::try_from(f(offset_of!(Header, pid))).unwrap_or(0),
            start_time: f(offset_of!(Header, start_time)),
            process_name: unpack_str(&Self::header_words(
                words,
                offset_of!(Header, process_name),
                PROCESS_NAME_WORDS,
            )),
            service_name: unpack_str(&Self::header_words(
                words,
                offset_of!(Header, service_name),
                SERVICE_NAME_WORDS,
            )),
            runtime_id: f(offset_of!(Header, runtime_id)),
            created_unix_ns: f(offset_of!(Header, created_unix_ns)),
            workers: c.workers,
            backend,
            backend_reason,
            ring_capacity: c.ring_capacity,
            task_capacity: c.task_capacity,
        }
    }

    /// Everything in the segment.
    pub(crate) fn snapshot<W: Words + ?Sized>(&self, words: &W) -> Snapshot {
        self.read(words, true)
    }

    /// Everything in the segment, with the task table left out when `tasks` is false.
    pub(crate) fn read<W: Words + ?Sized>(&self, words: &W, tasks: bool) -> Snapshot {
        let l = &self.layout;
        let strings = strings::read_all(
            words,
            l.section(SectionId::Strings).word_of(0),
            l.config.string_capacity,
            l.config.string_bytes,
        );
        let (tasks, tasks_unreadable) = if tasks {
            self.tasks(words, &strings)
        } else {
            (Vec::new(), 0)
        };
        let workers = self.workers(words);
        let events_overwritten = workers
            .iter()
            .map(|w| {
                w.events_pushed
                    .saturating_sub(l.config.ring_capacity as u64)
            })
            .fold(0u64, u64::saturating_add);
        Snapshot {
            header: self.header(words),
            runtime: RuntimeCounters::read(words, l.section(SectionId::Runtime).word_of(0)),
            workers,
            pools: self.pools(words, &strings),
            io_ops: self.io_ops(words),
            io_driver: IoDriverCounters::read(words, l.section(SectionId::IoDriver).word_of(0)),
            tasks,
            tasks_unreadable,
            events_overwritten,
            strings,
        }
    }

    fn workers<W: Words + ?Sized>(&self, words: &W) -> Vec<WorkerSnapshot> {
        let (l, n) = (&self.layout, self.layout.config.workers);
        let matrix = l.section(SectionId::StealMatrix).word_of(0);
        let section = l.section(SectionId::Workers);
        // Worker blocks of segments before ABI 1.2 end before the schedule histogram.
        let end = offset_of!(WorkerBlock, schedule_histogram) + 8 * HISTOGRAM_BUCKETS;
        let has_schedule = section.elem_size >= end as u64;
        (0..n)
            .map(|i| WorkerSnapshot {
                index: i,
                counters: {
                    let mut c = WorkerCounters::read(words, section.word_of(i));
                    if !has_schedule {
                        c.schedule_histogram = vec![0; HISTOGRAM_BUCKETS];
                    }
                    c
                },
                stolen_from: (0..n).map(|v| words.word(matrix + i * n + v)).collect(),
                events_pushed: self.ring(i).head(words).unwrap_or(0),
            })
            .collect()
    }

    fn pools<W: Words + ?Sized>(&self, words: &W, strings: &[Option<String>]) -> Vec<PoolSnapshot> {
        let s = self.layout.section(SectionId::Pools);
        (0..self.layout.config.pool_slots)
            .map(|i| (i, PoolCounters::read(words, s.word_of(i))))
            .filter(|(_, c)| c.label != 0)
            .map(|(index, counters)| PoolSnapshot {
                index,
                name: u32::try_from(counters.label)
                    .ok()
                    .and_then(|id| strings::lookup(strings, id)),
                counters,
            })
            .collect()
    }

    fn io_ops<W: Words + ?Sized>(&self, words: &W) -> Vec<IoOpSnapshot> {
        let s = self.layout.section(SectionId::IoOps);
        (0..self.layout.io_ops)
            .map(|i| IoOpSnapshot {
                op: IoOp::from_index(i as u16),
                counters: IoOpCounters::read(words, s.word_of(i)),
            })
            .collect()
    }

    /// Live tasks, and the number of slots that stayed busy on every retry.
    fn tasks<W: Words + ?Sized>(
        &self,
        words: &W,
        strings: &[Option<String>],
    ) -> (Vec<TaskSnapshot>, u64) {
        let s = self.layout.section(SectionId::Tasks);
        let (mut live, mut busy) = (Vec::new(), 0);
        let mut payload = [0u64; TASK_PAYLOAD_WORDS];
        for slot in 0..self.layout.config.task_capacity {
            if seqlock::read(words, s.word_of(slot), &mut payload, READ_RETRIES) == SeqRead::Busy {
                busy += 1;
                continue;
            }
            if let (true, record) = TaskRecord::decode(&payload) {
                live.push(self.task(slot, record, strings));
            }
        }
        (live, busy)
    }

    fn task(&self, slot: usize, record: TaskRecord, strings: &[Option<String>]) -> TaskSnapshot {
        let worker = usize::from(record.worker);
        TaskSnapshot {
            slot,
            name: strings::lookup(strings, record.name),
            location: strings::lookup(strings, record.location),
            worker: (worker < self.layout.config.workers).then_some(worker),
            record,
        }
    }

    fn ring(&self, worker: usize) -> RingView {
        RingView {
            base: self.layout.section(SectionId::Rings).word_of(worker),
            capacity: self.layout.config.ring_capacity as u64,
            workers: self.layout.config.workers,
        }
    }

    /// The events of `worker`'s ring from `cursor` on.
    pub(crate) fn events<W: Words + ?Sized>(
        &self,
        words: &W,
        worker: usize,
        cursor: &mut EventCursor,
    ) -> Result<EventBatch> {
        self.check_worker(worker)?;
        self.ring(worker).read(words, cursor).map_err(|e| match e {
            RingError::HeadBehindCursor => {
                corrupt!("event ring {worker} is behind the reader's cursor")
            }
            RingError::OutOfBounds => corrupt!("event ring {worker} lies outside the segment"),
        })
    }

    /// A cursor at the oldest event still in `worker`'s ring.
    pub(crate) fn oldest<W: Words + ?Sized>(
        &self,
        words: &W,
        worker: usize,
    ) -> Result<EventCursor> {
        self.check_worker(worker)?;
        let head = self
            .ring(worker)
            .head(words)
            .map_err(|_| corrupt!("event ring {worker} out of bounds"))?;
        Ok(EventCursor::at(
            head.saturating_sub(self.layout.config.ring_capacity as u64),
        ))
    }

    fn check_worker(&self, worker: usize) -> Result<()> {
        if worker >= self.layout.config.workers {
            return Err(corrupt!(
                "no worker {worker}: the segment has {}",
                self.layout.config.workers
            ));
        }
        Ok(())
    }
}

/// The backend pair, or placeholders while it is being updated.
fn read_backend<W: Words + ?Sized>(words: &W) -> (String, String) {
    let mut values = [0u64; BACKEND_WORDS + REASON_WORDS];
    match seqlock::read(
        words,
        offset_of!(Header, backend) / 8,
        &mut values,
        READ_RETRIES,
    ) {
        SeqRead::Consistent => {
            let (b, r) = values.split_at(BACKEND_WORDS);
            (unpack_str(b), unpack_str(r))
        }
        SeqRead::Busy => ("?".to_owned(), "(being updated)".to_owned()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::layout::{Header, SegmentConfig};
    use crate::{Identity, Segment, SliceReader};
    use std::mem::offset_of;

    fn put(bytes: &mut [u8], offset: usize, value: u64) {
        bytes[offset..offset + 8].copy_from_slice(&value.to_ne_bytes());
    }

    /// A segment whose worker blocks end before the schedule histogram (ABI 1.0 and 1.1) is
    /// read with that histogram empty and every older counter where it was; a 1.2 segment
    /// claiming such short blocks is refused.
    #[test]
    fn worker_blocks_of_abi_1_1_read_with_an_empty_schedule_histogram() {
        let identity = Identity {
            pid: 1,
            start_time: 0,
            process_name: "p".into(),
            service_name: "s".into(),
            runtime_id: 1,
        };
        let seg = Segment::private(&SegmentConfig::new(2), &identity).unwrap();
        seg.worker(0).polls.store(7);
        seg.worker(0).schedule_histogram[3].store(5);
        seg.worker(1).schedule_histogram[4].store(9);
        let mut bytes = seg.bytes();
        let s = SliceReader::new(&bytes).unwrap().snapshot();
        assert_eq!(s.workers[0].counters.schedule_histogram[3], 5);
        assert_eq!(s.workers[1].counters.schedule_histogram[4], 9);

        // As a 1.1 writer laid it out: 512-byte worker blocks.
        let workers = offset_of!(Header, sections) + 32;
        put(&mut bytes, offset_of!(Header, version), 1 << 32 | 1);
        put(&mut bytes, workers + 16, 512);
        let s = SliceReader::new(&bytes).unwrap().snapshot();
        assert_eq!(s.workers[0].counters.polls, 7);
        for w in &s.workers {
            assert_eq!(
                w.counters.schedule_histogram,
                vec![0; crate::HISTOGRAM_BUCKETS]
            );
        }

        put(&mut bytes, offset_of!(Header, version), 1 << 32 | 2);
        let err = SliceReader::new(&bytes).unwrap_err();
        assert!(err.to_string().contains("section Workers"), "{err}");
    }
}
