//! A channel that carries a single value from one [`Sender`] to one [`Receiver`].
//!
//! # Protocol
//!
//! The two halves share an `Inner` with one atomic state word and three cells:
//! `value`, `rx_waker` and `tx_waker`. State bits:
//!
//! | bit | set by | meaning |
//! |---|---|---|
//! | `RX_TASK_SET` | receiver | `rx_waker` holds a waker the sender may take |
//! | `COMPLETE` | sender | the sender is done (sent, or dropped without sending); set once |
//! | `VALUE_SENT` | sender, with `COMPLETE` | `value` holds the sent value |
//! | `CLOSED` | receiver | the receiver closed or dropped; no value may be sent any more |
//! | `TX_TASK_SET` | sender | `tx_waker` holds a waker the receiver may take |
//!
//! Cell ownership:
//! - `value`: the sender writes it before the read-modify-write that sets `COMPLETE | VALUE_SENT`
//!   (that RMW fails, and the sender takes the value back, if `CLOSED` is set). After the receiver
//!   observes `VALUE_SENT` (Acquire), the cell is the receiver's.
//! - `rx_waker`: the receiver writes it only while `RX_TASK_SET` is clear. To replace a stored
//!   waker it first clears `RX_TASK_SET` with a CAS that fails once `COMPLETE` is set. The sender
//!   reads it exactly once: when its `COMPLETE` transition saw `RX_TASK_SET`.
//! - `tx_waker`: symmetric, with `TX_TASK_SET` and `CLOSED`; the receiver reads it once, when its
//!   `CLOSED` transition saw `TX_TASK_SET` (and the sender was not complete).
//!
//! Every completing transition is a single RMW whose previous value tells the transitioning side
//! whether there is a waker to wake, so no wake-up is lost and no cell is touched by both sides
//! at once. No mutex is involved.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use crate::runtime::coop;
use crate::sync::park;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Errors of [`Receiver`].
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending a value (or the receiver was closed first).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value has been sent yet and the sender is still alive.
        Empty,
        /// The sender is gone without sending, or the value was already taken.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

const RX_TASK_SET: usize = 0b00001;
const COMPLETE: usize = 0b00010;
const VALUE_SENT: usize = 0b00100;
const CLOSED: usize = 0b01000;
const TX_TASK_SET: usize = 0b10000;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

/// Sends the value of a oneshot channel. Created by [`channel`].
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the value of a oneshot channel; it is a future. Created by [`channel`].
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

// SAFETY: the cells are accessed only under the ownership rules of the module protocol; the
// value moves from the sending thread to the receiving one, hence `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; `&Inner` only hands the value across threads, never shares `&T`.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Creates a oneshot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// What registering a waker found.
#[must_use]
enum Register {
    /// The waker is stored; the other side will wake it.
    Stored,
    /// The awaited event already happened; nothing is stored for the other side.
    Done,
}

impl<T> Inner<T> {
    /// Stores `waker` in `cell` under the `flag` bit unless a `done` bit is set.
    ///
    /// # Safety
    ///
    /// Only the side owning `cell` (the receiver for `rx_waker`/`RX_TASK_SET`, the sender for
    /// `tx_waker`/`TX_TASK_SET`) may call this, with the matching `flag`.
    unsafe fn register(
        &self,
        cell: &UnsafeCell<Option<Waker>>,
        flag: usize,
        done: usize,
        waker: &Waker,
    ) -> Register {
        let mut state = self.state.load(Acquire);
        if state & done != 0 {
            return Register::Done;
        }
        if state & flag != 0 {
            // SAFETY: the flag is set, so the other side may only read the cell; so do we.
            let same = cell.with(|w| unsafe { (*w).as_ref() }.is_some_and(|w| w.will_wake(waker)));
            if same {
                return Register::Stored;
            }
            // Take the cell back: fails once `done` is set (the other side may be reading it).
            loop {
                if state & done != 0 {
                    return Register::Done;
                }
                match self
                    .state
                    .compare_exchange_weak(state, state & !flag, AcqRel, Acquire)
                {
                    Ok(_) => break,
                    Err(actual) => state = actual,
                }
            }
        }
        // SAFETY: the flag is clear, so the other side does not touch the cell.
        cell.with_mut(|w| unsafe { *w = Some(waker.clone()) });
        let prev = self.state.fetch_or(flag, AcqRel);
        if prev & done != 0 {
            // The event happened while we stored; the other side saw no flag and woke nobody.
            return Register::Done;
        }
        Register::Stored
    }

    /// Wakes the waker in `cell`.
    ///
    /// # Safety
    ///
    /// The caller's completing RMW observed `flag` set for `cell`: the owner no longer writes it.
    unsafe fn wake(&self, cell: &UnsafeCell<Option<Waker>>) {
        cell.with(|w| {
            // SAFETY: by the contract, the owner will not write the cell again.
            if let Some(w) = unsafe { (*w).as_ref() } {
                w.wake_by_ref();
            }
        });
    }

    /// Takes the sent value.
    ///
    /// # Safety
    ///
    /// Only the receiver, after observing `VALUE_SENT` with Acquire.
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: after `VALUE_SENT` the value cell belongs to the receiver.
        self.value.with_mut(|v| unsafe { (*v).take() })
    }
}

impl<T> Sender<T> {
    /// Sends `value`; returns it back if the receiver is closed or gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("sender used after send");
        // SAFETY: `VALUE_SENT` is not set yet, so the value cell is the sender's.
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        let mut state = inner.state.load(Relaxed);
        loop {
            if state & CLOSED != 0 {
                // SAFETY: the receiver never reads the value without `VALUE_SENT`.
                let value = inner.value.with_mut(|v| unsafe { (*v).take() });
                return Err(value.expect("value just stored"));
            }
            match inner.state.compare_exchange_weak(
                state,
                state | COMPLETE | VALUE_SENT,
                AcqRel,
                Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_TASK_SET != 0 {
            // SAFETY: our COMPLETE transition saw RX_TASK_SET.
            unsafe { inner.wake(&inner.rx_waker) };
        }
        Ok(())
    }

    /// Whether the receiver has closed or been dropped.
    pub fn is_closed(&self) -> bool {
        let inner = self.inner.as_ref().expect("sender used after send");
        inner.state.load(Acquire) & CLOSED != 0
    }

    /// Polls until the receiver closes or is dropped.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let inner = self.inner.as_ref().expect("sender used after send");
        coop::poll_budgeted(cx, |cx| {
            // SAFETY: we are the sender, owner of `tx_waker`.
            match unsafe { inner.register(&inner.tx_waker, TX_TASK_SET, CLOSED, cx.waker()) } {
                Register::Done => Poll::Ready(()),
                Register::Stored => Poll::Pending,
            }
        })
    }

    /// Waits until the receiver closes or is dropped.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let prev = inner.state.fetch_or(COMPLETE, AcqRel);
            if prev & RX_TASK_SET != 0 && prev & CLOSED == 0 {
                // SAFETY: our COMPLETE transition saw RX_TASK_SET.
                unsafe { inner.wake(&inner.rx_waker) };
            }
        }
    }
}

impl<T> Receiver<T> {
    /// Prevents the sender from sending; a value sent before still can be received.
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            let prev = inner.state.fetch_or(CLOSED, AcqRel);
            if prev & (TX_TASK_SET | COMPLETE | CLOSED) == TX_TASK_SET {
                // SAFETY: our CLOSED transition saw TX_TASK_SET; the sender stops writing it.
                unsafe { inner.wake(&inner.tx_waker) };
            }
        }
    }

    /// Takes the value if it has been sent, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let inner = self.inner.as_ref().ok_or(TryRecvError::Closed)?;
        let state = inner.state.load(Acquire);
        if state & VALUE_SENT != 0 {
            // SAFETY: VALUE_SENT observed with Acquire.
            let value = unsafe { inner.take_value() };
            self.inner = None;
            value.ok_or(TryRecvError::Closed)
        } else if state & (COMPLETE | CLOSED) != 0 {
            self.inner = None;
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Blocks the current thread until the value arrives. Must not be called from async code.
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        park::block_on(self)
    }

    fn poll_inner(inner: &Inner<T>, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let state = inner.state.load(Acquire);
        let state = if state & (COMPLETE | CLOSED) != 0 {
            state
        } else {
            // SAFETY: we are the receiver, owner of `rx_waker`.
            match unsafe {
                inner.register(&inner.rx_waker, RX_TASK_SET, COMPLETE | CLOSED, cx.waker())
            } {
                Register::Stored => return Poll::Pending,
                Register::Done => inner.state.load(Acquire),
            }
        };
        if state & VALUE_SENT != 0 {
            // SAFETY: VALUE_SENT observed with Acquire.
            Poll::Ready(unsafe { inner.take_value() }.ok_or(RecvError(())))
        } else {
            Poll::Ready(Err(RecvError(())))
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let inner = this
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after completion");
        let out = coop::poll_budgeted(cx, |cx| Self::poll_inner(inner, cx));
        if out.is_ready() {
            this.inner = None;
        }
        out
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

// Pinning a receiver does not pin the value: the value lives behind the `Arc`.
impl<T> Unpin for Receiver<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once};

    #[test]
    fn send_then_recv_wakes_exactly_once() {
        let (tx, mut rx) = channel();
        let (waker, count) = counting_waker();
        assert!(poll_once(Pin::new(&mut rx), &waker).is_pending());
        assert!(poll_once(Pin::new(&mut rx), &waker).is_pending());
        assert_eq!(count.count(), 0);
        assert_eq!(tx.send(7), Ok(()));
        assert_eq!(count.count(), 1);
        assert_eq!(poll_once(Pin::new(&mut rx), &waker), Poll::Ready(Ok(7)));
    }

    #[test]
    fn dropped_sender_gives_recv_error_and_one_wake() {
        let (tx, mut rx) = channel::<u8>();
        let (waker, count) = counting_waker();
        assert!(poll_once(Pin::new(&mut rx), &waker).is_pending());
        drop(tx);
        assert_eq!(count.count(), 1);
        assert_eq!(
            poll_once(Pin::new(&mut rx), &waker),
            Poll::Ready(Err(RecvError(())))
        );
    }

    #[test]
    fn new_waker_replaces_the_old_one() {
        let (tx, mut rx) = channel();
        let (w1, c1) = counting_waker();
        let (w2, c2) = counting_waker();
        assert!(poll_once(Pin::new(&mut rx), &w1).is_pending());
        assert!(poll_once(Pin::new(&mut rx), &w2).is_pending());
        tx.send(1).unwrap();
        assert_eq!((c1.count(), c2.count()), (0, 1));
    }

    #[test]
    fn try_recv_states() {
        let (tx, mut rx) = channel();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send("a").unwrap();
        assert_eq!(rx.try_recv(), Ok("a"));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        let (tx, mut rx) = channel::<()>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn close_rejects_send_and_wakes_closed_waiter() {
        let (mut tx, mut rx) = channel();
        let (waker, count) = counting_waker();
        assert!(!tx.is_closed());
        assert!(tx
            .poll_closed(&mut Context::from_waker(&waker))
            .is_pending());
        rx.close();
        rx.close();
        assert_eq!(count.count(), 1);
        assert!(tx.is_closed());
        assert!(tx.poll_closed(&mut Context::from_waker(&waker)).is_ready());
        assert_eq!(tx.send(5), Err(5));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn value_sent_before_close_is_still_received() {
        let (tx, mut rx) = channel();
        tx.send(3).unwrap();
        rx.close();
        assert_eq!(futures::executor::block_on(rx), Ok(3));
    }

    #[test]
    fn dropping_receiver_drops_the_value_and_wakes_closed() {
        let value = std::sync::Arc::new(());
        let (tx, rx) = channel();
        tx.send(value.clone()).unwrap();
        assert_eq!(std::sync::Arc::strong_count(&value), 2);
        drop(rx);
        assert_eq!(std::sync::Arc::strong_count(&value), 1);

        let (mut tx, rx) = channel::<()>();
        let (waker, count) = counting_waker();
        assert!(tx
            .poll_closed(&mut Context::from_waker(&waker))
            .is_pending());
        drop(rx);
        assert_eq!(count.count(), 1);
        futures::executor::block_on(tx.closed());
    }

    #[test]
    fn blocking_recv_across_threads() {
        let (tx, rx) = channel();
        let t = std::thread::spawn(move || rx.blocking_recv());
        tx.send(42u64).unwrap();
        assert_eq!(t.join().unwrap(), Ok(42));
    }
}
