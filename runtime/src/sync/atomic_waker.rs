//! [`AtomicWaker`]: one waker slot, registered by a single task and woken by any thread.
//!
//! # Protocol
//!
//! This is the well-known three-state algorithm of `futures`' `AtomicWaker` (written anew here
//! over the loom facade). The state word is `WAITING` (0), or has `REGISTERING` and/or `WAKING`.
//!
//! - `register`: CAS `WAITING -> REGISTERING`; on success the cell is ours: store the waker,
//!   then CAS `REGISTERING -> WAITING`. If that CAS fails, a waker came while we stored
//!   (`REGISTERING | WAKING`): take the waker back, reset to `WAITING`, and wake it ourselves.
//!   If the first CAS finds `WAKING`, a wake is in progress: wake the new waker directly.
//! - `wake`: `fetch_or(WAKING)`; if the previous state was `WAITING`, the cell is ours: take the
//!   waker, clear `WAKING`, and wake it outside the cell. Otherwise a registration in progress
//!   will see `WAKING` and wake, or another waker is already waking.
//!
//! Only one task may call `register` at a time (the owner, through `&mut` on its handle).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use std::fmt;
use std::task::Waker;

const WAITING: usize = 0;
const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;

/// A waker slot for one registering task and many wakers.
pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cell is accessed only by the holder of REGISTERING or WAKING (module protocol);
// `Waker` is `Send + Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` to be woken by the next [`wake`](Self::wake). Single registerer only.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(WAITING, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                // SAFETY: REGISTERING is ours: no waker touches the cell until we reset it.
                let old = self.waker.with_mut(|cell| unsafe {
                    match &*cell {
                        Some(w) if w.will_wake(waker) => None,
                        _ => (*cell).replace(waker.clone()),
                    }
                });
                if let Err(_actual) =
                    self.state
                        .compare_exchange(REGISTERING, WAITING, AcqRel, Acquire)
                {
                    // A wake arrived while we stored (state is REGISTERING | WAKING).
                    // SAFETY: still REGISTERING: the waker that set WAKING left the cell to us.
                    let w = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                    self.state.swap(WAITING, AcqRel);
                    if let Some(w) = w {
                        w.wake();
                    }
                }
                drop(old);
            }
            Err(WAKING) => waker.wake_by_ref(),
            // A concurrent registration: excluded by the single-registerer contract.
            Err(_) => {}
        }
    }

    /// Takes the stored waker, if any, and wakes it.
    pub(crate) fn wake(&self) {
        if let Some(w) = self.take() {
            w.wake();
        }
    }

    /// Takes the stored waker, if any.
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            WAITING => {
                // SAFETY: we moved WAITING -> WAKING: the cell is ours until we clear WAKING.
                let w = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.fetch_and(!WAKING, Release);
                w
            }
            _ => None,
        }
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker")
            .field("state", &self.state.load(Relaxed))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::counting_waker;

    #[test]
    fn wake_takes_the_registered_waker_once() {
        let slot = AtomicWaker::new();
        let (w1, c1) = counting_waker();
        let (w2, c2) = counting_waker();
        slot.wake();
        slot.register(&w1);
        slot.register(&w2);
        slot.wake();
        slot.wake();
        assert_eq!((c1.count(), c2.count()), (0, 1));
    }
}
