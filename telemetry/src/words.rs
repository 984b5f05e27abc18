//! Word access: the reader's one way into a segment.
//!
//! A segment is an array of 64-bit words. Writers store into them with atomics; readers load them
//! through [`Words`], which bounds-checks every index, so a reader over a hostile or truncated
//! segment gets `None` instead of reading out of bounds. Two sources implement it: the shared
//! mapping (a `[AtomicU64]` slice, Relaxed loads; the callers add `fence(Acquire)` where a
//! protocol needs one, which also keeps every load on a read-only mapping a plain Relaxed load)
//! and a byte slice (the fuzzing and proptest backend: the same validation code on `&[u8]`).

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Read access to a segment's words, bounds-checked.
pub trait Words {
    /// Number of whole words.
    fn word_count(&self) -> usize;

    /// The word at `index` (Relaxed), or `None` past the end.
    fn load(&self, index: usize) -> Option<u64>;

    /// The word at `index`, or 0 past the end: for fields whose bounds validation already
    /// proved (a zero is harmless, a panic is not).
    fn word(&self, index: usize) -> u64 {
        self.load(index).unwrap_or(0)
    }
}

impl Words for [AtomicU64] {
    fn word_count(&self) -> usize {
        self.len()
    }

    fn load(&self, index: usize) -> Option<u64> {
        self.get(index).map(|w| w.load(Relaxed))
    }
}

/// A byte slice read as native-endian words; trailing bytes that do not fill a word are ignored.
#[derive(Debug, Clone, Copy)]
pub struct ByteWords<'a>(pub &'a [u8]);

impl Words for ByteWords<'_> {
    fn word_count(&self) -> usize {
        self.0.len() / 8
    }

    fn load(&self, index: usize) -> Option<u64> {
        let start = index.checked_mul(8)?;
        let bytes = self.0.get(start..start.checked_add(8)?)?;
        Some(u64::from_ne_bytes(bytes.try_into().ok()?))
    }
}

#[cfg(not(loom))]
/// Packs `s` into `words` words of native-endian bytes, NUL-padded, cut at a char boundary so
/// the stored prefix is valid UTF-8.
pub(crate) fn pack_str(s: &str, words: usize) -> Vec<u64> {
    let cut = floor_char_boundary(s, words * 8);
    let mut bytes = s.as_bytes()[..cut].to_vec();
    bytes.resize(words * 8, 0);
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().expect("8-byte chunk")))
        .collect()
}

#[cfg(not(loom))]
/// The string in `words` (up to the first NUL); invalid UTF-8 is replaced, never trusted.
pub(crate) fn unpack_str(words: &[u64]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[cfg(not(loom))]
/// The largest char boundary of `s` not past `max`.
pub(crate) fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut cut = s.len().min(max);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn strings_roundtrip_and_cut_at_char_boundaries() {
        assert_eq!(unpack_str(&pack_str("worker", 2)), "worker");
        assert_eq!(
            unpack_str(&pack_str("0123456789abcdefXYZ", 2)),
            "0123456789abcdef"
        );
        // "é" is two bytes: a cut through it keeps only the whole chars before it.
        assert_eq!(unpack_str(&pack_str("abcdefgé", 1)), "abcdefg");
    }

    #[test]
    fn byte_words_are_bounds_checked() {
        let bytes = [1u8, 0, 0, 0, 0, 0, 0, 0, 9, 9];
        let w = ByteWords(&bytes);
        assert_eq!((w.word_count(), w.load(0), w.load(1)), (1, Some(1), None));
        assert_eq!(w.load(usize::MAX), None);
    }
}
