//! The task state word and its transitions.
//!
//! One `AtomicUsize` per task holds six flag bits and a reference count:
//!
//! | bit | name            | set by                                  | cleared by                          |
//! |-----|-----------------|-----------------------------------------|-------------------------------------|
//! | 0   | `RUNNING`       | the worker that starts a poll, or the   | the same thread when the poll ends  |
//! |     |                 | shutdown path that claims an idle task  | (idle or complete)                  |
//! | 1   | `COMPLETE`      | the thread that finished or cancelled   | never: terminal                     |
//! | 2   | `NOTIFIED`      | a wake while not already notified       | the worker that starts a poll       |
//! | 3   | `JOIN_INTEREST` | spawn (a `JoinHandle` exists)           | `JoinHandle` drop                   |
//! | 4   | `JOIN_WAKER`    | the `JoinHandle` once its waker is      | the `JoinHandle` before it rewrites |
//! |     |                 | written to the trailer                  | the waker; the completer after wake |
//! | 5   | `CANCELLED`     | `abort` and runtime shutdown            | never                               |
//!
//! The remaining high bits count references. Each of these owns one: the scheduler's owned-task
//! list entry (`Task`), a run-queue entry (`Notified`), the `JoinHandle`, each `Waker`, each
//! `AbortHandle`. The cell is freed by whoever drops the count to zero.
//!
//! Ownership of the cell's parts:
//! - the future/output stage is touched only by the holder of `RUNNING`, or, once `COMPLETE` is
//!   set, by the `JoinHandle` (if `JOIN_INTEREST` was set at completion) or else by the completer;
//! - the join-waker slot is written only by the `JoinHandle` while `JOIN_WAKER` is clear and the task
//!   is not complete, and read by the completer while `JOIN_WAKER` is set. After completion, the
//!   side that clears the last of `JOIN_WAKER`/`JOIN_INTEREST` drops the stored waker.
//!
//! Every transition is one read-modify-write (a CAS loop where the outcome depends on the
//! current value) and returns a `#[must_use]` outcome that tells the caller what it now owns.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use std::fmt;

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const JOIN_INTEREST: usize = 1 << 3;
const JOIN_WAKER: usize = 1 << 4;
const CANCELLED: usize = 1 << 5;
const LIFECYCLE: usize = RUNNING | COMPLETE;
const REF_SHIFT: u32 = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// A freshly spawned task: scheduled, with a `JoinHandle`, and three references
/// (owned list, run queue, `JoinHandle`).
const INITIAL: usize = (3 * REF_ONE) | NOTIFIED | JOIN_INTEREST;

/// The atomic state word of a task.
pub(crate) struct State(AtomicUsize);

/// A copy of the state word.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// Outcome of [`State::transition_to_running`].
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// The caller now polls the future.
    Success,
    /// The caller now cancels the future (drops it and completes with a cancelled error).
    Cancelled,
    /// Nothing to do; the caller's reference was released and `Dealloc` says if it was the last.
    Failed { dealloc: bool },
}

/// Outcome of [`State::transition_to_idle`].
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Idle; the caller's queue reference is released (`dealloc` if it was the last).
    /// `no_waker`: no references were left but the owned list's, the poller's and the
    /// `JoinHandle`'s (every waker and `AbortHandle` holds one), so nothing can wake it again:
    /// a lost waker.
    Ok { dealloc: bool, no_waker: bool },
    /// Woken during the poll: the caller keeps its reference and schedules the task again.
    OkNotified,
    /// Cancelled during the poll: the caller keeps `RUNNING` and cancels the future.
    Cancelled,
}

/// Outcome of a wake.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotified {
    /// The caller must submit a `Notified` (it owns one reference for it).
    Submit,
    /// Nothing to do.
    DoNothing,
    /// Nothing to do, and the caller's reference was the last: free the cell.
    Dealloc,
}

impl State {
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(INITIAL))
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// CAS loop applying `f` until it stores or declines (`None`).
    #[inline]
    fn fetch_update<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.0.load(Acquire);
        loop {
            let (out, next) = f(Snapshot(curr));
            let Some(next) = next else { return out };
            match self.0.compare_exchange_weak(curr, next.0, AcqRel, Acquire) {
                Ok(_) => return out,
                Err(actual) => curr = actual,
            }
        }
    }

    /// A worker popped a `Notified` and wants to poll.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update(|s| {
            debug_assert!(s.is_notified() || s.is_cancelled());
            if s.0 & LIFECYCLE != 0 {
                // Already running elsewhere (shutdown claimed it) or complete: drop our ref.
                let next = s.ref_dec();
                let dealloc = next.ref_count() == 0;
                return (TransitionToRunning::Failed { dealloc }, Some(next));
            }
            let next = Snapshot((s.0 | RUNNING) & !NOTIFIED);
            let out = if s.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (out, Some(next))
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            let next = Snapshot(s.0 & !RUNNING);
            if s.is_notified() {
                // Keep the reference (and NOTIFIED): it becomes the new queue entry's.
                (TransitionToIdle::OkNotified, Some(next))
            } else {
                let no_waker = s.ref_count() == 2 + usize::from(s.is_join_interested());
                let next = next.ref_dec();
                let dealloc = next.ref_count() == 0;
                (TransitionToIdle::Ok { dealloc, no_waker }, Some(next))
            }
        })
    }

    /// The future finished (or was cancelled and its cancellation stored). Returns the previous state.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// The completer is done with the join waker: clears `JOIN_WAKER`. Returns the previous state; if
    /// `JOIN_INTEREST` is clear in it, the completer owns (and must drop) the stored waker.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        prev
    }

    /// A wake that consumes the waker's reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.fetch_update(|s| {
            if s.is_running() {
                // The poller will see NOTIFIED when it goes idle; our ref is not needed.
                let next = Snapshot(s.0 | NOTIFIED).ref_dec();
                debug_assert!(next.ref_count() > 0);
                (TransitionToNotified::DoNothing, Some(next))
            } else if s.is_complete() || s.is_notified() {
                let next = s.ref_dec();
                let out = if next.ref_count() == 0 {
                    TransitionToNotified::Dealloc
                } else {
                    TransitionToNotified::DoNothing
                };
                (out, Some(next))
            } else {
                // Idle: our reference becomes the queue entry's.
                (TransitionToNotified::Submit, Some(Snapshot(s.0 | NOTIFIED)))
            }
        })
    }

    /// A wake through a borrowed waker.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_notified() {
                (TransitionToNotified::DoNothing, None)
            } else if s.is_running() {
                (
                    TransitionToNotified::DoNothing,
                    Some(Snapshot(s.0 | NOTIFIED)),
                )
            } else {
                (
                    TransitionToNotified::Submit,
                    Some(Snapshot(s.0 | NOTIFIED).ref_inc()),
                )
            }
        })
    }

    /// `abort`: marks the task cancelled; if it is idle, schedules it so a worker cancels it.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> TransitionToNotified {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_cancelled() {
                (TransitionToNotified::DoNothing, None)
            } else if s.is_running() || s.is_notified() {
                // The poller, or the worker that pops the queue entry, sees CANCELLED.
                (
                    TransitionToNotified::DoNothing,
                    Some(Snapshot(s.0 | CANCELLED | NOTIFIED)),
                )
            } else {
                let next = Snapshot(s.0 | CANCELLED | NOTIFIED).ref_inc();
                (TransitionToNotified::Submit, Some(next))
            }
        })
    }

    /// Runtime shutdown: marks the task cancelled and, if it is idle or queued, claims it
    /// (sets `RUNNING`) so the caller cancels it now. Returns whether the caller claimed it.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|s| {
            if s.0 & LIFECYCLE == 0 {
                (true, Some(Snapshot(s.0 | RUNNING | CANCELLED)))
            } else {
                (false, Some(Snapshot(s.0 | CANCELLED)))
            }
        })
    }

    /// `JoinHandle` drop. Clears `JOIN_INTEREST` (and `JOIN_WAKER` while not complete).
    /// Returns the previous state: if complete, the handle must drop the output; if the returned
    /// state has `JOIN_WAKER` clear, or the task was not complete, the handle owns the waker slot.
    pub(crate) fn unset_join_interested(&self) -> Snapshot {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested());
            let next = if s.is_complete() {
                s.0 & !JOIN_INTEREST
            } else {
                s.0 & !(JOIN_INTEREST | JOIN_WAKER)
            };
            (s, Some(Snapshot(next)))
        })
    }

    /// The `JoinHandle` wrote its waker: publish it. Fails (returns the state) if the task completed.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                (Err(s), None)
            } else {
                let next = Snapshot(s.0 | JOIN_WAKER);
                (Ok(next), Some(next))
            }
        })
    }

    /// The `JoinHandle` wants to replace its waker. Fails (returns the state) if the task completed.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                (Err(s), None)
            } else {
                let next = Snapshot(s.0 & !JOIN_WAKER);
                (Ok(next), Some(next))
            }
        })
    }

    /// Takes one more reference.
    pub(crate) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Relaxed);
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference; true if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.0.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1);
        prev.ref_count() == 1
    }

    /// Drops two references; true if they were the last.
    pub(crate) fn ref_dec_twice(&self) -> bool {
        let prev = Snapshot(self.0.fetch_sub(2 * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 2);
        prev.ref_count() == 2
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
    fn ref_inc(self) -> Snapshot {
        Snapshot(self.0 + REF_ONE)
    }
    fn ref_dec(self) -> Snapshot {
        Snapshot(self.0 - REF_ONE)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("cancelled", &self.is_cancelled())
            .field("refs", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn spawn_poll_pending_wake_complete() {
        let s = State::new();
        assert_eq!(s.load().ref_count(), 3);
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            s.transition_to_idle(),
            TransitionToIdle::Ok {
                dealloc: false,
                no_waker: true
            }
        );
        assert_eq!(s.load().ref_count(), 2);
        // A waker clone takes a ref, its wake by value submits with that ref.
        s.ref_inc();
        assert_eq!(
            s.transition_to_notified_by_val(),
            TransitionToNotified::Submit
        );
        assert_eq!(s.load().ref_count(), 3);
        // A second wake while queued does nothing.
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        let prev = s.transition_to_complete();
        assert!(prev.is_join_interested());
        assert!(s.load().is_complete() && !s.load().is_running());
    }

    #[test]
    fn wake_while_running_reschedules_once() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_idle(), TransitionToIdle::OkNotified);
        assert!(s.load().is_notified());
        assert_eq!(s.load().ref_count(), 3);
    }

    #[test]
    fn abort_idle_task_submits_it_cancelled() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        s.ref_inc();
        assert_eq!(
            s.transition_to_idle(),
            TransitionToIdle::Ok {
                dealloc: false,
                no_waker: false
            },
            "a waker is left"
        );
        assert_eq!(
            s.transition_to_notified_and_cancel(),
            TransitionToNotified::Submit
        );
        assert_eq!(
            s.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_running(), TransitionToRunning::Cancelled);
    }

    #[test]
    fn shutdown_claims_only_idle_tasks() {
        let s = State::new();
        assert!(s.transition_to_shutdown());
        assert!(s.load().is_running() && s.load().is_cancelled());
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert!(!s.transition_to_shutdown());
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Cancelled);
    }

    #[test]
    fn join_waker_handoff_after_complete() {
        let s = State::new();
        assert!(s.set_join_waker().is_ok());
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        let prev = s.transition_to_complete();
        assert!(prev.is_join_waker_set());
        // Handle still interested: it keeps the waker slot.
        assert!(s.unset_waker_after_complete().is_join_interested());
        let prev = s.unset_join_interested();
        assert!(prev.is_complete() && !prev.is_join_waker_set());
    }
}
