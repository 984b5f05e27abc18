//! The segment layout: the header, the section table, and the sizes a [`SegmentConfig`] gives.
//!
//! A segment is an array of 64-bit words (native endianness: reader and writer share a host).
//! It starts with the header (magic, version, sizes, identity, backend, section table); every section starts at a multiple of 128 bytes after it:
//!
//! | section | element | count |
//! |---|---|---|
//! | runtime | [`RuntimeBlock`] | 1 |
//! | workers | [`WorkerBlock`] | workers |
//! | steal matrix | `u64`: row = thief, column = victim | workers × workers |
//! | pools | [`PoolBlock`] | pool slots |
//! | I/O ops | [`IoOpBlock`] | operation kinds ([`IoOp::COUNT`]) |
//! | I/O driver | [`IoDriverBlock`] | 1 |
//! | strings | word (append-only interned strings) | words of the table |
//! | tasks | task slot (see [`crate::task`]) | task capacity |
//! | rings | event ring (see [`crate::ring`]) | workers |
//!
//! Compatibility: a new minor version may append header fields (growing `header_size`) and
//! sections (growing `section_count`), and grow elements at their end; it never moves a field.
//! A reader accepts any minor of its major and uses the fields it knows.
//!
//! The writer initialises everything, then stores `magic` last (Release): a reader that sees the
//! magic (then `fence(Acquire)`) sees a complete header.

use crate::counters::{IoDriverBlock, IoOpBlock, PoolBlock, RuntimeBlock, WorkerBlock};
use crate::io_op::IoOp;
use crate::ring::ring_words;
use crate::task::TASK_SLOT_WORDS;
use std::io;
use std::sync::atomic::AtomicU64;

/// The magic word: `ZOKIOSEG` in memory order.
pub const MAGIC: u64 = u64::from_ne_bytes(*b"ZOKIOSEG");

/// The ABI major version this crate writes and reads: readers refuse other majors.
pub const ABI_MAJOR: u32 = 1;

/// The ABI minor version this crate writes: additions a reader of an older minor may ignore.
/// 1.1 added the task outcome counters at the end of the runtime block (zero in a 1.0 segment).
/// 1.2 grew each worker block by the schedule-delay histogram (zero for older segments).
pub const ABI_MINOR: u32 = 2;

/// Words of the process-name field (32 bytes of UTF-8).
pub const PROCESS_NAME_WORDS: usize = 4;
/// Words of the service-name field (64 bytes of UTF-8).
pub const SERVICE_NAME_WORDS: usize = 8;
/// Words of the I/O backend name (16 bytes of UTF-8).
pub const BACKEND_WORDS: usize = 2;
/// Words of the I/O backend reason (128 bytes of UTF-8).
pub const REASON_WORDS: usize = 16;

/// Largest worker count a segment may declare (bounds the steal matrix a reader allocates).
pub const MAX_WORKERS: usize = 1024;
/// Largest ring capacity, in events.
pub const MAX_RING_CAPACITY: usize = 1 << 20;
/// Largest task table, in slots.
pub const MAX_TASK_CAPACITY: usize = 1 << 24;
/// Largest number of pool slots.
pub const MAX_POOL_SLOTS: usize = 4096;
/// Largest string table, in entries.
pub const MAX_STRINGS: usize = 1 << 20;
/// Largest string area, in bytes.
pub const MAX_STRING_BYTES: usize = 64 << 20;

/// The sections, in section-table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionId {
    /// Runtime-wide counters.
    Runtime,
    /// One block per worker.
    Workers,
    /// Tasks stolen, by thief and victim.
    StealMatrix,
    /// Pool blocks.
    Pools,
    /// One block per I/O operation kind.
    IoOps,
    /// Driver-wide I/O counters.
    IoDriver,
    /// Interned strings.
    Strings,
    /// Task slots.
    Tasks,
    /// One event ring per worker.
    Rings,
}

/// Number of sections of this version.
pub const SECTION_COUNT: usize = 9;

/// Entries of the section table: later minor versions may fill the unused ones.
pub const SECTION_SLOTS: usize = 16;

impl SectionId {
    /// Every section, in table order.
    pub const ALL: [SectionId; SECTION_COUNT] = [
        SectionId::Runtime,
        SectionId::Workers,
        SectionId::StealMatrix,
        SectionId::Pools,
        SectionId::IoOps,
        SectionId::IoDriver,
        SectionId::Strings,
        SectionId::Tasks,
        SectionId::Rings,
    ];
}

/// One entry of the section table, in bytes.
#[repr(C)]
#[derive(Debug, Default)]
pub(crate) struct SectionEntry {
    pub(crate) offset: AtomicU64,
    pub(crate) len: AtomicU64,
    pub(crate) elem_size: AtomicU64,
    pub(crate) count: AtomicU64,
}

/// The header, at offset 0. All fields are words; strings are NUL-padded UTF-8.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) magic: AtomicU64,
    /// `major << 32 | minor`.
    pub(crate) version: AtomicU64,
    pub(crate) header_size: AtomicU64,
    pub(crate) total_size: AtomicU64,
    pub(crate) pid: AtomicU64,
    /// Process start time, clock ticks after boot (field 22 of `/proc/<pid>/stat`).
    pub(crate) start_time: AtomicU64,
    pub(crate) runtime_id: AtomicU64,
    pub(crate) created_unix_ns: AtomicU64,
    pub(crate) workers: AtomicU64,
    pub(crate) ring_capacity: AtomicU64,
    pub(crate) task_capacity: AtomicU64,
    pub(crate) pool_slots: AtomicU64,
    pub(crate) string_capacity: AtomicU64,
    pub(crate) string_bytes: AtomicU64,
    pub(crate) section_count: AtomicU64,
    pub(crate) process_name: [AtomicU64; PROCESS_NAME_WORDS],
    pub(crate) service_name: [AtomicU64; SERVICE_NAME_WORDS],
    /// A seqlock record: sequence, backend name, reason (set after creation, any time).
    pub(crate) backend: [AtomicU64; 1 + BACKEND_WORDS + REASON_WORDS],
    pub(crate) sections: [SectionEntry; SECTION_SLOTS],
}

/// The sizes of a segment, fixed at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentConfig {
    /// Worker threads (1..=[`MAX_WORKERS`]).
    pub workers: usize,
    /// Task slots; tasks beyond are counted in `task_table_overflows`.
    pub task_capacity: usize,
    /// Events per worker ring, a power of two.
    pub ring_capacity: usize,
    /// Pool blocks.
    pub pool_slots: usize,
    /// Interned strings (task names, spawn locations).
    pub string_capacity: usize,
    /// Bytes for the interned strings.
    pub string_bytes: usize,
}

impl SegmentConfig {
    /// A configuration for `workers` workers with the default table sizes (4096 task slots,
    /// 1024-event rings, `workers + 8` pools, 1024 strings in 64 KiB).
    pub fn new(workers: usize) -> SegmentConfig {
        SegmentConfig {
            workers,
            task_capacity: 4096,
            ring_capacity: 1024,
            pool_slots: workers + 8,
            string_capacity: 1024,
            string_bytes: 64 << 10,
        }
    }

    fn check(&self) -> io::Result<()> {
        let ok = (1..=MAX_WORKERS).contains(&self.workers)
            && self.ring_capacity.is_power_of_two()
            && self.ring_capacity <= MAX_RING_CAPACITY
            && self.task_capacity <= MAX_TASK_CAPACITY
            && self.pool_slots <= MAX_POOL_SLOTS
            && self.string_capacity <= MAX_STRINGS
            && self.string_bytes <= MAX_STRING_BYTES;
        ok.then_some(()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid segment configuration {self:?}"),
            )
        })
    }
}

/// A section's place, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Section {
    /// Offset from the start of the segment.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Bytes per element.
    pub elem_size: u64,
    /// Elements.
    pub count: u64,
}

impl Section {
    /// The word index of element `i` (callers keep `i < count`).
    pub(crate) fn word_of(&self, i: usize) -> usize {
        ((self.offset + self.elem_size * i as u64) / 8) as usize
    }
}

/// The validated shape of a segment: its configuration and where each section is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The sizes.
    pub config: SegmentConfig,
    /// I/O operation kinds (blocks of the I/O section).
    pub io_ops: usize,
    /// The header's size in bytes.
    pub header_size: u64,
    /// The whole segment's size in bytes.
    pub total_size: u64,
    /// The section table, indexed by [`SectionId`] order.
    pub sections: [Section; SECTION_COUNT],
}

/// Rounds up to a multiple of 128.
const fn align128(n: u64) -> u64 {
    n.div_ceil(128) * 128
}

/// Words of the string section for `capacity` entries and `bytes` bytes.
pub(crate) fn string_words(capacity: usize, bytes: usize) -> usize {
    16 + capacity + bytes.div_ceil(8)
}

impl Layout {
    /// The layout this crate writes for `config`.
    pub fn for_config(config: &SegmentConfig) -> io::Result<Layout> {
        config.check()?;
        let w = config.workers as u64;
        let elems: [(u64, u64); SECTION_COUNT] = [
            (size_of::<RuntimeBlock>() as u64, 1),
            (size_of::<WorkerBlock>() as u64, w),
            (8, w * w),
            (size_of::<PoolBlock>() as u64, config.pool_slots as u64),
            (size_of::<IoOpBlock>() as u64, IoOp::COUNT as u64),
            (size_of::<IoDriverBlock>() as u64, 1),
            (
                8,
                string_words(config.string_capacity, config.string_bytes) as u64,
            ),
            (TASK_SLOT_WORDS as u64 * 8, config.task_capacity as u64),
            (ring_words(config.ring_capacity) as u64 * 8, w),
        ];
        let header_size = align128(size_of::<Header>() as u64);
        let mut offset = header_size;
        let sections = elems.map(|(elem_size, count)| {
            let s = Section {
                offset,
                len: align128(elem_size * count),
                elem_size,
                count,
            };
            offset += s.len;
            s
        });
        let (io_ops, config) = (IoOp::COUNT, config.clone());
        Ok(Layout {
            config,
            io_ops,
            header_size,
            total_size: offset,
            sections,
        })
    }

    /// The section `id`.
    pub fn section(&self, id: SectionId) -> &Section {
        &self.sections[id as usize]
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_each_other_aligned() {
        let l = Layout::for_config(&SegmentConfig::new(3)).unwrap();
        assert_eq!(l.header_size % 128, 0);
        assert_eq!(l.section(SectionId::Runtime).offset, l.header_size);
        for pair in l.sections.windows(2) {
            assert_eq!(pair[0].offset % 128, 0);
            assert_eq!(pair[0].offset + pair[0].len, pair[1].offset);
        }
        let last = l.section(SectionId::Rings);
        assert_eq!(last.offset + last.len, l.total_size);
        assert_eq!(l.section(SectionId::StealMatrix).count, 9);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut c = SegmentConfig::new(2);
        c.ring_capacity = 1000;
        assert!(Layout::for_config(&c).is_err());
        assert!(Layout::for_config(&SegmentConfig::new(0)).is_err());
    }
}
