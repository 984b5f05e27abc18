//! [`Notify`]: wakes one waiting task, or all of the current ones, with no lost wake-up.
//!
//! # Protocol
//!
//! One atomic word holds a 2-bit state and, above it, the number of `notify_waiters` calls
//! (the *generation*):
//!
//! | state | meaning | who leaves it |
//! |---|---|---|
//! | `EMPTY` | no waiter, no stored permit | `notify_one` (to `NOTIFIED`, CAS), a registering waiter (to `WAITING`, under the lock) |
//! | `NOTIFIED` | one permit is stored | a `Notified` consuming it (to `EMPTY`, CAS) |
//! | `WAITING` | the wait list is non-empty | only under the lock: the last waiter leaving sets `EMPTY` |
//!
//! `WAITING` is entered and left only while holding `waiters`' mutex, and the generation is
//! incremented only under it, so under the lock a `WAITING` word is stable. `EMPTY`/`NOTIFIED`
//! change by CAS with or without the lock, so every update of them is a CAS loop.
//!
//! A [`Notified`] captures the generation when it is created. It is ready when it consumes a
//! stored permit, when the generation moved on (a `notify_waiters` happened after `notified()`),
//! or when a notifier marked its wait-list record. `notify_one` pops the first waiter and marks
//! it `One`; `notify_waiters` pops every waiter and marks it `All`. A `Notified` dropped after its
//! record was marked `One`, but before it returned `Ready`, passes the notification on (to the next
//! waiter, or as the stored permit). Wakers are always called after the mutex is released.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use crate::sync::wait_list::{Key, WaitList};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

const EMPTY: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;
const STATE_MASK: usize = 0b11;
const GEN_ONE: usize = 0b100;

fn state_of(word: usize) -> usize {
    word & STATE_MASK
}

fn with_state(word: usize, state: usize) -> usize {
    (word & !STATE_MASK) | state
}

fn generation(word: usize) -> usize {
    word >> 2
}

/// How a waiter was notified.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    One,
    All,
}

#[derive(Debug)]
struct Waiter {
    waker: Option<Waker>,
    notified: Option<Kind>,
}

/// Notifies one task, or all waiting tasks, of an event. It carries no data.
///
/// `notify_one` with nobody waiting stores a single permit, consumed by the next
/// [`notified`](Notify::notified) future; `notify_waiters` wakes exactly the futures that exist
/// at the time of the call and stores nothing.
pub struct Notify {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

/// Where a [`Notified`] is in its life.
#[derive(Debug, Clone, Copy)]
enum Stage {
    Init,
    Waiting(Key),
    Done,
}

/// The future returned by [`Notify::notified`].
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: usize,
    stage: Stage,
}

impl Notify {
    /// A `Notify` with no stored permit.
    pub fn new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// A future that completes when this `Notify` is notified.
    ///
    /// A `notify_waiters` call made after this returns completes it, even before its first poll.
    pub fn notified(&self) -> Notified<'_> {
        let generation = generation(self.state.load(SeqCst));
        Notified {
            notify: self,
            generation,
            stage: Stage::Init,
        }
    }

    /// Wakes the first waiter, or stores one permit if nobody waits (at most one is stored).
    pub fn notify_one(&self) {
        let mut word = self.state.load(SeqCst);
        while state_of(word) != WAITING {
            match self
                .state
                .compare_exchange(word, with_state(word, NOTIFIED), SeqCst, SeqCst)
            {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
        let mut waiters = self.waiters.lock();
        let waker = self.notify_locked(&mut waiters);
        drop(waiters);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes every waiter that exists now; stores no permit.
    pub fn notify_waiters(&self) {
        let mut waiters = self.waiters.lock();
        let word = self.state.load(SeqCst);
        if state_of(word) != WAITING {
            self.state.fetch_add(GEN_ONE, SeqCst);
            return;
        }
        // Stable under the lock: see the protocol.
        self.state.store(with_state(word + GEN_ONE, EMPTY), SeqCst);
        let mut wakers = Vec::with_capacity(waiters.len());
        while let Some(key) = waiters.pop_front() {
            let rec = waiters.get_mut(key);
            rec.notified = Some(Kind::All);
            wakers.extend(rec.waker.take());
        }
        drop(waiters);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Hands one notification to the first waiter, or stores it; returns the waker to call.
    fn notify_locked(&self, waiters: &mut WaitList<Waiter>) -> Option<Waker> {
        let mut word = self.state.load(SeqCst);
        while state_of(word) != WAITING {
            match self
                .state
                .compare_exchange(word, with_state(word, NOTIFIED), SeqCst, SeqCst)
            {
                Ok(_) => return None,
                Err(actual) => word = actual,
            }
        }
        let key = waiters
            .pop_front()
            .expect("WAITING with an empty wait list");
        if waiters.is_empty() {
            self.state.store(with_state(word, EMPTY), SeqCst);
        }
        let rec = waiters.get_mut(key);
        rec.notified = Some(Kind::One);
        rec.waker.take()
    }

    /// Consumes a stored permit if there is one.
    fn try_consume(&self, mut word: usize) -> bool {
        while state_of(word) == NOTIFIED {
            match self
                .state
                .compare_exchange(word, with_state(word, EMPTY), SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
        false
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("state", &state_of(self.state.load(SeqCst)))
            .finish()
    }
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so that a later `notify_one`
    /// picks it; returns `true` if it is already notified.
    pub fn enable(mut self: Pin<&mut Self>) -> bool {
        self.poll_notified(None).is_ready()
    }

    fn poll_notified(&mut self, waker: Option<&Waker>) -> Poll<()> {
        match self.stage {
            Stage::Init => self.poll_init(waker),
            Stage::Waiting(key) => self.poll_waiting(key, waker),
            Stage::Done => Poll::Ready(()),
        }
    }

    fn poll_init(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify = self.notify;
        let word = notify.state.load(SeqCst);
        if notify.try_consume(word) || generation(word) != self.generation {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        let mut waiters = notify.waiters.lock();
        let mut word = notify.state.load(SeqCst);
        loop {
            if generation(word) != self.generation {
                self.stage = Stage::Done;
                return Poll::Ready(());
            }
            let next = match state_of(word) {
                NOTIFIED => with_state(word, EMPTY),
                EMPTY => with_state(word, WAITING),
                _ => break,
            };
            match notify.state.compare_exchange(word, next, SeqCst, SeqCst) {
                Ok(_) if state_of(word) == NOTIFIED => {
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                Ok(_) => break,
                Err(actual) => word = actual,
            }
        }
        let key = waiters.push_back(Waiter {
            waker: waker.cloned(),
            notified: None,
        });
        self.stage = Stage::Waiting(key);
        Poll::Pending
    }

    fn poll_waiting(&mut self, key: Key, waker: Option<&Waker>) -> Poll<()> {
        let mut waiters = self.notify.waiters.lock();
        let rec = waiters.get_mut(key);
        if rec.notified.is_some() {
            waiters.free(key);
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        if let Some(w) = waker {
            if !rec.waker.as_ref().is_some_and(|old| old.will_wake(w)) {
                rec.waker = Some(w.clone());
            }
        }
        Poll::Pending
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        crate::runtime::coop::poll_budgeted(cx, |cx| this.poll_notified(Some(cx.waker())))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Stage::Waiting(key) = self.stage else {
            return;
        };
        let notify = self.notify;
        let mut waiters = notify.waiters.lock();
        let was_linked = waiters.is_linked(key);
        let rec = waiters.free(key);
        if was_linked && waiters.is_empty() {
            // Stable under the lock: we were linked, so the state is WAITING.
            let word = notify.state.load(SeqCst);
            notify.state.store(with_state(word, EMPTY), SeqCst);
        }
        let waker = match rec.notified {
            Some(Kind::One) => notify.notify_locked(&mut waiters),
            _ => None,
        };
        drop(waiters);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("stage", &self.stage)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once};
    use std::pin::pin;

    #[test]
    fn notify_one_without_waiter_stores_exactly_one_permit() {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        let (waker, _) = counting_waker();
        assert!(poll_once(pin!(notify.notified()), &waker).is_ready());
        assert!(poll_once(pin!(notify.notified()), &waker).is_pending());
    }

    #[test]
    fn notify_one_wakes_waiters_in_fifo_order() {
        let notify = Notify::new();
        let (w1, c1) = counting_waker();
        let (w2, c2) = counting_waker();
        let mut a = pin!(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(poll_once(a.as_mut(), &w1).is_pending());
        assert!(poll_once(b.as_mut(), &w2).is_pending());
        notify.notify_one();
        assert_eq!((c1.count(), c2.count()), (1, 0));
        assert!(poll_once(b.as_mut(), &w2).is_pending());
        assert!(poll_once(a.as_mut(), &w1).is_ready());
        notify.notify_one();
        assert_eq!((c1.count(), c2.count()), (1, 1));
        assert!(poll_once(b.as_mut(), &w2).is_ready());
    }

    #[test]
    fn notify_waiters_wakes_current_waiters_and_stores_nothing() {
        let notify = Notify::new();
        let (w, c) = counting_waker();
        let mut a = pin!(notify.notified());
        let mut b = pin!(notify.notified());
        let created_before = pin!(notify.notified());
        assert!(poll_once(a.as_mut(), &w).is_pending());
        assert!(poll_once(b.as_mut(), &w).is_pending());
        notify.notify_waiters();
        assert_eq!(c.count(), 2);
        assert!(poll_once(a, &w).is_ready());
        assert!(poll_once(b, &w).is_ready());
        // Created before the call, first polled after it: still notified.
        assert!(poll_once(created_before, &w).is_ready());
        // Created after: not notified, no permit stored.
        assert!(poll_once(pin!(notify.notified()), &w).is_pending());
    }

    #[test]
    fn dropped_notified_waiter_passes_its_notification_on() {
        let notify = Notify::new();
        let (w1, c1) = counting_waker();
        let (w2, c2) = counting_waker();
        let mut a = Box::pin(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(poll_once(a.as_mut(), &w1).is_pending());
        assert!(poll_once(b.as_mut(), &w2).is_pending());
        notify.notify_one();
        assert_eq!(c1.count(), 1);
        drop(a);
        assert_eq!(c2.count(), 1);
        assert!(poll_once(b, &w2).is_ready());
        // With no waiter left, a forwarded notification becomes the stored permit.
        let mut c = Box::pin(notify.notified());
        assert!(poll_once(c.as_mut(), &w1).is_pending());
        notify.notify_one();
        drop(c);
        assert!(poll_once(pin!(notify.notified()), &w1).is_ready());
    }

    #[test]
    fn dropped_unnotified_waiter_leaves_the_list() {
        let notify = Notify::new();
        let (w, c) = counting_waker();
        let mut a = Box::pin(notify.notified());
        assert!(poll_once(a.as_mut(), &w).is_pending());
        drop(a);
        notify.notify_one();
        assert_eq!(c.count(), 0);
        assert!(poll_once(pin!(notify.notified()), &w).is_ready());
    }

    #[test]
    fn enable_registers_for_notify_one() {
        let notify = Notify::new();
        let (w, c) = counting_waker();
        let mut a = pin!(notify.notified());
        assert!(!a.as_mut().enable());
        notify.notify_one();
        assert_eq!(c.count(), 0);
        assert!(poll_once(a, &w).is_ready());
        // The notification went to `a`, not to a permit.
        assert!(poll_once(pin!(notify.notified()), &w).is_pending());
    }
}
