//! The bounded channel: a sender waits for a free slot.
//!
//! A slot is a permit of the fair batch semaphore (`batch_semaphore.rs`): senders take one before
//! pushing, in FIFO order when they have to wait, and the receiver gives one back per message it
//! pops. A [`Permit`] is a slot taken ahead of the message; dropped unused, it goes back. Everything
//! else is the shared protocol of `chan.rs`.

use super::chan::{Chan, ChanSemaphore};
use super::error::{SendError, TryRecvError, TrySendError};
use crate::loom::sync::Arc;
use crate::sync::batch_semaphore::{RawSemaphore, TryAcquireError};
use std::fmt;
use std::task::{Context, Poll};

/// Slot accounting of the bounded flavor.
pub(crate) struct Bounded {
    sem: RawSemaphore,
    bound: usize,
}

impl ChanSemaphore for Bounded {
    fn close(&self) {
        self.sem.close();
    }

    fn is_closed(&self) -> bool {
        self.sem.is_closed()
    }

    fn is_idle(&self) -> bool {
        self.sem.available_permits() == self.bound
    }

    fn add_permits(&self, n: usize) {
        self.sem.release(n);
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
    let semaphore = Bounded {
        sem: RawSemaphore::new(buffer),
        bound: buffer,
    };
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
        match self.chan.semaphore.sem.try_acquire(1) {
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
            .sem
            .acquire(1)
            .await
            .map_err(|_| SendError(()))?;
        Ok(Permit { chan: &self.chan })
    }

    /// Takes a slot now if one is free.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.semaphore.sem.try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Waits for a slot, kept in an [`OwnedPermit`] that owns this sender.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.chan
            .semaphore
            .sem
            .acquire(1)
            .await
            .map_err(|_| SendError(()))?;
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// Takes a slot now, kept in an [`OwnedPermit`]; gives the sender back on failure.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.semaphore.sem.try_acquire(1) {
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
        self.chan.semaphore.sem.available_permits()
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
        self.chan.semaphore.sem.available_permits()
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
