//! [`RwLock`]: an async, fair reader-writer lock.
//!
//! # Protocol
//!
//! A fair batch semaphore with [`MAX_READS`] permits guards an `UnsafeCell<T>`. A reader takes one
//! permit, a writer takes all of them, so a writer excludes everyone and readers only exclude
//! writers. The semaphore serves waiters in arrival order and lets the queue head collect permits
//! as they are released, so a waiting writer is not starved by later readers: they queue behind
//! it. Guards hold their permits and give them back when dropped.

use crate::loom::cell::UnsafeCell;
use crate::sync::batch_semaphore::RawSemaphore;
use crate::sync::TryLockError;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// Readers that may hold the lock at once.
pub(crate) const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async reader-writer lock; readers and writers are served in arrival order.
pub struct RwLock<T> {
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

/// Shared access to the data of a [`RwLock`].
#[must_use = "dropping the guard unlocks at once"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
}

/// Exclusive access to the data of a [`RwLock`].
#[must_use = "dropping the guard unlocks at once"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
}

// SAFETY: the lock hands `T` to one writer or to shared readers, on any thread.
unsafe impl<T: Send> Send for RwLock<T> {}
// SAFETY: readers share `&T` across threads (needs `Sync`), writers move exclusive access (`Send`).
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}
// SAFETY: a read guard only gives `&T`.
unsafe impl<T: Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: shared access to a write guard only gives `&T`.
unsafe impl<T: Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            sem: RawSemaphore::new(MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, consuming the lock.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T> RwLock<T> {
    /// Waits for shared access.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.sem
            .acquire(1)
            .await
            .expect("a RwLock's semaphore is never closed");
        RwLockReadGuard { lock: self }
    }

    /// Waits for exclusive access.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.sem
            .acquire(MAX_READS)
            .await
            .expect("a RwLock's semaphore is never closed");
        RwLockWriteGuard { lock: self }
    }

    /// Shared access now, if no writer holds or waits for the lock.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.sem.try_acquire(1).map_err(|_| TryLockError::new())?;
        Ok(RwLockReadGuard { lock: self })
    }

    /// Exclusive access now, if nobody holds or waits for the lock.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.sem
            .try_acquire(MAX_READS)
            .map_err(|_| TryLockError::new())?;
        Ok(RwLockWriteGuard { lock: self })
    }

    /// Blocks the current thread for shared access. Must not be called from async code.
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::sync::park::block_on(self.read())
    }

    /// Blocks the current thread for exclusive access. Must not be called from async code.
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::sync::park::block_on(self.write())
    }

    /// The data, through exclusive access to the lock.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("free_read_slots", &self.sem.available_permits())
            .finish()
    }
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard holds a permit, so no writer holds the lock.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard holds every permit: no other access exists.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write guard, borrowed mutably, holds every permit.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS);
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once};
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn readers_share_writers_exclude() {
        let lock = RwLock::new(1);
        let r1 = lock.try_read().unwrap();
        let r2 = lock.try_read().unwrap();
        assert_eq!(*r1 + *r2, 2);
        assert!(lock.try_write().is_err());
        drop((r1, r2));
        let mut w = lock.try_write().unwrap();
        *w = 5;
        assert!(lock.try_read().is_err());
        drop(w);
        assert_eq!(lock.into_inner(), 5);
    }

    #[test]
    fn waiting_writer_is_not_overtaken_by_later_readers() {
        let lock = RwLock::new(0);
        let r = lock.try_read().unwrap();
        let (w, c) = counting_waker();
        let mut writer = pin!(lock.write());
        assert!(poll_once(writer.as_mut(), &w).is_pending());
        assert!(lock.try_read().is_err());
        let mut reader = pin!(lock.read());
        assert!(poll_once(reader.as_mut(), &w).is_pending());
        drop(r);
        assert_eq!(c.count(), 1);
        let Poll::Ready(mut g) = poll_once(writer, &w) else {
            panic!("writer not granted")
        };
        *g = 1;
        assert!(poll_once(reader.as_mut(), &w).is_pending());
        drop(g);
        assert_eq!(c.count(), 2);
        let Poll::Ready(g) = poll_once(reader, &w) else {
            panic!("reader not granted")
        };
        assert_eq!(*g, 1);
    }
}
