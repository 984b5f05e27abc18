//! The writer: creates a segment file, maps it, initialises the header, and hands out the blocks.
//!
//! Every accessor returns atomics inside the mapping; writing telemetry is storing into them. No
//! accessor locks, allocates or makes a system call except [`Segment::intern`] and
//! [`Segment::set_backend`] (cold paths, each under a lock of this process).

use crate::counters::{Counter, IoDriverBlock, IoOpBlock, PoolBlock, RuntimeBlock, WorkerBlock};
use crate::dir::{self, PrivateDir};
use crate::event::{Event, EVENT_WORDS};
use crate::identity::{unix_now_ns, Identity};
use crate::io_op::IoOp;
use crate::layout::*;
use crate::mmap::Mapping;
use crate::ring::{self, EventRing, RING_HEADER_WORDS};
use crate::seqlock;
use crate::strings::StringWriter;
use crate::task::{claim_bitmap, TaskTable};
use crate::words::pack_str;
use std::io;
use std::mem::offset_of;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A published segment. The file is removed when this is dropped.
#[derive(Debug)]
pub struct Segment {
    map: Mapping,
    path: PathBuf,
    layout: Layout,
    claimed: Vec<AtomicU64>,
    claim_hint: ClaimHint,
    strings: StringWriter,
    /// The backend record's seqlock sequence; the lock makes its writers one at a time.
    backend_seq: Mutex<u64>,
    /// Where the hot sections start, in words (computed once: writers use them per poll).
    hot: HotOffsets,
}

/// The task table's claim hint, on a 128-byte line pair of its own: claims and frees store to
/// it, while the fields beside it (the mapping, the hot offsets) are read on every event and
/// task update, by every worker.
#[derive(Debug, Default)]
#[repr(align(128))]
struct ClaimHint(AtomicU64);

/// Word offsets of the sections writers touch on every poll, from the layout.
#[derive(Debug, Clone, Copy)]
struct HotOffsets {
    workers: usize,
    worker_stride: usize,
    worker_count: usize,
    tasks: usize,
    task_count: usize,
    rings: usize,
    ring_stride: usize,
    /// Records per ring, minus one (a power of two, minus one).
    ring_mask: u64,
}

impl HotOffsets {
    fn of(layout: &Layout) -> HotOffsets {
        let w = layout.section(SectionId::Workers);
        let t = layout.section(SectionId::Tasks);
        let r = layout.section(SectionId::Rings);
        HotOffsets {
            workers: w.word_of(0),
            worker_stride: (w.elem_size / 8) as usize,
            worker_count: w.count as usize,
            tasks: t.word_of(0),
            task_count: t.count as usize,
            rings: r.word_of(0),
            ring_stride: (r.elem_size / 8) as usize,
            ring_mask: layout.config.ring_capacity as u64 - 1,
        }
    }
}

impl Segment {
    /// Creates this process's segment in [`segment_dir`](crate::segment_dir).
    ///
    /// Returns `Ok(None)` when publication is disabled (`ZOKIO_TELEMETRY=off`): the runtime then
    /// counts into its own memory only and nothing is published.
    pub fn create(config: &SegmentConfig, identity: &Identity) -> io::Result<Option<Segment>> {
        if !dir::enabled() {
            return Ok(None);
        }
        Segment::create_in(&dir::segment_dir(), config, identity).map(Some)
    }

    /// Creates a segment in `dir` (created 0700 if missing), whatever the environment says.
    pub fn create_in(
        dir: &Path,
        config: &SegmentConfig,
        identity: &Identity,
    ) -> io::Result<Segment> {
        let layout = Layout::for_config(config)?;
        let dir = PrivateDir::create(dir)?;
        let name = format!("{}-{}.seg", identity.pid, identity.runtime_id);
        let file = dir.create_file(&name)?;
        let path = dir.path().join(name);
        let map = file
            .set_len(layout.total_size)
            .and_then(|()| Mapping::new(file.as_fd(), layout.total_size as usize, true))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&path);
            })?;
        let segment = Segment {
            map,
            path,
            claimed: claim_bitmap(config.task_capacity),
            claim_hint: ClaimHint::default(),
            strings: StringWriter::new(),
            backend_seq: Mutex::new(0),
            hot: HotOffsets::of(&layout),
            layout,
        };
        segment.write_header(identity);
        Ok(segment)
    }

    /// A segment in this process's memory only, in no file: nothing can attach to it. The
    /// runtime counts into one when publication is off (`ZOKIO_TELEMETRY=off`) or the segment
    /// file cannot be created, so its own metrics work the same either way.
    pub fn private(config: &SegmentConfig, identity: &Identity) -> io::Result<Segment> {
        let layout = Layout::for_config(config)?;
        let segment = Segment {
            map: Mapping::anonymous(layout.total_size as usize)?,
            path: PathBuf::new(),
            claimed: claim_bitmap(config.task_capacity),
            claim_hint: ClaimHint::default(),
            strings: StringWriter::new(),
            backend_seq: Mutex::new(0),
            hot: HotOffsets::of(&layout),
            layout,
        };
        segment.write_header(identity);
        Ok(segment)
    }

    /// Whether the segment is published in a file (see [`Segment::private`]).
    pub fn is_published(&self) -> bool {
        !self.path.as_os_str().is_empty()
    }

    /// Writes every header field, the magic last (Release).
    fn write_header(&self, id: &Identity) {
        let (l, c) = (&self.layout, &self.layout.config);
        let fields = [
            (
                offset_of!(Header, version),
                u64::from(ABI_MAJOR) << 32 | u64::from(ABI_MINOR),
            ),
            (offset_of!(Header, header_size), l.header_size),
            (offset_of!(Header, total_size), l.total_size),
            (offset_of!(Header, pid), u64::from(id.pid)),
            (offset_of!(Header, start_time), id.start_time),
            (offset_of!(Header, runtime_id), id.runtime_id),
            (offset_of!(Header, created_unix_ns), unix_now_ns()),
            (offset_of!(Header, workers), c.workers as u64),
            (offset_of!(Header, ring_capacity), c.ring_capacity as u64),
            (offset_of!(Header, task_capacity), c.task_capacity as u64),
            (offset_of!(Header, pool_slots), c.pool_slots as u64),
            (
                offset_of!(Header, string_capacity),
                c.string_capacity as u64,
            ),
            (offset_of!(Header, string_bytes), c.string_bytes as u64),
            (offset_of!(Header, section_count), SECTION_COUNT as u64),
        ];
        for (offset, value) in fields {
            self.word(offset).store(value, Ordering::Relaxed);
        }
        self.store_str(
            offset_of!(Header, process_name),
            &id.process_name,
            PROCESS_NAME_WORDS,
        );
        self.store_str(
            offset_of!(Header, service_name),
            &id.service_name,
            SERVICE_NAME_WORDS,
        );
        self.write_sections();
        self.word(offset_of!(Header, magic))
            .store(MAGIC, Ordering::Release);
    }

    fn write_sections(&self) {
        let table = offset_of!(Header, sections);
        for (i, s) in self.layout.sections.iter().enumerate() {
            let base = table + i * size_of::<SectionEntry>();
            for (j, v) in [s.offset, s.len, s.elem_size, s.count]
                .into_iter()
                .enumerate()
            {
                self.word(base + j * 8).store(v, Ordering::Relaxed);
            }
        }
    }

    fn store_str(&self, offset: usize, s: &str, words: usize) {
        for (i, w) in pack_str(s, words).into_iter().enumerate() {
            self.word(offset + i * 8).store(w, Ordering::Relaxed);
        }
    }

    /// The header word at byte `offset`.
    fn word(&self, offset: usize) -> &AtomicU64 {
        &self.map.words()[offset / 8]
    }

    /// The words of section `id`.
    #[inline]
    fn section_words(&self, id: SectionId) -> &[AtomicU64] {
        let s = self.layout.section(id);
        &self.map.words()[s.word_of(0)..s.word_of(0) + (s.len / 8) as usize]
    }

    /// Element `i` of section `id`, as a `T`. Panics if `i` is out of range.
    fn element<T>(&self, id: SectionId, i: usize) -> &T {
        let s = self.layout.section(id);
        assert!((i as u64) < s.count && size_of::<T>() as u64 <= s.elem_size);
        let word = &self.map.words()[s.word_of(i)];
        // SAFETY: the element lies inside the mapping (the layout was computed for it) and is
        // 128-byte aligned (sections and elements are multiples of 128 bytes from a page-aligned
        // base), which satisfies the blocks' `align(128)`. The blocks are made of `Counter`s
        // (transparent `AtomicU64`s), valid for any bits, and only accessed atomically.
        unsafe { &*(word as *const AtomicU64).cast::<T>() }
    }

    /// The runtime-wide counters.
    #[inline]
    pub fn runtime(&self) -> &RuntimeBlock {
        self.element(SectionId::Runtime, 0)
    }

    /// Worker `index`'s counters. Panics if `index >= workers`.
    #[inline]
    pub fn worker(&self, index: usize) -> &WorkerBlock {
        let h = &self.hot;
        assert!(index < h.worker_count, "no worker {index}");
        let word = &self.map.words()[h.workers + index * h.worker_stride];
        // SAFETY: as in `element`: the block lies inside the mapping, 128-byte aligned, made of
        // `Counter`s valid for any bits and only accessed atomically.
        unsafe { &*(word as *const AtomicU64).cast::<WorkerBlock>() }
    }

    /// Stores one word of task slot `index` (see [`TaskTable::store`]), without building a
    /// [`TaskTable`]: for writers that update a task on every poll. Panics if out of range.
    #[inline]
    pub fn task_store(&self, index: usize, field: crate::TaskField, value: u64) {
        self.task_word(index, field).store(value, Ordering::Relaxed);
    }

    /// Loads one word of task slot `index` (a writer reading back its own counter).
    #[inline]
    pub fn task_load(&self, index: usize, field: crate::TaskField) -> u64 {
        self.task_word(index, field).load(Ordering::Relaxed)
    }

    #[inline]
    fn task_word(&self, index: usize, field: crate::TaskField) -> &AtomicU64 {
        self.task(index).word(field)
    }

    /// Task slot `index`'s words, for a writer storing several of them (one bounds check).
    /// Panics if out of range.
    #[inline]
    pub fn task(&self, index: usize) -> crate::task::TaskWords<'_> {
        let h = &self.hot;
        assert!(index < h.task_count, "no task slot {index}");
        let start = h.tasks + index * crate::task::TASK_SLOT_WORDS;
        let words = &self.map.words()[start..start + crate::task::TASK_SLOT_WORDS];
        crate::task::TaskWords(words.try_into().expect("a whole slot"))
    }

    /// Row `thief` of the steal matrix: entry `victim` counts tasks `thief` stole from `victim`.
    /// Panics if `thief >= workers`.
    pub fn stolen_from(&self, thief: usize) -> &[Counter] {
        let w = self.layout.config.workers;
        assert!(thief < w);
        let row = &self.section_words(SectionId::StealMatrix)[thief * w..(thief + 1) * w];
        // SAFETY: `Counter` is `repr(transparent)` over `AtomicU64`, so the slices have the
        // same layout; the row lies inside the section.
        unsafe { &*(row as *const [AtomicU64] as *const [Counter]) }
    }

    /// Pool slot `index`. Panics if `index >= pool_slots`.
    pub fn pool(&self, index: usize) -> &PoolBlock {
        self.element(SectionId::Pools, index)
    }

    /// The counters of operation kind `op`. Panics on [`IoOp::Unknown`].
    pub fn io_op(&self, op: IoOp) -> &IoOpBlock {
        assert!(!matches!(op, IoOp::Unknown(_)));
        self.element(SectionId::IoOps, usize::from(op.index()))
    }

    /// The driver-wide I/O counters.
    pub fn io_driver(&self) -> &IoDriverBlock {
        self.element(SectionId::IoDriver, 0)
    }

    /// Worker `index`'s event ring; only that worker may push. Panics if `index >= workers`.
    pub fn ring(&self, index: usize) -> EventRing<'_> {
        let s = *self.layout.section(SectionId::Rings);
        assert!((index as u64) < s.count);
        let words = &self.map.words()[s.word_of(index)..s.word_of(index + 1)];
        EventRing::new(words, self.layout.config.ring_capacity, index as u16)
    }

    /// Pushes an event into worker `index`'s ring for a writer that keeps the ring's head
    /// itself (`head`: events it pushed so far, 0 for a fresh ring; advanced by one). For a
    /// writer that cannot hold an [`EventRing`] borrowing the segment. Panics if
    /// `index >= workers`.
    #[inline(always)]
    pub fn push_event(
        &self,
        index: usize,
        head: &mut u64,
        timestamp_ns: u64,
        task: u64,
        data: crate::EventData,
    ) {
        // The same record as `EventRing::push` writes, with the ring's position taken from the
        // offsets computed once (this runs for every event a worker records).
        let h = &self.hot;
        assert!(index < h.worker_count, "no ring {index}");
        let seq = *head;
        let ring = h.rings + index * h.ring_stride;
        let start = ring + RING_HEADER_WORDS + (seq & h.ring_mask) as usize * EVENT_WORDS;
        let words = self.map.words();
        let event = Event {
            seq,
            timestamp_ns,
            worker: index as u16,
            task,
            data,
        };
        ring::write_record(
            &words[ring],
            &words[start..start + EVENT_WORDS],
            seq,
            event.encode(),
        );
        *head = seq.wrapping_add(1);
    }

    /// The task table.
    #[inline]
    pub fn tasks(&self) -> TaskTable<'_> {
        let overflows = &self.runtime().task_table_overflows;
        TaskTable::new(
            self.section_words(SectionId::Tasks),
            &self.claimed,
            &self.claim_hint.0,
            overflows,
        )
    }

    /// The string id of `s` (a task name or `file:line:col`), interning it if new; `None` when
    /// the string table is full (counted in `string_table_overflows`). A cold path: intern a
    /// location once and keep its id.
    pub fn intern(&self, s: &str) -> Option<u32> {
        let words = self.section_words(SectionId::Strings);
        let overflows = &self.runtime().string_table_overflows;
        self.strings
            .intern(words, self.layout.config.string_capacity, s, overflows)
    }

    /// Publishes the I/O backend (16 bytes kept) and why it was chosen (128 bytes kept). May be
    /// called at any time; readers see the old or the new pair, never a mix.
    pub fn set_backend(&self, backend: &str, reason: &str) {
        let mut seq = self.backend_seq.lock().unwrap_or_else(|e| e.into_inner());
        let mut values = pack_str(backend, BACKEND_WORDS);
        values.extend(pack_str(reason, REASON_WORDS));
        let start = offset_of!(Header, backend) / 8;
        seqlock::write(
            &self.map.words()[start..start + 1 + values.len()],
            &mut seq,
            &values,
        );
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.is_published() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(all(test, not(loom)))]
impl Segment {
    /// A copy of the segment's bytes (for readers over byte slices in tests).
    pub(crate) fn bytes(&self) -> Vec<u8> {
        self.map
            .words()
            .iter()
            .flat_map(|w| w.load(Ordering::Relaxed).to_ne_bytes())
            .collect()
    }
}
