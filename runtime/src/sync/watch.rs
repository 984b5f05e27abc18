//! A single-value channel: receivers see the latest value and are told when it changes.
//!
//! # Protocol
//!
//! The value sits behind a mutex. `version` is an atomic `generation << 1 | CLOSED`; the sender
//! bumps the generation *while holding the value's mutex*, so a receiver that reads `version`
//! under the same mutex (in `borrow_and_update`) pairs it with exactly that value. After each
//! change the sender calls `notify_waiters` on `rx_notify`. `changed()` creates its `Notified`
//! first, then compares the generation with the one it has seen, then waits: a change made after
//! the comparison fires the `Notified` it already holds, so none is missed. The sender's drop
//! sets `CLOSED` and notifies the same way. `tx_notify` wakes `Sender::closed` when the last
//! receiver leaves (`rx_count` reaching 0).

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use crate::sync::Notify;
use std::fmt;
use std::ops::Deref;

/// Errors of the watch channel.
pub mod error {
    use std::fmt;

    /// Every receiver is gone; the value comes back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// The sender is gone.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(crate) ());

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
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

const CLOSED: usize = 1;
const STEP: usize = 2;

struct Shared<T> {
    value: Mutex<T>,
    version: AtomicUsize,
    rx_count: AtomicUsize,
    rx_notify: Notify,
    tx_notify: Notify,
}

/// Publishes values to the receivers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Observes the latest value. Cloneable; each clone tracks what it has seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: usize,
}

/// A borrowed value; holds the channel's lock, so keep it short and never across an `.await`.
pub struct Ref<'a, T> {
    guard: MutexGuard<'a, T>,
    changed: bool,
}

/// Creates a watch channel holding `init`.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: Mutex::new(init),
        version: AtomicUsize::new(0),
        rx_count: AtomicUsize::new(1),
        rx_notify: Notify::new(),
        tx_notify: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

impl<T> Ref<'_, T> {
    /// Whether the value was unseen by the receiver when borrowed.
    pub fn has_changed(&self) -> bool {
        self.changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> Sender<T> {
    /// Replaces the value and notifies receivers; fails if no receiver is left.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value even with no receiver; returns the old one.
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|v| std::mem::swap(v, &mut value));
        value
    }

    /// Modifies the value in place and notifies receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Modifies the value in place; notifies receivers only if `modify` returns `true`.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut guard = self.shared.value.lock();
        if !modify(&mut guard) {
            return false;
        }
        self.shared.version.fetch_add(STEP, Release);
        drop(guard);
        self.shared.rx_notify.notify_waiters();
        true
    }

    /// Borrows the current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.lock(),
            changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.fetch_add(1, Relaxed);
        let guard = self.shared.value.lock();
        let seen = self.shared.version.load(Acquire) & !CLOSED;
        drop(guard);
        Receiver {
            shared: self.shared.clone(),
            seen,
        }
    }

    /// Number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.load(Acquire)
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.tx_notify.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.version.fetch_or(CLOSED, Release);
        self.shared.rx_notify.notify_waiters();
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.value.lock();
        let changed = self.shared.version.load(Acquire) & !CLOSED != self.seen;
        Ref { guard, changed }
    }

    /// Borrows the current value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.lock();
        let version = self.shared.version.load(Acquire) & !CLOSED;
        let changed = version != self.seen;
        self.seen = version;
        Ref { guard, changed }
    }

    /// Whether a value unseen by this receiver was sent; an error once the sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let version = self.shared.version.load(Acquire);
        if version & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(version != self.seen)
    }

    /// Marks the current value as seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.load(Acquire) & !CLOSED;
    }

    /// Waits for a value this receiver has not seen, and marks it seen. Fails once the sender is
    /// gone and every value was seen.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        loop {
            let notified = self.shared.rx_notify.notified();
            let version = self.shared.version.load(Acquire);
            if version & !CLOSED != self.seen {
                self.seen = version & !CLOSED;
                return Ok(());
            }
            if version & CLOSED != 0 {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Waits until the value satisfies `f` (checking the current value first), marks it seen
    /// and returns it borrowed. Fails once the sender is gone and no value satisfied `f`.
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let shared = &self.shared;
        loop {
            // Registered before the check, so a send after the check still wakes us.
            let notified = shared.rx_notify.notified();
            let version = shared.version.load(Acquire);
            if let Some(value) = matching(shared, &mut f) {
                self.seen = version & !CLOSED;
                return Ok(value);
            }
            if version & CLOSED != 0 {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Whether both receivers watch the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// The value, borrowed, if it satisfies `f` (the lock is not held otherwise).
fn matching<'a, T>(shared: &'a Shared<T>, f: &mut impl FnMut(&T) -> bool) -> Option<Ref<'a, T>> {
    let guard = shared.value.lock();
    f(&guard).then_some(Ref {
        guard,
        changed: false,
    })
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.rx_count.fetch_add(1, Relaxed);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.rx_count.fetch_sub(1, AcqRel) == 1 {
            self.shared.tx_notify.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once};
    use futures::executor::block_on;
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn changed_sees_each_new_value_once() {
        let (tx, mut rx) = channel(0);
        assert_eq!(rx.has_changed(), Ok(false));
        tx.send(1).unwrap();
        assert_eq!(rx.has_changed(), Ok(true));
        assert!(rx.borrow().has_changed());
        block_on(rx.changed()).unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
        let (w, c) = counting_waker();
        let mut changed = Box::pin(rx.changed());
        assert!(poll_once(changed.as_mut(), &w).is_pending());
        tx.send_modify(|v| *v += 1);
        assert_eq!(c.count(), 1);
        assert_eq!(poll_once(changed.as_mut(), &w), Poll::Ready(Ok(())));
        drop(changed);
        assert_eq!(*rx.borrow(), 2);
        assert!(!rx.borrow().has_changed());
    }

    #[test]
    fn sender_drop_ends_changed_after_unseen_values() {
        let (tx, mut rx) = channel("a");
        assert_eq!(tx.send_replace("b"), "a");
        drop(tx);
        assert_eq!(rx.has_changed(), Err(RecvError(())));
        assert_eq!(block_on(rx.changed()), Ok(()));
        assert_eq!(block_on(rx.changed()), Err(RecvError(())));
        assert_eq!(*rx.borrow(), "b");
    }

    #[test]
    fn receiver_count_and_closed() {
        let (tx, rx) = channel(());
        let rx2 = tx.subscribe();
        let rx3 = rx2.clone();
        assert_eq!(tx.receiver_count(), 3);
        assert!(rx3.same_channel(&rx));
        let (w, c) = counting_waker();
        let mut closed = pin!(tx.closed());
        assert!(poll_once(closed.as_mut(), &w).is_pending());
        drop((rx, rx2));
        assert_eq!(c.count(), 0);
        drop(rx3);
        assert_eq!(c.count(), 1);
        assert!(poll_once(closed, &w).is_ready());
        assert_eq!(tx.send(()), Err(SendError(())));
        assert!(!tx.send_if_modified(|_| false));
    }
}
