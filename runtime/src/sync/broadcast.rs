//! A multi-producer, multi-consumer channel where every receiver sees every value.
//!
//! # Protocol
//!
//! One mutex guards the whole state: a ring of the last `capacity` values (a `VecDeque`), the
//! sequence number of its oldest value (`head`) and of the next value (`tail`), the sender and
//! receiver counts and a wait list of receivers with nothing to read. Each receiver keeps the
//! sequence number it reads next. A send appends (evicting the oldest value when full), then
//! unlinks every waiting receiver and wakes it after unlocking. A receiver behind `head` has
//! lagged: it reports how many values it missed and continues from the oldest one kept. A
//! dropped `recv` future leaves the wait list; since every waiter is woken on each send there is
//! nothing to pass on. Values are cloned out under the lock; they are dropped when evicted or
//! with the channel (not as soon as every receiver has seen them).

use crate::loom::sync::{Arc, Mutex};
use crate::runtime::coop;
use crate::sync::wait_list::{Key, WaitList};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Errors of the broadcast channel.
pub mod error {
    use std::fmt;

    /// No receiver is left; the value comes back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// Why `recv` returned no value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RecvError {
        /// Every sender is gone and every value was received.
        Closed,
        /// The receiver fell behind; this many values were overwritten before it read them.
        Lagged(u64),
    }

    /// Why `try_recv` returned no value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// Nothing new yet.
        Empty,
        /// Every sender is gone and every value was received.
        Closed,
        /// The receiver fell behind by this many values.
        Lagged(u64),
    }

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("channel closed"),
                RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
                TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

struct State<T> {
    buf: VecDeque<T>,
    head: u64,
    tail: u64,
    tx_count: usize,
    rx_count: usize,
    waiters: WaitList<Option<Waker>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: usize,
}

/// Sends values to every receiver. Cloneable.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives every value sent after it subscribed.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    next: u64,
}

/// Creates a channel keeping the last `capacity` values (rounded up to a power of two).
/// Panics if `capacity` is 0.
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity must be > 0");
    let capacity = capacity.next_power_of_two();
    let state = State {
        buf: VecDeque::with_capacity(capacity),
        head: 0,
        tail: 0,
        tx_count: 1,
        rx_count: 1,
        waiters: WaitList::new(),
    };
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        capacity,
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

/// Unlinks every waiting receiver and returns their wakers.
fn take_waiters<T>(state: &mut State<T>) -> Vec<Waker> {
    let mut wakers = Vec::with_capacity(state.waiters.len());
    while let Some(key) = state.waiters.pop_front() {
        wakers.extend(state.waiters.get_mut(key).take());
    }
    wakers
}

impl<T> Sender<T> {
    /// Sends to every current receiver; returns how many there are, or the value if none.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut state = self.shared.state.lock();
        if state.rx_count == 0 {
            return Err(SendError(value));
        }
        if state.buf.len() == self.shared.capacity {
            state.buf.pop_front();
            state.head += 1;
        }
        state.buf.push_back(value);
        state.tail += 1;
        let receivers = state.rx_count;
        let wakers = take_waiters(&mut state);
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
        Ok(receivers)
    }

    /// A receiver of the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = self.shared.state.lock();
        state.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            next: state.tail,
        }
    }

    /// Number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.state.lock().rx_count
    }

    /// Values kept in the ring.
    pub fn len(&self) -> usize {
        self.shared.state.lock().buf.len()
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.state.lock().tx_count += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock();
        state.tx_count -= 1;
        let wakers = if state.tx_count == 0 {
            take_waiters(&mut state)
        } else {
            Vec::new()
        };
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T: Clone> Receiver<T> {
    fn try_recv_locked(&mut self, state: &State<T>) -> Result<T, TryRecvError> {
        if self.next < state.head {
            let missed = state.head - self.next;
            self.next = state.head;
            return Err(TryRecvError::Lagged(missed));
        }
        if self.next == state.tail {
            return Err(if state.tx_count == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let value = state.buf[(self.next - state.head) as usize].clone();
        self.next += 1;
        Ok(value)
    }

    /// Receives the next value if there is one.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let shared = self.shared.clone();
        let state = shared.state.lock();
        self.try_recv_locked(&state)
    }

    /// Waits for the next value.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv {
            rx: self,
            key: None,
        }
        .await
    }

    /// Blocks the current thread for the next value. Must not be called from async code.
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::sync::park::block_on(self.recv())
    }
}

impl<T> Receiver<T> {
    /// A new receiver of the values sent from now on.
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut state = self.shared.state.lock();
        state.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            next: state.tail,
        }
    }

    /// Values this receiver has not read yet (still in the ring or lost to lag).
    pub fn len(&self) -> usize {
        (self.shared.state.lock().tail - self.next) as usize
    }

    /// Whether this receiver has read everything sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.state.lock().rx_count -= 1;
    }
}

/// Future of [`Receiver::recv`].
struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    key: Option<Key>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        coop::poll_budgeted(cx, |cx| {
            let shared = this.rx.shared.clone();
            let mut state = shared.state.lock();
            let out = match this.rx.try_recv_locked(&state) {
                Ok(v) => Ok(v),
                Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                Err(TryRecvError::Closed) => Err(RecvError::Closed),
                Err(TryRecvError::Empty) => {
                    match this.key {
                        Some(key) if state.waiters.is_linked(key) => {
                            *state.waiters.get_mut(key) = Some(cx.waker().clone());
                        }
                        Some(key) => {
                            state.waiters.free(key);
                            this.key = Some(state.waiters.push_back(Some(cx.waker().clone())));
                        }
                        None => this.key = Some(state.waiters.push_back(Some(cx.waker().clone()))),
                    }
                    return Poll::Pending;
                }
            };
            if let Some(key) = this.key.take() {
                state.waiters.free(key);
            }
            Poll::Ready(out)
        })
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.rx.shared.state.lock().waiters.free(key);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once};
    use futures::executor::block_on;
    use std::pin::pin;

    #[test]
    fn every_receiver_gets_every_value() {
        let (tx, mut a) = channel(4);
        let mut b = tx.subscribe();
        assert_eq!(tx.send(1), Ok(2));
        assert_eq!(tx.send(2), Ok(2));
        assert_eq!(
            (a.try_recv(), a.try_recv(), a.try_recv()),
            (Ok(1), Ok(2), Err(TryRecvError::Empty))
        );
        assert_eq!(block_on(b.recv()), Ok(1));
        assert_eq!(b.len(), 1);
        let mut c = b.resubscribe();
        assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
        drop(tx);
        assert_eq!(block_on(b.recv()), Ok(2));
        assert_eq!(block_on(b.recv()), Err(RecvError::Closed));
        assert_eq!(c.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn slow_receiver_lags_then_continues_from_the_oldest_kept() {
        let (tx, mut rx) = channel(2);
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        assert_eq!(block_on(rx.recv()), Err(RecvError::Lagged(3)));
        assert_eq!(block_on(rx.recv()), Ok(3));
        assert_eq!(block_on(rx.recv()), Ok(4));
    }

    #[test]
    fn waiting_receivers_are_woken_once_per_send() {
        let (tx, mut a) = channel(2);
        let mut b = tx.subscribe();
        let (w, c) = counting_waker();
        let mut ra = pin!(a.recv());
        let mut rb = Box::pin(b.recv());
        assert!(poll_once(ra.as_mut(), &w).is_pending());
        assert!(poll_once(rb.as_mut(), &w).is_pending());
        drop(rb); // a cancelled receive leaves the wait list
        tx.send(9).unwrap();
        assert_eq!(c.count(), 1);
        assert_eq!(poll_once(ra, &w), Poll::Ready(Ok(9)));
        assert_eq!(b.try_recv(), Ok(9));
    }

    #[test]
    fn send_without_receivers_fails() {
        let (tx, rx) = channel(1);
        drop(rx);
        assert_eq!(tx.send(1).unwrap_err().0, 1);
        let mut rx = tx.subscribe();
        assert_eq!(tx.receiver_count(), 1);
        tx.send(2).unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
    }
}
