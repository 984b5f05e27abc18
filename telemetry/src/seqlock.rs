//! A seqlock over atomic words: the multi-word records of the segment (task slots, the I/O
//! backend name and reason).
//!
//! Protocol (Lamport's sequence lock as in Linux's `seqcount`, with every payload word an atomic
//! so that a reader racing a writer is not a data race; the fences follow Boehm, "Can seqlocks get
//! along with programming language memory models?", 2012):
//!
//! * word 0 is the sequence: even when the record is stable, odd while a write is in progress;
//! * one writer at a time (the caller guarantees it): `seq = s + 1` (Relaxed), `fence(Release)`,
//!   payload stores (Relaxed), `seq = s + 2` (Release);
//! * a reader: `s1 = seq`, `fence(Acquire)`, payload loads (Relaxed), `fence(Acquire)`, `s2 = seq`;
//!   the copy is consistent when `s1` is even and `s1 == s2`. If a payload load saw a store of a
//!   later write, the second fence synchronises with that write's release fence, so `s2` sees its
//!   odd sequence (or later) and the copy is discarded.
//!
//! A reader retries a bounded number of times and then reports the record busy: a writer stuck
//! half-way (or a hostile segment holding an odd sequence) never makes a reader spin forever.

use crate::loom::spin_loop;
use crate::loom::sync::atomic::{fence, AtomicU64, Ordering};
use crate::words::Words;

/// Reader attempts before a record is reported busy.
pub const READ_RETRIES: usize = 16;

/// The outcome of a seqlock read.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqRead {
    /// The copy is one complete write.
    Consistent,
    /// Every attempt raced a write (or the record is out of bounds): nothing usable was copied.
    Busy,
}

/// Writes `values` as the payload of the record `words` (`words[0]` is the sequence).
/// One writer per record at a time; it keeps the sequence in `seq`, so it never reads the
/// shared word.
#[inline]
pub(crate) fn write(words: &[AtomicU64], seq: &mut u64, values: &[u64]) {
    let (word, payload) = words
        .split_first()
        .expect("a seqlock record has a sequence word");
    let s = *seq & !1;
    word.store(s.wrapping_add(1), Ordering::Relaxed);
    fence(Ordering::Release);
    for (dst, &v) in payload.iter().zip(values) {
        dst.store(v, Ordering::Relaxed);
    }
    *seq = s.wrapping_add(2);
    word.store(*seq, Ordering::Release);
}

/// Copies the payload of the record starting at word `start` into `out` (as many words as `out`
/// holds), retrying up to `retries` times.
pub(crate) fn read<W: Words + ?Sized>(
    words: &W,
    start: usize,
    out: &mut [u64],
    retries: usize,
) -> SeqRead {
    for _ in 0..retries.max(1) {
        if try_read(words, start, out) == Some(true) {
            return SeqRead::Consistent;
        }
        spin_loop();
    }
    SeqRead::Busy
}

/// One attempt: `Some(true)` consistent, `Some(false)` raced, `None` out of bounds.
fn try_read<W: Words + ?Sized>(words: &W, start: usize, out: &mut [u64]) -> Option<bool> {
    let s1 = words.load(start)?;
    fence(Ordering::Acquire);
    if s1 & 1 == 1 {
        return Some(false);
    }
    for (i, dst) in out.iter_mut().enumerate() {
        *dst = words.load(start.checked_add(1 + i)?)?;
    }
    fence(Ordering::Acquire);
    Some(words.load(start)? == s1)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn record(n: usize) -> Vec<AtomicU64> {
        (0..n).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn read_returns_the_last_complete_write() {
        let (r, mut seq) = (record(3), 0);
        write(&r, &mut seq, &[1, 2]);
        write(&r, &mut seq, &[3, 4]);
        let mut out = [0; 2];
        assert_eq!(read(&r[..], 0, &mut out, READ_RETRIES), SeqRead::Consistent);
        assert_eq!(out, [3, 4]);
        assert_eq!(
            r[0].load(Ordering::Relaxed),
            4,
            "two writes, sequence +2 each"
        );
    }

    #[test]
    fn a_write_in_progress_reads_busy_after_bounded_retries() {
        let (r, mut seq) = (record(3), 0);
        write(&r, &mut seq, &[1, 2]);
        r[0].store(5, Ordering::Relaxed); // a writer stopped half-way
        let mut out = [0; 2];
        assert_eq!(read(&r[..], 0, &mut out, READ_RETRIES), SeqRead::Busy);
    }

    #[test]
    fn out_of_bounds_reads_busy() {
        let r = record(2);
        let mut out = [0; 4];
        assert_eq!(read(&r[..], 0, &mut out, 2), SeqRead::Busy);
        assert_eq!(read(&r[..], usize::MAX, &mut out[..1], 2), SeqRead::Busy);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;

    /// A writer updating a two-word record twice, a reader: it gets a pair from one write (both
    /// words equal) or reports busy, never a mix.
    #[test]
    fn reader_gets_a_consistent_pair_or_busy() {
        loom::model(|| {
            let rec: Arc<Vec<AtomicU64>> = Arc::new((0..3).map(|_| AtomicU64::new(0)).collect());
            let w = rec.clone();
            let writer = loom::thread::spawn(move || {
                let mut seq = 0;
                write(&w, &mut seq, &[1, 1]);
                write(&w, &mut seq, &[2, 2]);
            });
            let mut out = [u64::MAX; 2];
            match read(&rec[..], 0, &mut out, 2) {
                SeqRead::Consistent => {
                    assert_eq!(out[0], out[1], "torn pair {out:?}");
                    assert!(out[0] <= 2);
                }
                SeqRead::Busy => {}
            }
            writer.join().unwrap();
            assert_eq!(read(&rec[..], 0, &mut out, 1), SeqRead::Consistent);
            assert_eq!(out, [2, 2]);
        });
    }
}
