//! The shared core of the bounded and unbounded channels.
//!
//! # Protocol
//!
//! - **Messages** go through a lock-free MPMC queue from crossbeam-queue (a Vyukov-style bounded
//!   array queue for bounded channels up to [`ARRAY_LIMIT`], a segmented list queue otherwise).
//!   Only the receiver pops.
//! - **Capacity** is a [`ChanSemaphore`]: for bounded channels the fair batch semaphore (a sender
//!   acquires a permit before pushing; the receiver returns one per popped message through
//!   `rx_release`, which the bounded flavor batches as described in `bounded.rs`), for
//!   unbounded ones a counter of messages in flight. Closing the semaphore is closing the channel:
//!   sends fail from then on. The channel is *idle* when no permit is out (bounded) or no message
//!   is in flight (unbounded): nothing is buffered and nothing is about to be pushed.
//! - **Receiver wake-up, batched.** The receiver registers its waker in an [`AtomicWaker`], then
//!   sets `rx.parked` (Release, so a sender reading it sees the registration), then issues a SeqCst fence and pops once more before returning `Pending`.
//!   A sender pushes, issues a SeqCst fence, and only if it reads `rx.parked == true` *and* wins
//!   the swap back to `false` does it wake the receiver. So while the receiver is busy draining,
//!   senders pay one shared load and no read-modify-write on the receiver's line. No wake-up is
//!   lost (Dekker with fences): if a sender reads `false`, its fence came before the receiver's,
//!   so the receiver's last pop sees that message, or the flag was taken by another sender whose
//!   wake comes after the receiver registered.
//! - **End of stream.** `tx_count` counts senders; the last one to leave wakes the receiver
//!   unconditionally. The receiver returns `None` once the queue is empty and either
//!   `tx_count == 0` (checked after registering, then one more pop), or the channel is closed and
//!   idle. A permit given back unused after close also wakes the receiver, as it may make the
//!   channel idle.
//! - **Sender::closed** waits on a [`Notify`]: the receiver's `close` closes the semaphore, then
//!   calls `notify_waiters`; a waiter creates its `Notified` before checking, so it cannot miss it.

use crate::loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering::*};
use crate::runtime::coop;
use crate::sync::atomic_waker::AtomicWaker;
use crate::sync::Notify;
use crossbeam_queue::{ArrayQueue, SegQueue};
use crossbeam_utils::CachePadded;
use std::task::{Context, Poll};

/// Bounded channels up to this capacity preallocate an array; larger ones grow in segments.
pub(crate) const ARRAY_LIMIT: usize = 1 << 16;

/// Capacity accounting of a channel flavor.
pub(crate) trait ChanSemaphore {
    /// Stop accepting sends.
    fn close(&self);
    /// Whether `close` was called.
    fn is_closed(&self) -> bool;
    /// Closed-or-not, no permit out and no message in flight.
    fn is_idle(&self) -> bool;
    /// Gives back `n` slots (permits unused, or messages popped when `rx_release` is not
    /// specialised).
    fn add_permits(&self, n: usize);
    /// The receiver gives back the slots of `n` messages it popped.
    fn rx_release(&self, n: usize) {
        self.add_permits(n);
    }
}

enum Queue<T> {
    Array(ArrayQueue<T>),
    Seg(SegQueue<T>),
}

/// State shared by all handles of one channel.
///
/// Layout: the queue pads its own head and tail; the semaphore (written by both sides once per
/// message) and the receiver's parking state (read by every push, written only when the receiver
/// parks) each get their own cache line, so neither invalidates the other or the queue's
/// read-only fields.
pub(crate) struct Chan<T, S> {
    queue: Queue<T>,
    pub(crate) semaphore: CachePadded<S>,
    rx: CachePadded<RxState>,
    tx_count: AtomicUsize,
    closed_notify: Notify,
}

/// The receiver's wake-up state, on its own cache line.
struct RxState {
    waker: AtomicWaker,
    parked: AtomicBool,
}

impl<T, S: ChanSemaphore> Chan<T, S> {
    /// A channel core; `bound` of `None` is unbounded.
    pub(crate) fn new(semaphore: S, bound: Option<usize>) -> Self {
        let queue = match bound {
            Some(cap) if cap <= ARRAY_LIMIT => Queue::Array(ArrayQueue::new(cap)),
            _ => Queue::Seg(SegQueue::new()),
        };
        Chan {
            queue,
            semaphore: CachePadded::new(semaphore),
            rx: CachePadded::new(RxState {
                waker: AtomicWaker::new(),
                parked: AtomicBool::new(false),
            }),
            tx_count: AtomicUsize::new(1),
            closed_notify: Notify::new(),
        }
    }

    /// Pushes a message the caller has a slot for, then wakes the receiver if it is parked.
    pub(crate) fn push(&self, value: T) {
        match &self.queue {
            Queue::Array(q) => {
                if q.push(value).is_err() {
                    unreachable!("a permit guarantees a free slot");
                }
            }
            Queue::Seg(q) => q.push(value),
        }
        fence(SeqCst);
        if self.rx.parked.load(Relaxed) && self.rx.parked.swap(false, AcqRel) {
            self.rx.waker.wake();
        }
    }

    fn pop_raw(&self) -> Option<T> {
        match &self.queue {
            Queue::Array(q) => q.pop(),
            Queue::Seg(q) => q.pop(),
        }
    }

    /// Pops a message and gives its slot back.
    pub(crate) fn pop(&self) -> Option<T> {
        let v = self.pop_raw()?;
        self.semaphore.rx_release(1);
        Some(v)
    }

    /// Messages in the buffer.
    pub(crate) fn len(&self) -> usize {
        match &self.queue {
            Queue::Array(q) => q.len(),
            Queue::Seg(q) => q.len(),
        }
    }

    /// Whether no message can come any more (call with the queue found empty).
    fn is_finished(&self) -> bool {
        self.tx_count.load(Acquire) == 0 || (self.semaphore.is_closed() && self.semaphore.is_idle())
    }

    /// Receives one message, or `None` at the end of the stream.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        coop::poll_budgeted(cx, |cx| {
            if let Some(v) = self.pop() {
                return Poll::Ready(Some(v));
            }
            self.rx.waker.register(cx.waker());
            // Release: a sender whose swap reads this `true` sees the registration.
            self.rx.parked.store(true, Release);
            fence(SeqCst);
            if let Some(v) = self.pop() {
                return Poll::Ready(Some(v));
            }
            if self.is_finished() {
                // Senders' pushes happen before their exit: one more pop sees them.
                return Poll::Ready(self.pop());
            }
            Poll::Pending
        })
    }

    /// Receives up to `limit` messages into `buf` (at least one unless the stream ended).
    pub(crate) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buf: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let first = std::task::ready!(self.poll_recv(cx));
        let Some(first) = first else {
            return Poll::Ready(0);
        };
        buf.push(first);
        let mut n = 1;
        while n < limit {
            let Some(v) = self.pop_raw() else { break };
            buf.push(v);
            n += 1;
        }
        if n > 1 {
            self.semaphore.rx_release(n - 1);
        }
        Poll::Ready(n)
    }

    /// A non-waiting receive: `Err(true)` when the stream ended, `Err(false)` when just empty.
    pub(crate) fn try_recv(&self) -> Result<T, bool> {
        if let Some(v) = self.pop() {
            return Ok(v);
        }
        if self.is_finished() {
            return self.pop().ok_or(true);
        }
        Err(false)
    }

    /// Closes the channel from the receiving side; buffered messages stay receivable.
    pub(crate) fn close(&self) {
        self.semaphore.close();
        self.closed_notify.notify_waiters();
    }

    /// Drops every buffered message (the receiver is gone).
    pub(crate) fn drain(&self) {
        while self.pop().is_some() {}
    }

    /// Whether the receiver closed or left.
    pub(crate) fn is_closed(&self) -> bool {
        self.semaphore.is_closed()
    }

    /// Waits until the receiver closes or leaves.
    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.closed_notify.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// A permit was given back unused: after close that can end the stream.
    pub(crate) fn release_unused(&self, n: usize) {
        self.semaphore.add_permits(n);
        if self.semaphore.is_closed() {
            self.rx.waker.wake();
        }
    }

    /// A new sender handle.
    pub(crate) fn add_sender(&self) {
        self.tx_count.fetch_add(1, Relaxed);
    }

    /// A sender handle left; the last one wakes the receiver.
    pub(crate) fn drop_sender(&self) {
        if self.tx_count.fetch_sub(1, AcqRel) == 1 {
            self.rx.waker.wake();
        }
    }
}
