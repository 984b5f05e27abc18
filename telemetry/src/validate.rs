//! Validation of a segment's header and section table, before any other access.
//!
//! Everything is checked with checked arithmetic against the length the reader actually has:
//! magic, major version, header size, total size, the configuration's bounds, and every section's
//! offset, alignment, element size and count. The result is a [`Layout`] the reader keeps: it
//! never re-reads offsets from shared memory, so a writer changing them later cannot move a
//! reader out of bounds (and every load is bounds-checked regardless).

use crate::counters::{
    IoDriverBlock, IoOpBlock, PoolBlock, RuntimeBlock, WorkerBlock, WORKER_BLOCK_1_1_BYTES,
};
use crate::error::{corrupt, Error, Result};
use crate::layout::*;
use crate::loom::sync::atomic::{fence, Ordering};
use crate::ring::ring_words;
use crate::task::TASK_SLOT_WORDS;
use crate::words::Words;
use std::mem::offset_of;

/// Most I/O operation kinds a segment may declare.
const MAX_IO_OPS: u64 = 1024;

/// The header word at byte offset `offset`.
fn field<W: Words + ?Sized>(words: &W, offset: usize) -> u64 {
    words.word(offset / 8)
}

/// Validates the segment in `words` (`len` bytes available) and returns its layout.
pub(crate) fn validate<W: Words + ?Sized>(words: &W, len: u64) -> Result<Layout> {
    let magic = words.load(0).ok_or(Error::NotZokio)?;
    fence(Ordering::Acquire);
    if magic != MAGIC {
        return Err(Error::NotZokio);
    }
    let minor = check_version(words)?;
    if len < size_of::<Header>() as u64
        || (words.word_count() as u64) < size_of::<Header>() as u64 / 8
    {
        return Err(corrupt!(
            "{len} bytes is too short for the {}-byte header",
            size_of::<Header>()
        ));
    }
    let (header_size, total_size) = sizes(words, len)?;
    let config = config(words)?;
    let sections = sections(words, header_size, total_size)?;
    let mut layout = Layout {
        config,
        io_ops: 0,
        header_size,
        total_size,
        sections,
    };
    check_sections(&mut layout, minor)?;
    Ok(layout)
}

/// Checks the major version; returns the minor.
fn check_version<W: Words + ?Sized>(words: &W) -> Result<u32> {
    let v = field(words, offset_of!(Header, version));
    let (major, minor) = ((v >> 32) as u32, v as u32);
    if major != ABI_MAJOR {
        return Err(Error::VersionMismatch {
            found: (major, minor),
            supported: ABI_MAJOR,
        });
    }
    Ok(minor)
}

fn sizes<W: Words + ?Sized>(words: &W, len: u64) -> Result<(u64, u64)> {
    let header_size = field(words, offset_of!(Header, header_size));
    let total_size = field(words, offset_of!(Header, total_size));
    if total_size > len {
        return Err(corrupt!(
            "the header says {total_size} bytes but only {len} are there (truncated)"
        ));
    }
    if header_size < size_of::<Header>() as u64 || header_size > total_size || header_size % 8 != 0
    {
        return Err(corrupt!(
            "header size {header_size} (total size {total_size})"
        ));
    }
    if total_size % 8 != 0 || total_size / 8 > words.word_count() as u64 {
        return Err(corrupt!("total size {total_size}"));
    }
    Ok((header_size, total_size))
}

/// `value` as a `usize` in `range`, or a corrupt error naming `what`.
fn bounded(value: u64, range: std::ops::RangeInclusive<usize>, what: &str) -> Result<usize> {
    usize::try_from(value)
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| corrupt!("{what} is {value}, outside {range:?}"))
}

fn config<W: Words + ?Sized>(words: &W) -> Result<SegmentConfig> {
    let f = |offset| field(words, offset);
    let ring_capacity = bounded(
        f(offset_of!(Header, ring_capacity)),
        1..=MAX_RING_CAPACITY,
        "ring capacity",
    )?;
    if !ring_capacity.is_power_of_two() {
        return Err(corrupt!(
            "ring capacity {ring_capacity} is not a power of two"
        ));
    }
    if u32::try_from(f(offset_of!(Header, pid))).is_err() {
        return Err(corrupt!(
            "pid {} does not fit 32 bits",
            f(offset_of!(Header, pid))
        ));
    }
    Ok(SegmentConfig {
        workers: bounded(
            f(offset_of!(Header, workers)),
            1..=MAX_WORKERS,
            "worker count",
        )?,
        task_capacity: bounded(
            f(offset_of!(Header, task_capacity)),
            0..=MAX_TASK_CAPACITY,
            "task capacity",
        )?,
        ring_capacity,
        pool_slots: bounded(
            f(offset_of!(Header, pool_slots)),
            0..=MAX_POOL_SLOTS,
            "pool slots",
        )?,
        string_capacity: bounded(
            f(offset_of!(Header, string_capacity)),
            0..=MAX_STRINGS,
            "string capacity",
        )?,
        string_bytes: bounded(
            f(offset_of!(Header, string_bytes)),
            0..=MAX_STRING_BYTES,
            "string bytes",
        )?,
    })
}

fn sections<W: Words + ?Sized>(
    words: &W,
    header_size: u64,
    total: u64,
) -> Result<[Section; SECTION_COUNT]> {
    let count = field(words, offset_of!(Header, section_count));
    if !(SECTION_COUNT as u64..=SECTION_SLOTS as u64).contains(&count) {
        return Err(corrupt!("section count {count}"));
    }
    let mut out = [Section::default(); SECTION_COUNT];
    for (i, s) in out.iter_mut().enumerate() {
        let base = offset_of!(Header, sections) + i * size_of::<SectionEntry>();
        let [offset, len, elem_size, count] = [0, 8, 16, 24].map(|o| field(words, base + o));
        *s = Section {
            offset,
            len,
            elem_size,
            count,
        };
        check_bounds(s, header_size, total)
            .map_err(|e| corrupt!("section {:?}: {e}", SectionId::ALL[i]))?;
    }
    Ok(out)
}

/// A section lies inside the segment after the header, aligned, and holds its elements.
fn check_bounds(s: &Section, header_size: u64, total: u64) -> std::result::Result<(), String> {
    let end = s
        .offset
        .checked_add(s.len)
        .ok_or("offset + length overflows")?;
    let elems = s
        .elem_size
        .checked_mul(s.count)
        .ok_or("element size × count overflows")?;
    if !s.offset.is_multiple_of(128) || !s.elem_size.is_multiple_of(8) {
        return Err(format!(
            "offset {} or element size {} misaligned",
            s.offset, s.elem_size
        ));
    }
    if s.offset < header_size || end > total || elems > s.len {
        return Err(format!(
            "offset {} length {} ({elems} bytes of elements) outside {header_size}..{total}",
            s.offset, s.len
        ));
    }
    Ok(())
}

/// Each section's element size and count agree with the configuration (worker blocks of
/// segments before ABI 1.2 are smaller: the reader shows their newer fields as zero).
fn check_sections(l: &mut Layout, minor: u32) -> Result<()> {
    let c = &l.config;
    let w = c.workers as u64;
    let size = |n: usize| n as u64;
    let worker_block = match minor {
        0 | 1 => WORKER_BLOCK_1_1_BYTES,
        _ => size_of::<WorkerBlock>(),
    };
    let expect: [(u64, bool, Option<u64>); SECTION_COUNT] = [
        (size(size_of::<RuntimeBlock>()), false, Some(1)),
        (size(worker_block), false, Some(w)),
        (8, true, Some(w * w)),
        (
            size(size_of::<PoolBlock>()),
            false,
            Some(c.pool_slots as u64),
        ),
        (size(size_of::<IoOpBlock>()), false, None),
        (size(size_of::<IoDriverBlock>()), false, Some(1)),
        (8, true, None),
        (
            size(TASK_SLOT_WORDS * 8),
            false,
            Some(c.task_capacity as u64),
        ),
        (size(ring_words(c.ring_capacity) * 8), false, Some(w)),
    ];
    for (i, (min, exact, count)) in expect.into_iter().enumerate() {
        let s = &l.sections[i];
        let size_ok = if exact {
            s.elem_size == min
        } else {
            s.elem_size >= min
        };
        if !size_ok || count.is_some_and(|n| n != s.count) {
            return Err(corrupt!(
                "section {:?}: {} elements of {} bytes",
                SectionId::ALL[i],
                s.count,
                s.elem_size
            ));
        }
    }
    let strings = l.section(SectionId::Strings).count;
    if strings < string_words(c.string_capacity, c.string_bytes) as u64 {
        return Err(corrupt!(
            "string section of {strings} words is too small for its capacity"
        ));
    }
    let io_ops = l.section(SectionId::IoOps).count;
    l.io_ops = bounded(io_ops, 0..=MAX_IO_OPS as usize, "I/O operation kinds")?;
    Ok(())
}
