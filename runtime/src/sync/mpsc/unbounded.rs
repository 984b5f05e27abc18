//! The unbounded channel: sends never wait.
//!
//! Capacity accounting is one atomic word, `in_flight << 1 | CLOSED`: a send adds one message
//! with a CAS that fails once `CLOSED` is set, a pop subtracts one. The channel is idle when
//! nothing is in flight. Everything else is the shared protocol of `chan.rs`.

use super::chan::{Chan, ChanSemaphore};
use super::error::{SendError, TryRecvError};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use std::fmt;
use std::task::{Context, Poll};

const CLOSED: usize = 1;
const ONE: usize = 2;

/// Message counter of the unbounded flavor.
pub(crate) struct Unbounded(AtomicUsize);

impl ChanSemaphore for Unbounded {
    fn close(&self) {
        self.0.fetch_or(CLOSED, AcqRel);
    }

    fn is_closed(&self) -> bool {
        self.0.load(Acquire) & CLOSED != 0
    }

    fn is_idle(&self) -> bool {
        self.0.load(Acquire) >> 1 == 0
    }

    fn add_permits(&self, n: usize) {
        self.0.fetch_sub(n * ONE, AcqRel);
    }
}

impl Unbounded {
    /// Counts one more message in flight, unless closed.
    fn try_add(&self) -> bool {
        let mut word = self.0.load(Acquire);
        loop {
            if word & CLOSED != 0 {
                return false;
            }
            match self
                .0
                .compare_exchange_weak(word, word + ONE, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }
}

/// Sends to an unbounded channel. Cloneable.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T, Unbounded>>,
}

/// Receives from an unbounded channel.
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T, Unbounded>>,
}

/// Creates an unbounded channel.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(Unbounded(AtomicUsize::new(0)), None));
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

impl<T> UnboundedSender<T> {
    /// Sends without waiting; fails only if the receiver closed or left.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !self.chan.semaphore.try_add() {
            return Err(SendError(value));
        }
        self.chan.push(value);
        Ok(())
    }

    /// Waits until the receiver closes or leaves.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver closed or left.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> UnboundedReceiver<T> {
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

    /// Stops new sends; buffered messages can still be received.
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
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.close();
        self.chan.drain();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .finish()
    }
}
