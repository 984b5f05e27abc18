//! [`Mutex`]: an async, FIFO-fair mutual-exclusion lock.
//!
//! # Protocol
//!
//! A semaphore with one permit guards an `UnsafeCell<T>`. Holding the permit is holding the lock:
//! a guard is created only after the permit was acquired and gives it back when dropped, so at
//! most one guard exists at a time and `&mut T` through it is exclusive. Fairness and
//! cancellation come from the semaphore: waiters get the lock in arrival order, and a dropped
//! `lock()` future that had been handed the permit passes it to the next waiter.

use crate::loom::cell::UnsafeCell;
use crate::sync::batch_semaphore::RawSemaphore;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// An async mutex. Waiters acquire it in the order they started waiting.
pub struct Mutex<T> {
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

/// Exclusive access to the data of a [`Mutex`]; unlocks when dropped.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MutexGuard<'a, T> {
    lock: &'a Mutex<T>,
}

/// Exclusive access to the data of an `Arc<Mutex<T>>`; unlocks when dropped.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct OwnedMutexGuard<T> {
    lock: Arc<Mutex<T>>,
}

/// [`Mutex::try_lock`] found the mutex locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(());

impl TryLockError {
    pub(crate) fn new() -> Self {
        TryLockError(())
    }
}

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

// SAFETY: the mutex hands `T` to one thread at a time, so it may move between threads.
unsafe impl<T: Send> Send for Mutex<T> {}
// SAFETY: only one guard exists at a time (module protocol), so `&Mutex` gives exclusive access.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: a guard shared across threads hands out `&T` only.
unsafe impl<T: Send + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as for `MutexGuard`.
unsafe impl<T: Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            sem: RawSemaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T> Mutex<T> {
    /// Waits for the lock.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.sem
            .acquire(1)
            .await
            .expect("a Mutex's semaphore is never closed");
        MutexGuard { lock: self }
    }

    /// Takes the lock if it is free and nobody waits for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.sem.try_acquire(1).map_err(|_| TryLockError(()))?;
        Ok(MutexGuard { lock: self })
    }

    /// Waits for the lock, held through the `Arc`.
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.sem
            .acquire(1)
            .await
            .expect("a Mutex's semaphore is never closed");
        OwnedMutexGuard { lock: self }
    }

    /// Takes the lock now, held through the `Arc`.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.sem.try_acquire(1).map_err(|_| TryLockError(()))?;
        Ok(OwnedMutexGuard { lock: self })
    }

    /// Blocks the current thread for the lock. Must not be called from async code.
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::sync::park::block_on(self.lock())
    }

    /// The data, through exclusive access to the mutex (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    /// # Safety
    ///
    /// The caller holds the permit (is a live guard) for the lifetime of the returned reference.
    unsafe fn data_ref(&self) -> &T {
        // SAFETY: by the contract, no `&mut T` exists while the guard lives.
        self.data.with(|p| unsafe { &*p })
    }

    /// # Safety
    ///
    /// The caller is a live guard, borrowed mutably for the lifetime of the returned reference.
    #[allow(clippy::mut_from_ref)]
    unsafe fn data_mut(&self) -> &mut T {
        // SAFETY: by the contract, this guard is the only access to the data.
        self.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &(self.sem.available_permits() == 0))
            .finish()
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a live guard holds the permit.
        unsafe { self.lock.data_ref() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a live guard, borrowed mutably, holds the permit.
        unsafe { self.lock.data_mut() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a live guard holds the permit.
        unsafe { self.lock.data_ref() }
    }
}

impl<T> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a live guard, borrowed mutably, holds the permit.
        unsafe { self.lock.data_mut() }
    }
}

impl<T> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once, with_watchdog};
    use futures::executor::block_on;
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn lock_is_exclusive_and_fifo() {
        let m = Mutex::new(Vec::new());
        let g = m.try_lock().unwrap();
        assert!(m.try_lock().is_err());
        let (w, c) = counting_waker();
        let mut a = Box::pin(async { m.lock().await.push('a') });
        let mut b = Box::pin(async { m.lock().await.push('b') });
        assert!(poll_once(a.as_mut(), &w).is_pending());
        assert!(poll_once(b.as_mut(), &w).is_pending());
        drop(g);
        assert_eq!(c.count(), 1);
        // `b` was woken second; polling it first still finds the lock promised to `a`.
        assert!(poll_once(b.as_mut(), &w).is_pending());
        assert_eq!(poll_once(a.as_mut(), &w), Poll::Ready(()));
        assert_eq!(c.count(), 2);
        assert_eq!(poll_once(b.as_mut(), &w), Poll::Ready(()));
        drop((a, b));
        assert_eq!(m.into_inner(), vec!['a', 'b']);
    }

    #[test]
    fn cancelled_lock_waiter_hands_the_lock_on() {
        let m = Mutex::new(0);
        let g = m.try_lock().unwrap();
        let (w, c) = counting_waker();
        let mut a = Box::pin(m.lock());
        let mut b = pin!(m.lock());
        assert!(poll_once(a.as_mut(), &w).is_pending());
        assert!(poll_once(b.as_mut(), &w).is_pending());
        drop(g);
        drop(a);
        assert_eq!(c.count(), 2);
        let Poll::Ready(mut g) = poll_once(b, &w) else {
            panic!("lock not handed on")
        };
        *g += 1;
        drop(g);
        assert_eq!(*block_on(m.lock()), 1);
    }

    #[test]
    fn owned_guard_and_get_mut() {
        let m = Arc::new(Mutex::new(5));
        let mut g = block_on(m.clone().lock_owned());
        *g = 6;
        assert!(m.clone().try_lock_owned().is_err());
        drop(g);
        let mut m = Arc::try_unwrap(m).unwrap();
        *m.get_mut() += 1;
        assert_eq!(m.into_inner(), 7);
    }

    #[test]
    fn threads_increment_under_the_lock() {
        let total = with_watchdog("mutex counter", || {
            let m = Arc::new(Mutex::new(0u64));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let m = m.clone();
                    std::thread::spawn(move || {
                        for _ in 0..10_000 {
                            *m.blocking_lock() += 1;
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
            let v = *block_on(m.lock());
            v
        });
        assert_eq!(total, 40_000);
    }
}
