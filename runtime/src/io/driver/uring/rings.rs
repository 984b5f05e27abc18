//! [`Rings`]: one io_uring instance per worker.
//!
//! io_uring finishes a socket operation (its "task work") on the thread that submitted it. With
//! one ring shared by every worker, that thread is often a worker asleep on its condvar, which
//! the kernel must interrupt for each completion, only for the completion to be reaped by another
//! thread. So each worker has a ring of its own: the operations of the tasks it polls go to that
//! ring, it sleeps in that ring (and so is woken exactly by its own completions), and it reaps
//! that ring. Threads that are not workers (the blocking pool, `block_on` callers) use ring 0 and
//! submit at once, since nobody flushes for them.
//!
//! An operation stays on the ring it was submitted to for its whole life: its key, its
//! cancellation and the provided buffers its completions name all belong to that ring (`Op`
//! holds the ring). A stream's multishot receive stays on the ring that armed it; each send goes
//! to the ring of the thread that makes it.

use super::ring::Uring;
use crate::runtime::metrics::{IoBufferMetrics, IoStats};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Set ids start at 1: 0 in [`DRIVING`] means "this thread drives no ring".
static NEXT_SET: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The ring this thread drives (flushes before it sleeps, submits to, reaps): the id of its
    /// set and its index there. `(0, 0)`: none.
    static DRIVING: Cell<(u64, usize)> = const { Cell::new((0, 0)) };
}

/// Whether the calling thread drives ring `index` of set `set`.
pub(super) fn drives(set: u64, index: usize) -> bool {
    DRIVING.with(|d| d.get() == (set, index))
}

/// Restores the thread's previous driving state when dropped.
pub(crate) struct DrivingGuard {
    prev: (u64, usize),
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        DRIVING.with(|d| d.set(self.prev));
    }
}

/// The calling thread stops driving any ring until the guard drops (a worker thread that hands
/// its core away to run blocking code: its ring now has another driver, so this thread's
/// submissions must not wait for a flush of its own).
pub(crate) fn suspend_driving() -> DrivingGuard {
    DrivingGuard {
        prev: DRIVING.with(|d| d.replace((0, 0))),
    }
}

/// A runtime's rings, one per worker (one for the current-thread runtime).
pub(crate) struct Rings {
    id: u64,
    rings: Box<[Arc<Uring>]>,
    stats: Arc<IoStats>,
}

impl Rings {
    /// Sets up `n` rings (at least one), or says why io_uring cannot be used.
    pub(crate) fn new(
        n: usize,
        inject_errno: Option<i32>,
        stats: Arc<IoStats>,
    ) -> Result<Rings, String> {
        let id = NEXT_SET.fetch_add(1, Relaxed);
        let rings = (0..n.max(1))
            .map(|index| Uring::new(inject_errno, id, index, stats.clone()).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Rings { id, rings, stats })
    }

    /// The ring the calling thread submits to: its own if it drives one of ours, else ring 0.
    #[inline]
    pub(crate) fn current(&self) -> &Arc<Uring> {
        let (set, index) = DRIVING.with(Cell::get);
        if set == self.id {
            &self.rings[index]
        } else {
            &self.rings[0]
        }
    }

    /// Ring `index` (a worker's).
    pub(crate) fn get(&self, index: usize) -> &Arc<Uring> {
        &self.rings[index]
    }

    /// Every ring.
    pub(crate) fn all(&self) -> &[Arc<Uring>] {
        &self.rings
    }

    /// The counters every ring adds to.
    pub(crate) fn stats(&self) -> &IoStats {
        &self.stats
    }

    /// Marks the calling thread as the driver of ring `index` until the guard drops: it submits
    /// to that ring, and its submissions wait for its own next flush.
    pub(crate) fn enter_driving(&self, index: usize) -> DrivingGuard {
        assert!(index < self.rings.len(), "no ring {index}");
        DrivingGuard {
            prev: DRIVING.with(|d| d.replace((self.id, index))),
        }
    }

    /// Completions that named no operation in flight, over every ring.
    pub(crate) fn stray_completions(&self) -> u64 {
        self.rings.iter().map(|r| r.stray_completions()).sum()
    }

    /// The provided-buffer pools of every ring, added up (`None` without provided buffers).
    pub(crate) fn buffer_metrics(&self) -> Option<IoBufferMetrics> {
        let mut pools = self.rings.iter().filter_map(|r| r.buf_ring());
        let mut sum = pools.next()?.metrics();
        for m in pools.map(|p| p.metrics()) {
            sum.capacity += m.capacity;
            sum.in_use += m.in_use;
            sum.hits += m.hits;
            sum.misses += m.misses;
            sum.growth += m.growth;
        }
        Some(sum)
    }
}
