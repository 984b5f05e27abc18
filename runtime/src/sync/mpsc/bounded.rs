//! The bounded channel: a sender waits for a free slot.
//!
//! A slot is a permit of the fair batch semaphore (`batch_semaphore.rs`): senders take one before
//! pushing, in FIFO order when they have to wait, and the receiver gives one back per message it
//! pops. A [`Permit`] is a slot taken ahead of the message; dropped unused, it goes back. Everything
//! else is the shared protocol of `chan.rs`.
//!
//! # Batched slot return (`pending`)
//!
//! Returning each popped slot to the semaphore word would move that word's cache line between
//! the receiver's and the senders' cores twice per message. Instead the receiver adds popped
//! slots to `pending` (`count << 2 | WANT | RX_CLOSED`, on its own cache line) and moves them
//! into the semaphore (`flush`) once `flush_at` (an eighth of the bound) have gathered, or at
//! once when `WANT` or `RX_CLOSED` is set. A slot in `pending` is still *free*:
//!
//! - **No sender waits while a slot is free.** A sender that finds the semaphore empty claims
//!   all of `pending` in one CAS (keeps one slot, releases the rest into the semaphore) — unless
//!   `WANT` is set. So `try_send` fails only when no slot is free; `capacity()` counts `pending`.
//! - **Fairness.** An acquirer that has to queue in the semaphore then calls `want`: one CAS sets
//!   `WANT` and takes `pending`'s count, which it releases into the semaphore, whose FIFO hands it
//!   to the oldest waiter. While `WANT` is set newcomers cannot claim `pending` and every slot the
//!   receiver returns goes to the semaphore at once, so a queued sender is never overtaken.
//! - **No lost slot.** `WANT` is set after the waiter is linked (`WAITERS` set). The receiver's
//!   flush clears it (`fetch_and`) and sets it again if the semaphore still has waiters, reading
//!   `WAITERS` after its `fetch_and`; a waiter linked before that `fetch_and` read-modified
//!   `pending` before it (its `want`), so the flush's read sees `WAITERS`; one linked after it
//!   sets `WANT` itself. A spurious `WANT` only costs one eager flush, which clears it.
//! - **Close.** The receiver's `close` swaps `pending` to `RX_CLOSED`, releasing its count, before
//!   closing the semaphore; after that every returned slot is flushed at once and nothing can be
//!   claimed, so `is_idle` (semaphore permits + `pending` == bound) is exact.

use super::chan::{Chan, ChanSemaphore};
use super::error::{SendError, TryRecvError, TrySendError};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use crate::runtime::coop;
use crate::sync::batch_semaphore::{self, RawSemaphore, TryAcquireError};
use crossbeam_utils::CachePadded;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Slot accounting of the bounded flavor.
pub(crate) struct Bounded {
    sem: RawSemaphore,
    bound: usize,
    /// The receiver's returned slots not yet in `sem`: `count << 2 | WANT | RX_CLOSED`, on the
    /// receiver's own cache line.
    pending: CachePadded<AtomicUsize>,
    /// The receiver flushes `pending` into `sem` once it holds this many slots.
    flush_at: usize,
}

const WANT: usize = 0b01;
const RX_CLOSED: usize = 0b10;
const ONE: usize = 0b100;

fn count(word: usize) -> usize {
    word >> 2
}

impl Bounded {
    fn new(bound: usize) -> Self {
        Bounded {
            sem: RawSemaphore::new(bound),
            bound,
            pending: CachePadded::new(AtomicUsize::new(0)),
            flush_at: (bound / 8).max(1),
        }
    }

    /// Takes one slot now: from `sem`, else (nobody waiting) every slot in `pending`.
    fn try_acquire(&self) -> Result<(), TryAcquireError> {
        match self.sem.try_acquire(1) {
            Err(TryAcquireError::NoPermits) => {}
            done => return done,
        }
        let mut word = self.pending.load(Acquire);
        loop {
            if word & (WANT | RX_CLOSED) != 0 || count(word) == 0 {
                return Err(TryAcquireError::NoPermits);
            }
            match self.pending.compare_exchange_weak(word, 0, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => word = actual,
            }
        }
        // Keep one, publish the rest (to the waiters first if some queued meanwhile).
        self.sem.release(count(word) - 1);
        Ok(())
    }

    /// Announces a queued acquirer: sets `WANT` (the receiver stops batching, newcomers stop
    /// claiming `pending`) and moves what `pending` holds into `sem`, whose FIFO hands it out.
    fn want(&self) {
        let mut word = self.pending.load(Acquire);
        loop {
            match self.pending.compare_exchange_weak(
                word,
                (word & RX_CLOSED) | WANT,
                AcqRel,
                Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => word = actual,
            }
        }
        self.sem.release(count(word));
    }

    /// Moves everything in `pending` into `sem` (receiver side); keeps `WANT` while waiters
    /// remain.
    fn flush(&self) {
        let prev = self.pending.fetch_and(RX_CLOSED, AcqRel);
        self.sem.release(count(prev));
        if prev & WANT != 0 && self.sem.has_waiters() {
            self.pending.fetch_or(WANT, AcqRel);
        }
    }

    /// Free slots now: in `sem`, plus those in `pending` unless someone waits.
    fn available(&self) -> usize {
        let word = self.pending.load(Acquire);
        let pending = if word & WANT != 0 { 0 } else { count(word) };
        self.sem.available_permits() + pending
    }

    /// Waits for a slot, FIFO behind earlier waiters.
    fn acquire(&self) -> AcquireSlot<'_> {
        AcquireSlot {
            bounded: self,
            inner: None,
            announced: false,
        }
    }
}
/// [`Bounded::acquire`]: the lock-free fast path, then the FIFO semaphore.
struct AcquireSlot<'a> {
    bounded: &'a Bounded,
    inner: Option<batch_semaphore::Acquire<'a>>,
    announced: bool,
}

impl Future for AcquireSlot<'_> {
    type Output = Result<(), batch_semaphore::Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        coop::poll_budgeted(cx, |cx| {
            let b = this.bounded;
            let inner = match &mut this.inner {
                Some(inner) => inner,
                None => {
                    match b.try_acquire() {
                        Ok(()) => return Poll::Ready(Ok(())),
                        Err(TryAcquireError::Closed) => {
                            return Poll::Ready(Err(batch_semaphore::Closed))
                        }
                        Err(TryAcquireError::NoPermits) => {}
                    }
                    this.inner.insert(b.sem.acquire(1))
                }
            };
            let out = inner.poll_stage(cx);
            if out.is_pending() && !this.announced {
                // Queued: from now on no slot may sit in `pending` unseen by the FIFO.
                this.announced = true;
                b.want();
            }
            out
        })
    }
}

impl ChanSemaphore for Bounded {
    fn close(&self) {
        let prev = self.pending.swap(RX_CLOSED, AcqRel);
        self.sem.release(count(prev));
        self.sem.close();
    }

    fn is_closed(&self) -> bool {
        self.sem.is_closed()
    }

    fn is_idle(&self) -> bool {
        self.sem.available_permits() + count(self.pending.load(Acquire)) == self.bound
    }

    fn add_permits(&self, n: usize) {
        self.sem.release(n);
    }

    fn rx_release(&self, n: usize) {
        let prev = self.pending.fetch_add(n * ONE, AcqRel);
        if prev & (WANT | RX_CLOSED) != 0 || count(prev) + n >= self.flush_at {
            self.flush();
        }
    }
}

/// Sends to a bounded channel. Cloneable.
pub struct Sender<T> {
    chan: Arc<Chan<T, Bounded>>,
}

/// Receives from a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T, Bounded>>,
}

/// A reserved slot of a bounded channel; [`send`](Permit::send) fills it without waiting.
pub struct Permit<'a, T> {
    chan: &'a Chan<T, Bounded>,
}

/// A reserved slot that owns its [`Sender`].
pub struct OwnedPermit<T> {
    sender: Option<Sender<T>>,
}

/// Creates a bounded channel holding at most `buffer` messages. Panics if `buffer` is 0.
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let semaphore = Bounded::new(buffer);
    let chan = Arc::new(Chan::new(semaphore, Some(buffer)));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

impl<T> Sender<T> {
    /// Waits for a slot, then sends; fails (returning the message) if the receiver closed or left.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Sends if a slot is free now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.semaphore.try_acquire() {
            Ok(()) => {
                self.chan.push(value);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Blocks the current thread until sent. Must not be called from async code.
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::park::block_on(self.send(value))
    }

    /// Waits for a slot and keeps it in a [`Permit`].
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.chan
            .semaphore
            .acquire()
            .await
            .map_err(|_| SendError(()))?;
        Ok(Permit { chan: &self.chan })
    }

    /// Takes a slot now if one is free.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.semaphore.try_acquire() {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Waits for a slot, kept in an [`OwnedPermit`] that owns this sender.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.chan
            .semaphore
            .acquire()
            .await
            .map_err(|_| SendError(()))?;
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// Takes a slot now, kept in an [`OwnedPermit`]; gives the sender back on failure.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.semaphore.try_acquire() {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(self)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Waits until the receiver closes or leaves.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver closed or left.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.semaphore.available()
    }

    /// The channel's bound.
    pub fn max_capacity(&self) -> usize {
        self.chan.semaphore.bound
    }

    /// Whether both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Permit<'_, T> {
    /// Sends into the reserved slot.
    pub fn send(self, value: T) {
        self.chan.push(value);
        // The slot now belongs to the message; the receiver gives it back when it pops it.
        std::mem::forget(self);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_unused(1);
    }
}

impl<T> OwnedPermit<T> {
    /// Sends into the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("OwnedPermit holds its sender until used");
        sender.chan.push(value);
        sender
    }

    /// Gives the slot back unused, and the sender with it.
    pub fn release(mut self) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("OwnedPermit holds its sender until used");
        sender.chan.release_unused(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release_unused(1);
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next message; `None` once every sender is gone (or the channel is closed)
    /// and the buffer is drained.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Polls for the next message.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Receives up to `limit` messages into `buffer`; returns how many (0 at the end).
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Receives a message if one is buffered.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv().map_err(|ended| {
            if ended {
                TryRecvError::Disconnected
            } else {
                TryRecvError::Empty
            }
        })
    }

    /// Blocks the current thread for the next message. Must not be called from async code.
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::sync::park::block_on(self.recv())
    }

    /// Stops new sends; buffered messages (and those of outstanding permits) can still be received.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Messages in the buffer.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.semaphore.available()
    }

    /// The channel's bound.
    pub fn max_capacity(&self) -> usize {
        self.chan.semaphore.bound
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.close();
        self.chan.drain();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish()
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of the `pending` batching: a slot the receiver keeps in `pending` is never
    //! lost to a sender that must wait, and every slot comes back.
    use super::channel;
    use crate::sync::park::block_on;
    use loom::thread;

    /// 16 slots: the receiver batches two returned slots before flushing them.
    const CAP: usize = 16;

    #[test]
    fn waiting_sender_gets_a_slot_kept_in_pending() {
        loom::model(|| {
            let (tx, mut rx) = channel::<usize>(CAP);
            for i in 0..CAP {
                tx.try_send(i).unwrap();
            }
            let tx2 = tx.clone();
            let t = thread::spawn(move || block_on(tx2.send(CAP)).unwrap());
            // One pop: its slot stays in `pending` (below the flush threshold).
            assert_eq!(rx.try_recv().unwrap(), 0);
            t.join().unwrap();
            drop(tx);
            let mut n = 1;
            while block_on(rx.recv()).is_some() {
                n += 1;
            }
            assert_eq!(n, CAP + 1);
            assert_eq!(rx.capacity(), CAP);
        });
    }

    #[test]
    fn try_send_and_waiter_race_the_receiver() {
        loom::model(|| {
            let (tx, mut rx) = channel::<usize>(CAP);
            for i in 0..CAP - 1 {
                tx.try_send(i).unwrap();
            }
            let tx2 = tx.clone();
            let t = thread::spawn(move || {
                // Takes the last free slot or finds the channel full; then waits for one.
                let _ = tx2.try_send(100);
                block_on(tx2.send(200)).unwrap();
            });
            let mut got = 0;
            while got < CAP {
                let _ = block_on(rx.recv()).unwrap();
                got += 1;
            }
            t.join().unwrap();
            drop(tx);
            while rx.try_recv().is_ok() {}
            assert_eq!(rx.capacity(), CAP);
        });
    }

    #[test]
    fn close_returns_pending_slots() {
        loom::model(|| {
            let (tx, mut rx) = channel::<usize>(CAP);
            for i in 0..CAP {
                tx.try_send(i).unwrap();
            }
            assert_eq!(rx.try_recv().unwrap(), 0);
            let tx2 = tx.clone();
            let t = thread::spawn(move || {
                let _ = block_on(tx2.send(CAP));
            });
            rx.close();
            t.join().unwrap();
            drop(tx);
            while block_on(rx.recv()).is_some() {}
            assert_eq!(rx.capacity(), CAP);
        });
    }
}
