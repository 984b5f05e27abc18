//! A waker slot shared by one registering owner and one taker, without a lock.
//!
//! The algorithm is the classic "AtomicWaker" of `futures-util` (itself after the Linux
//! kernel's wait-queue idiom): a three-state word serialises who touches the cell.
//!
//! - `WAITING`: nobody touches the cell; both sides may try to enter.
//! - `REGISTERING`: the owner is replacing the waker; only the owner touches the cell.
//! - `WAKING`: a taker is moving the waker out; only that taker touches the cell.
//!
//! A taker that arrives while the owner registers sets `WAKING` too; the owner notices when it
//! leaves `REGISTERING`, and wakes the new waker itself, so no wake-up is lost.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU8;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use std::task::Waker;

const WAITING: u8 = 0;
const REGISTERING: u8 = 0b01;
const WAKING: u8 = 0b10;

/// A slot for one [`Waker`], registered by one owner at a time and taken by anyone.
pub(crate) struct AtomicWaker {
    state: AtomicU8,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cell is only accessed by the side that moved `state` out of `WAITING` (see the
// module doc), so it is never accessed from two threads at once; `Waker` is `Send + Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicU8::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` (unless the stored one already wakes the same task).
    ///
    /// Must not be called concurrently with itself (the owner holds `&mut` or `Pin<&mut>` of
    /// what contains the slot). A concurrent [`take`](Self::take) is fine.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(WAITING, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => self.store_then_release(waker),
            // A taker is running: it may have missed this waker, so wake it now.
            Err(_) => waker.wake_by_ref(),
        }
    }

    fn store_then_release(&self, waker: &Waker) {
        self.waker.with_mut(|cell| {
            // SAFETY: the state is REGISTERING, set by us: we have exclusive access to the cell.
            let slot = unsafe { &mut *cell };
            if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        });
        if self
            .state
            .compare_exchange(REGISTERING, WAITING, AcqRel, Acquire)
            .is_err()
        {
            // A taker came while we registered and backed off: we wake on its behalf.
            // SAFETY: the state is REGISTERING | WAKING; takers leave the cell alone in it.
            let taken = self.waker.with_mut(|cell| unsafe { (*cell).take() });
            self.state.swap(WAITING, AcqRel);
            if let Some(w) = taken {
                w.wake();
            }
        }
    }

    /// Moves the stored waker out, if any and if no registration is in progress (the
    /// registering owner then wakes itself).
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            WAITING => {
                // SAFETY: we moved the state from WAITING to WAKING: exclusive access.
                let taken = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.fetch_and(!WAKING, Release);
                taken
            }
            _ => None,
        }
    }
}

impl Default for AtomicWaker {
    fn default() -> AtomicWaker {
        AtomicWaker::new()
    }
}

impl std::fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicWaker")
    }
}
