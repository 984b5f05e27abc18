//! The interned string table: task names and spawn locations (`file:line:col`), append-only.
//!
//! Layout (words): `[count, used_words, 14 reserved][entry; capacity][area; bytes / 8]`.
//! String id `n` (from 1; 0 means "none") has entry `n - 1`: `word_offset << 32 | byte_len`, its
//! bytes starting at word `word_offset` of the area.
//!
//! Protocol: writers append under a lock of the writing process (a cold path: a location is
//! interned once, the runtime keeps the id); they store the bytes and the entry (Relaxed), then
//! `count` (Release). A reader loads `count`, `fence(Acquire)`, and reads entries below it. It
//! trusts nothing: `count` is clamped to the capacity, every entry's offset and length are checked
//! against the area, and the bytes are decoded as lossy UTF-8.

use crate::counters::Counter;
use crate::words::Words;
use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::Mutex;

/// Words before the entries.
const STRINGS_HEADER_WORDS: usize = 16;

/// The writer's side of the table: the shared words and the process-local index of what is in it.
#[derive(Debug)]
pub(crate) struct StringWriter {
    index: Mutex<HashMap<Box<str>, u32>>,
}

impl StringWriter {
    pub(crate) fn new() -> StringWriter {
        StringWriter {
            index: Mutex::new(HashMap::new()),
        }
    }

    /// The id of `s`, appending it if new; `None` (counted in `overflows`) when the table is full.
    pub(crate) fn intern(
        &self,
        words: &[AtomicU64],
        capacity: usize,
        s: &str,
        overflows: &Counter,
    ) -> Option<u32> {
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = index.get(s) {
            return Some(id);
        }
        let id = append(words, capacity, s);
        match id {
            Some(id) => index.insert(s.into(), id),
            None => {
                overflows.add(1);
                None
            }
        };
        id
    }
}

/// Appends `s` (the caller holds the lock); its id, or `None` when it does not fit.
fn append(words: &[AtomicU64], capacity: usize, s: &str) -> Option<u32> {
    let count = words[0].load(Ordering::Relaxed) as usize;
    let used = words[1].load(Ordering::Relaxed) as usize;
    let area = &words[STRINGS_HEADER_WORDS + capacity..];
    let need = s.len().div_ceil(8);
    if count >= capacity || used + need > area.len() || s.len() > u32::MAX as usize {
        return None;
    }
    for (i, chunk) in s.as_bytes().chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        area[used + i].store(u64::from_ne_bytes(w), Ordering::Relaxed);
    }
    let entry = (used as u64) << 32 | s.len() as u64;
    words[STRINGS_HEADER_WORDS + count].store(entry, Ordering::Relaxed);
    words[1].store((used + need) as u64, Ordering::Relaxed);
    words[0].store(count as u64 + 1, Ordering::Release);
    Some(count as u32 + 1)
}

/// Reads every string of the table at word `base` (`capacity` entries, `bytes` of area):
/// entry `i` is id `i + 1`; an entry that fails validation reads as `None`.
pub(crate) fn read_all<W: Words + ?Sized>(
    words: &W,
    base: usize,
    capacity: usize,
    bytes: usize,
) -> Vec<Option<String>> {
    let count = (words.word(base) as usize).min(capacity);
    fence(Ordering::Acquire);
    let area = base + STRINGS_HEADER_WORDS + capacity;
    (0..count)
        .map(|i| {
            read_one(
                words,
                words.word(base + STRINGS_HEADER_WORDS + i),
                area,
                bytes,
            )
        })
        .collect()
}

/// The string an entry names, if it lies inside the area.
fn read_one<W: Words + ?Sized>(
    words: &W,
    entry: u64,
    area: usize,
    area_bytes: usize,
) -> Option<String> {
    let (offset, len) = ((entry >> 32) as usize, (entry & 0xffff_ffff) as usize);
    let end = offset.checked_mul(8)?.checked_add(len)?;
    if end > area_bytes {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    for i in 0..len.div_ceil(8) {
        out.extend_from_slice(&words.load(area + offset + i)?.to_ne_bytes());
    }
    out.truncate(len);
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Looks up id `id` (1-based) in strings read by [`read_all`].
pub(crate) fn lookup(strings: &[Option<String>], id: u32) -> Option<String> {
    let i = usize::try_from(id).ok()?.checked_sub(1)?;
    strings.get(i).cloned().flatten()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::layout::string_words;

    fn table(capacity: usize, bytes: usize) -> Vec<AtomicU64> {
        (0..string_words(capacity, bytes))
            .map(|_| AtomicU64::new(0))
            .collect()
    }

    #[test]
    fn interning_dedupes_and_reads_back() {
        let (words, w, over) = (table(4, 64), StringWriter::new(), Counter::default());
        let a = w.intern(&words, 4, "src/main.rs:10:5", &over);
        let b = w.intern(&words, 4, "worker", &over);
        assert_eq!(
            (a, b, w.intern(&words, 4, "worker", &over)),
            (Some(1), Some(2), Some(2))
        );
        let all = read_all(&words[..], 0, 4, 64);
        assert_eq!(lookup(&all, 1).as_deref(), Some("src/main.rs:10:5"));
        assert_eq!(lookup(&all, 2).as_deref(), Some("worker"));
        assert_eq!((lookup(&all, 0), lookup(&all, 3)), (None, None));
    }

    #[test]
    fn a_full_table_counts_overflows() {
        let (words, w, over) = (table(2, 16), StringWriter::new(), Counter::default());
        assert!(w.intern(&words, 2, "0123456789", &over).is_some());
        assert_eq!(
            w.intern(&words, 2, "0123456789ab", &over),
            None,
            "area full"
        );
        assert!(w.intern(&words, 2, "x", &over).is_none(), "area full");
        assert_eq!(over.load(), 2);
    }

    #[test]
    fn hostile_entries_are_rejected() {
        let words = table(2, 16);
        words[0].store(u64::MAX, Ordering::Relaxed);
        words[STRINGS_HEADER_WORDS].store(1 << 32 | 9, Ordering::Relaxed); // 8 + 9 > 16
        words[STRINGS_HEADER_WORDS + 1].store(u64::MAX, Ordering::Relaxed);
        assert_eq!(read_all(&words[..], 0, 2, 16), vec![None, None]);
    }
}
