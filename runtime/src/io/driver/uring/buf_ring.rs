//! [`BufRing`]: a ring of provided buffers the kernel picks from for multishot receives, and the
//! I/O buffer pool's counters.
//!
//! # Protocol
//! The ring is a page-aligned array of `{addr, len, bid}` entries whose last entry's reserved
//! field is the tail. We are the only producer: under `tail`, a buffer is written at
//! `tail & mask` and the tail is published with a Release store; the kernel consumes from its
//! head and tells us which buffer it filled in each completion's flags. A buffer belongs to the
//! kernel from publication until a completion names it, then to the reader that took that
//! completion until it calls [`BufRing::give_back`].

use crossbeam_utils::CachePadded;
use io_uring::types::BufRingEntry;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::io;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering::*};
use std::sync::Mutex;

/// Buffer group id of the runtime's ring.
pub(crate) const BGID: u16 = 0;
/// Buffers in the ring.
const ENTRIES: u16 = 256;
/// Size of each buffer.
pub(crate) const BUF_SIZE: usize = 16 * 1024;

/// The runtime's provided-buffer ring.
pub(crate) struct BufRing {
    entries: NonNull<BufRingEntry>,
    memory: NonNull<u8>,
    /// The producer side, on a line of its own: readers on any worker give buffers back
    /// through it, while the ring's owner reads the fields above (and those of the ring around
    /// this one) for every receive it arms.
    producer: CachePadded<Producer>,
}

// SAFETY: the raw pointers are owned allocations; the entries are written only under `tail`,
// and each buffer is touched only by whoever owns it under the protocol above.
unsafe impl Send for BufRing {}
// SAFETY: as above.
unsafe impl Sync for BufRing {}

/// The producer's tail and the I/O buffer pool's counters (always kept: they are few and off
/// the per-poll path). Buffers in use are not counted on their own: they are the buffers
/// taken (`hits`) less those given back (counted under the tail's lock, with no atomic
/// operation of its own), which saves two read-modify-writes per received buffer.
struct Producer {
    tail: Mutex<Tail>,
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Tail {
    /// The next entry to write (the kernel sees it once stored into the ring's tail field).
    next: u16,
    /// Buffers readers gave back.
    returned: u64,
}

impl BufRing {
    fn ring_layout() -> Layout {
        Layout::from_size_align(ENTRIES as usize * size_of::<BufRingEntry>(), 4096).unwrap()
    }

    /// The buffers' bytes in all.
    const MEMORY: usize = ENTRIES as usize * BUF_SIZE;

    /// Allocates the ring and its buffers and registers them with `submitter`.
    ///
    /// The buffers (4 MiB per ring) are mapped, not allocated: their pages are the kernel's
    /// zero page until a receive first lands in them, so a runtime costs no memory for buffers
    /// it has not used yet. (An aligned zeroed allocation wrote every page at start: 4 MiB of
    /// resident memory per worker, and 3 % of a short echo run spent faulting them in.)
    pub(crate) fn new(submitter: &io_uring::Submitter<'_>) -> io::Result<BufRing> {
        // SAFETY: an anonymous private mapping of a non-zero size; no address is imposed.
        let memory = unsafe {
            libc::mmap(
                ptr::null_mut(),
                Self::MEMORY,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if memory == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let memory = NonNull::new(memory.cast::<u8>()).expect("mmap returned a null address");
        // SAFETY: the layout has a non-zero size.
        let entries = unsafe { alloc_zeroed(Self::ring_layout()) };
        let Some(entries) = NonNull::new(entries.cast()) else {
            // SAFETY: mapped above, not shared with anyone yet.
            unsafe { libc::munmap(memory.as_ptr().cast(), Self::MEMORY) };
            return Err(io::ErrorKind::OutOfMemory.into());
        };
        let ring = BufRing {
            entries,
            memory,
            producer: CachePadded::new(Producer {
                tail: Mutex::new(Tail {
                    next: 0,
                    returned: 0,
                }),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        };
        // SAFETY: the ring memory is page-aligned, zeroed, `ENTRIES` entries long, and lives
        // until `unregister` in `Uring`'s drop has run.
        unsafe {
            submitter.register_buf_ring_with_flags(entries.as_ptr() as u64, ENTRIES, BGID, 0)
        }?;
        {
            let mut tail = ring.producer.tail.lock().unwrap();
            for bid in 0..ENTRIES {
                ring.publish(&mut tail, bid);
            }
        }
        Ok(ring)
    }

    /// The pool's counters, as the metrics snapshot shows them.
    pub(crate) fn metrics(&self) -> crate::runtime::metrics::IoBufferMetrics {
        let p = &self.producer;
        // Returned first: a buffer is given back only after it was taken, so `hits` read
        // afterwards covers every buffer `returned` counts and the difference never goes
        // negative.
        let returned = p.tail.lock().unwrap().returned;
        let hits = p.hits.load(Relaxed);
        crate::runtime::metrics::IoBufferMetrics {
            capacity: u64::from(ENTRIES),
            buffer_size: BUF_SIZE as u64,
            in_use: hits.saturating_sub(returned),
            hits,
            misses: p.misses.load(Relaxed),
            // The ring is made whole at start and never grows.
            growth: u64::from(ENTRIES),
        }
    }

    /// The first `len` bytes of buffer `bid`, filled by a completion that named it.
    ///
    /// # Safety
    /// The caller owns `bid` (took the completion naming it and has not given it back), and
    /// `len` is that completion's result.
    pub(crate) unsafe fn data(&self, bid: u16, len: usize) -> &[u8] {
        debug_assert!(bid < ENTRIES && len <= BUF_SIZE);
        // SAFETY: inside the allocation; the kernel initialized `len` bytes; we own the buffer.
        unsafe {
            std::slice::from_raw_parts(self.memory.as_ptr().add(bid as usize * BUF_SIZE), len)
        }
    }

    /// A completion handed buffer `bid` to a reader.
    pub(crate) fn taken(&self) {
        self.producer.hits.fetch_add(1, Relaxed);
    }

    /// The kernel had no buffer for a receive (`ENOBUFS`).
    pub(crate) fn missed(&self) {
        self.producer.misses.fetch_add(1, Relaxed);
    }

    /// Returns buffer `bid` to the kernel.
    pub(crate) fn give_back(&self, bid: u16) {
        let mut tail = self.producer.tail.lock().unwrap();
        tail.returned += 1;
        self.publish(&mut tail, bid);
    }

    /// Writes buffer `bid` at the tail and publishes it (the caller holds the tail's lock).
    fn publish(&self, tail: &mut Tail, bid: u16) {
        let slot = (tail.next & (ENTRIES - 1)) as usize;
        // SAFETY: `slot < ENTRIES`; the producer side of the ring is ours under `tail`.
        let entry = unsafe { &mut *self.entries.as_ptr().add(slot) };
        // SAFETY: inside the buffer allocation.
        let addr = unsafe { self.memory.as_ptr().add(bid as usize * BUF_SIZE) };
        entry.set_addr(addr as u64);
        entry.set_len(BUF_SIZE as u32);
        entry.set_bid(bid);
        tail.next = tail.next.wrapping_add(1);
        // SAFETY: the tail field lies in the first entry of our ring allocation; the kernel reads
        // it atomically, so it is written as an atomic with Release (publishing the entry).
        let tail_ptr = unsafe { BufRingEntry::tail(self.entries.as_ptr()) } as *const AtomicU16;
        // SAFETY: `tail_ptr` is a valid, aligned u16 inside our allocation.
        unsafe { &*tail_ptr }.store(tail.next, Release);
    }

    /// Unregisters the ring (before the memory goes); the kernel must be done with it.
    pub(crate) fn unregister(&self, submitter: &io_uring::Submitter<'_>) {
        let _ = submitter.unregister_buf_ring(BGID);
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: allocated and mapped in `new` with these sizes; unregistered by the owner
        // first, so the kernel no longer writes into either.
        unsafe {
            dealloc(self.entries.as_ptr().cast(), Self::ring_layout());
            libc::munmap(self.memory.as_ptr().cast(), Self::MEMORY);
        }
    }
}

#[cfg(all(test, not(loom)))]
impl BufRing {
    /// How many pages of the buffers are resident (mincore).
    pub(crate) fn resident_pages(&self) -> usize {
        let page = 4096;
        let mut vec = vec![0u8; Self::MEMORY.div_ceil(page)];
        // SAFETY: `memory` is our page-aligned mapping of `MEMORY` bytes; `vec` has one byte
        // per page.
        let rc =
            unsafe { libc::mincore(self.memory.as_ptr().cast(), Self::MEMORY, vec.as_mut_ptr()) };
        assert_eq!(rc, 0, "mincore: {}", io::Error::last_os_error());
        vec.iter().filter(|b| *b & 1 == 1).count()
    }
}
