//! Which workers sleep, and waking them one at a time.
//!
//! One atomic word counts *unparked* workers (high bits) and *searching* workers (low 16 bits, the
//! ones looking for work to steal). A thread that makes work available wakes a sleeper only if no
//! worker is searching (a searcher will find the work) and some worker sleeps: so one new task wakes
//! at most one worker (no thundering herd). At most half of the workers search at once.
//!
//! No lost wake-up: a worker parking as the last searcher re-checks every queue after its state
//! change (both sides order their queue access and their RMW on the word with SeqCst), so either
//! the producer sees a sleeper to wake, or the parking worker sees the work.

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// The worker to wake for new work, if one should be woken. It counts as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_wake() {
            return None;
        }
        let w = sleepers.pop()?;
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(w)
    }

    fn should_wake(&self) -> bool {
        // The fence orders the caller's queue push before this read, against the parking side's
        // state change then queue check (which has a fence too): one of them sees the other.
        // A fence and a plain load keep the shared line shared, where an RMW would bounce it.
        fence(SeqCst);
        let s = self.state.load(Relaxed);
        s & SEARCH_MASK == 0 && (s >> UNPARK_SHIFT) < self.num_workers
    }

    /// Records that `worker` goes to sleep. Returns true if it was the last searcher, in which
    /// case the caller must re-check the queues for work that arrived meanwhile.
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        // Pairs with the fence in `should_wake`: the caller re-checks the queues after this.
        fence(SeqCst);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// Tries to become a searcher; refused when half the workers already search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(SeqCst);
        if 2 * (s & SEARCH_MASK) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// Stops searching. Returns true if this was the last searcher (the caller then wakes another
    /// worker if there is work, since it takes the found task for itself).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(prev & SEARCH_MASK >= 1);
        prev & SEARCH_MASK == 1
    }

    /// Takes `worker` off the sleeper list if it is on it (it woke up for its own reasons).
    /// Returns true if it was there.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        let Some(pos) = sleepers.iter().position(|&w| w == worker) else {
            return false;
        };
        sleepers.swap_remove(pos);
        self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
        true
    }

    /// Whether `worker` is on the sleeper list.
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }

    pub(crate) fn num_searching(&self) -> usize {
        self.state.load(SeqCst) & SEARCH_MASK
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_wake_per_notification_and_searchers_suppress_wakes() {
        let idle = Idle::new(4);
        for w in 0..4 {
            assert!(!idle.transition_worker_to_parked(w, false));
        }
        let first = idle.worker_to_notify();
        assert!(first.is_some());
        // The woken worker is searching: no second wake until it stops.
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.transition_worker_from_searching());
        assert!(idle.worker_to_notify().is_some());
        assert_eq!(idle.num_searching(), 1);
    }

    /// A sleeper that wakes for its own work after a notifier popped it must count itself as
    /// the searcher the notifier made it (`unpark_worker_by_id` returns false); parking again
    /// as a searcher balances the count, so later work still wakes someone.
    #[test]
    fn a_worker_popped_by_a_notifier_is_a_searcher() {
        let idle = Idle::new(2);
        assert!(!idle.transition_worker_to_parked(0, false));
        assert!(!idle.transition_worker_to_parked(1, false));
        let w = idle.worker_to_notify().unwrap();
        assert!(!idle.unpark_worker_by_id(w));
        assert_eq!(idle.num_searching(), 1);
        assert!(idle.transition_worker_to_parked(w, true));
        assert_eq!(idle.num_searching(), 0);
        assert!(idle.worker_to_notify().is_some());
    }

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_from_searching());
        assert!(idle.transition_worker_to_parked(0, true));
    }
}
