//! The fair counting semaphore under [`Semaphore`](super::Semaphore), [`Mutex`](super::Mutex),
//! [`RwLock`](super::RwLock) and the bounded [`mpsc`](super::mpsc) channel.
//!
//! # Protocol
//!
//! One atomic word: `permits << 2 | WAITERS | CLOSED`.
//!
//! - `WAITERS` is set exactly while the wait list is non-empty, and is only set or cleared while
//!   holding `waiters`' mutex. Invariant: **while `WAITERS` is set, the word holds 0 permits**.
//!   A waiter that enqueues first takes every available permit into its record (a partial
//!   grant), in the same CAS that sets `WAITERS`.
//! - Fast paths never take the lock. `try_acquire` is a CAS that subtracts permits; it succeeds
//!   only when enough permits are in the word, which by the invariant means nobody waits, so it
//!   cannot jump the queue. `release` is a CAS that adds permits while `WAITERS` is clear.
//! - With `WAITERS` set, `release` takes the lock and assigns the permits to waiters in FIFO order
//!   (partially to the head if it needs more); a waiter whose need reaches 0 is unlinked and its
//!   waker is called after the lock is released. Permits left over once the list is empty go
//!   back into the word with `WAITERS` cleared, in one CAS.
//! - A waiter record is linked while it waits. Unlinked with `needed == 0`: granted. Unlinked
//!   with `needed > 0`: the semaphore was closed. A dropped waiter returns what it was granted,
//!   fully or partially, through `release`, so a cancelled acquire never loses permits and the
//!   next waiter gets them.
//! - `close` sets `CLOSED` (fast paths fail from then on), unlinks every waiter and wakes it.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::coop;
use crate::sync::wait_list::{Key, WaitList};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

const CLOSED: usize = 0b01;
const WAITERS: usize = 0b10;
const SHIFT: usize = 2;

/// The largest number of permits a semaphore can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

fn permits(word: usize) -> usize {
    word >> SHIFT
}

/// Why an acquire failed without waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquireError {
    Closed,
    NoPermits,
}

/// The semaphore was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

#[derive(Debug)]
struct Waiter {
    waker: Option<Waker>,
    needed: usize,
}

/// A FIFO-fair semaphore whose acquirers may ask for several permits at once.
pub(crate) struct RawSemaphore {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

impl RawSemaphore {
    /// A semaphore holding `permits` permits.
    pub(crate) fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most {MAX_PERMITS} permits"
        );
        RawSemaphore {
            state: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Permits currently available (none while someone waits).
    pub(crate) fn available_permits(&self) -> usize {
        permits(self.state.load(Acquire))
    }

    /// Whether acquirers are queued (`WAITERS` is set).
    pub(crate) fn has_waiters(&self) -> bool {
        self.state.load(Acquire) & WAITERS != 0
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Acquire) & CLOSED != 0
    }

    /// Takes `n` permits if they are available now.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut word = self.state.load(Acquire);
        loop {
            if word & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if permits(word) < n {
                return Err(TryAcquireError::NoPermits);
            }
            match self
                .state
                .compare_exchange_weak(word, word - (n << SHIFT), AcqRel, Acquire)
            {
                Ok(_) => return Ok(()),
                Err(actual) => word = actual,
            }
        }
    }

    /// Returns `n` permits: to the waiters first, in FIFO order, the rest to the word.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut word = self.state.load(Relaxed);
        while word & WAITERS == 0 {
            assert!(
                permits(word) + n <= MAX_PERMITS,
                "semaphore permit overflow"
            );
            match self
                .state
                .compare_exchange_weak(word, word + (n << SHIFT), AcqRel, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
        let waiters = self.waiters.lock();
        self.release_locked(waiters, n);
    }

    /// Assigns `n` permits under the lock, then wakes the granted waiters after unlocking.
    fn release_locked(
        &self,
        mut waiters: crate::loom::sync::MutexGuard<'_, WaitList<Waiter>>,
        n: usize,
    ) {
        let mut rem = n;
        let mut wakers: Vec<Waker> = Vec::new();
        while rem > 0 {
            let Some(key) = waiters.front() else { break };
            let rec = waiters.get_mut(key);
            let take = rem.min(rec.needed);
            rec.needed -= take;
            rem -= take;
            if rec.needed == 0 {
                wakers.extend(rec.waker.take());
                waiters.pop_front();
            }
        }
        if waiters.is_empty() {
            // Under the lock nobody else sets or clears WAITERS; fast paths may still CAS.
            let mut word = self.state.load(Relaxed);
            loop {
                let next = (word & !WAITERS) + (rem << SHIFT);
                match self
                    .state
                    .compare_exchange_weak(word, next, AcqRel, Relaxed)
                {
                    Ok(_) => break,
                    Err(actual) => word = actual,
                }
            }
        }
        drop(waiters);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Closes the semaphore: pending and future acquires fail; held permits stay valid.
    pub(crate) fn close(&self) {
        let mut waiters = self.waiters.lock();
        self.state.fetch_or(CLOSED, AcqRel);
        let mut wakers = Vec::with_capacity(waiters.len());
        while let Some(key) = waiters.pop_front() {
            wakers.extend(waiters.get_mut(key).waker.take());
        }
        self.state.fetch_and(!WAITERS, AcqRel);
        drop(waiters);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Takes permits and either completes, or enqueues with what it took; under the lock.
    fn enqueue(&self, n: usize, waker: &Waker) -> Enqueue {
        let mut waiters = self.waiters.lock();
        let mut word = self.state.load(Acquire);
        let granted = loop {
            if word & CLOSED != 0 {
                return Enqueue::Closed;
            }
            let (next, granted) = if permits(word) >= n {
                (word - (n << SHIFT), n)
            } else {
                (word & (CLOSED | WAITERS) | WAITERS, permits(word))
            };
            match self
                .state
                .compare_exchange_weak(word, next, AcqRel, Acquire)
            {
                Ok(_) => break granted,
                Err(actual) => word = actual,
            }
        };
        if granted == n {
            return Enqueue::Acquired;
        }
        Enqueue::Queued(waiters.push_back(Waiter {
            waker: Some(waker.clone()),
            needed: n - granted,
        }))
    }

    /// Polls a queued waiter: granted, closed, or still waiting (its waker refreshed).
    fn poll_queued(&self, key: Key, n: usize, waker: &Waker) -> Poll<Result<(), Closed>> {
        let mut waiters = self.waiters.lock();
        if waiters.is_linked(key) {
            let rec = waiters.get_mut(key);
            if !rec.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                rec.waker = Some(waker.clone());
            }
            return Poll::Pending;
        }
        let rec = waiters.free(key);
        if rec.needed == 0 {
            return Poll::Ready(Ok(()));
        }
        // Closed while waiting: give back the partial grant.
        self.release_locked(waiters, n - rec.needed);
        Poll::Ready(Err(Closed))
    }

    /// A queued waiter went away: leave the list and pass on whatever it was granted.
    fn cancel(&self, key: Key, n: usize) {
        let mut waiters = self.waiters.lock();
        let rec = waiters.free(key);
        self.release_locked(waiters, n - rec.needed);
    }

    /// An acquire of `n` permits, as a future.
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        assert!(
            n <= MAX_PERMITS,
            "cannot acquire more than {MAX_PERMITS} permits"
        );
        Acquire {
            sem: self,
            n,
            stage: Stage::Init,
        }
    }
}

/// What an enqueueing acquire found.
#[must_use]
enum Enqueue {
    Acquired,
    Closed,
    Queued(Key),
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    Init,
    Queued(Key),
    Done,
}

/// Future of [`RawSemaphore::acquire`]. Dropping it while queued returns any partial grant.
#[must_use = "futures do nothing unless polled"]
pub(crate) struct Acquire<'a> {
    sem: &'a RawSemaphore,
    n: usize,
    stage: Stage,
}

impl Acquire<'_> {
    /// Polls without charging the cooperative budget (for a caller that charges it itself).
    pub(crate) fn poll_stage(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let out = match self.stage {
            Stage::Init => match self.sem.try_acquire(self.n) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TryAcquireError::Closed) => Poll::Ready(Err(Closed)),
                Err(TryAcquireError::NoPermits) => match self.sem.enqueue(self.n, cx.waker()) {
                    Enqueue::Acquired => Poll::Ready(Ok(())),
                    Enqueue::Closed => Poll::Ready(Err(Closed)),
                    Enqueue::Queued(key) => {
                        self.stage = Stage::Queued(key);
                        Poll::Pending
                    }
                },
            },
            Stage::Queued(key) => self.sem.poll_queued(key, self.n, cx.waker()),
            Stage::Done => panic!("semaphore Acquire polled after completion"),
        };
        if out.is_ready() {
            self.stage = Stage::Done;
        }
        out
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        coop::poll_budgeted(cx, |cx| this.poll_stage(cx))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Stage::Queued(key) = self.stage {
            self.sem.cancel(key, self.n);
        }
    }
}

impl fmt::Debug for RawSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.state.load(Relaxed);
        f.debug_struct("Semaphore")
            .field("permits", &permits(word))
            .field("closed", &(word & CLOSED != 0))
            .finish()
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("n", &self.n)
            .field("stage", &self.stage)
            .finish()
    }
}
