//! Task ids.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque, process-unique task id (never reused while the process lives).
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(pub(crate) NonZeroU64);

/// Ids are handed to threads in blocks so a spawn does not touch a shared counter.
const BLOCK: u64 = 1024;

thread_local! {
    /// (next id, end of this thread's block)
    static NEXT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl Id {
    pub(crate) fn next() -> Id {
        static GLOBAL: AtomicU64 = AtomicU64::new(1);
        let n = NEXT
            .try_with(|c| {
                let (mut next, mut end) = c.get();
                if next == end {
                    next = GLOBAL.fetch_add(BLOCK, Relaxed);
                    end = next + BLOCK;
                }
                c.set((next + 1, end));
                next
            })
            .unwrap_or_else(|_| GLOBAL.fetch_add(1, Relaxed));
        Id(NonZeroU64::new(n).expect("task id space exhausted"))
    }

    /// The id as a number (for telemetry and logs).
    pub fn as_u64(&self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

thread_local! {
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

/// The id of the task being polled on this thread. Panics outside a task.
#[track_caller]
pub fn id() -> Id {
    try_id().expect("`zokio::task::id()` called outside of a task")
}

/// The id of the task being polled on this thread, if any.
pub fn try_id() -> Option<Id> {
    CURRENT.try_with(|c| c.get()).ok().flatten()
}

/// Sets the current task id for the duration of a poll (or drop).
pub(crate) struct IdGuard(Option<Id>);

impl IdGuard {
    pub(crate) fn enter(id: Id) -> IdGuard {
        IdGuard(CURRENT.try_with(|c| c.replace(Some(id))).ok().flatten())
    }
}

impl Drop for IdGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_threads() {
        let mut all: Vec<u64> = (0..4)
            .map(|_| {
                std::thread::spawn(|| (0..3000).map(|_| Id::next().as_u64()).collect::<Vec<_>>())
            })
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 12_000);
    }
}
