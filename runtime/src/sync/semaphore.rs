//! [`Semaphore`]: a fair counting semaphore for async code.
//!
//! The concurrency protocol lives in `batch_semaphore.rs`; this file is the public face: permit
//! guards that give their permits back on drop, and owned variants that keep the semaphore alive
//! through a (standard, user-facing) `Arc`.

use crate::sync::batch_semaphore::{self as ll, RawSemaphore};
use std::fmt;
use std::sync::Arc;

/// A counting semaphore. Waiters are served in the order they started waiting, and an acquire of
/// several permits holds its place in the queue while it collects them.
pub struct Semaphore {
    ll: RawSemaphore,
}

/// The semaphore was closed while acquiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(());

/// Why `try_acquire*` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are available now.
    NoPermits,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl From<ll::TryAcquireError> for TryAcquireError {
    fn from(e: ll::TryAcquireError) -> Self {
        match e {
            ll::TryAcquireError::Closed => TryAcquireError::Closed,
            ll::TryAcquireError::NoPermits => TryAcquireError::NoPermits,
        }
    }
}

/// Permits borrowed from a [`Semaphore`]; given back when dropped.
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: u32,
}

/// Permits taken from an `Arc<Semaphore>`; given back when dropped.
#[must_use = "dropping the permit releases it at once"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: u32,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold.
    pub const MAX_PERMITS: usize = crate::sync::batch_semaphore::MAX_PERMITS;

    /// A semaphore with `permits` permits. Panics above [`Semaphore::MAX_PERMITS`].
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            ll: RawSemaphore::new(permits),
        }
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.ll.available_permits()
    }

    /// Adds `n` permits, waking waiters they satisfy.
    pub fn add_permits(&self, n: usize) {
        self.ll.release(n);
    }

    /// Closes the semaphore: waiting and later acquires fail; permits already held stay valid.
    pub fn close(&self) {
        self.ll.close();
    }

    /// Whether the semaphore was closed.
    pub fn is_closed(&self) -> bool {
        self.ll.is_closed()
    }

    /// Waits for one permit.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits, taken together.
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.ll
            .acquire(n as usize)
            .await
            .map_err(|_| AcquireError(()))?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit if available now.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if available now.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.ll.try_acquire(n as usize)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Waits for one permit held through the `Arc`.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits held through the `Arc`.
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.ll
            .acquire(n as usize)
            .await
            .map_err(|_| AcquireError(()))?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit now, held through the `Arc`.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` permits now, held through the `Arc`.
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.ll.try_acquire(n as usize)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ll.fmt(f)
    }
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this guard holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.add_permits(self.permits as usize);
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this guard holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.add_permits(self.permits as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
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
    fn permits_are_counted_and_returned() {
        let sem = Semaphore::new(3);
        let a = sem.try_acquire_many(2).unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert_eq!(
            sem.try_acquire_many(2).unwrap_err(),
            TryAcquireError::NoPermits
        );
        drop(a);
        assert_eq!(sem.available_permits(), 3);
        sem.try_acquire().unwrap().forget();
        assert_eq!(sem.available_permits(), 2);
        sem.add_permits(5);
        assert_eq!(sem.available_permits(), 7);
    }

    #[test]
    fn waiters_are_served_in_fifo_order_even_when_a_later_one_could_fit() {
        let sem = Semaphore::new(0);
        let (w1, c1) = counting_waker();
        let (w2, c2) = counting_waker();
        let mut big = pin!(sem.acquire_many(3));
        let mut small = pin!(sem.acquire());
        assert!(poll_once(big.as_mut(), &w1).is_pending());
        assert!(poll_once(small.as_mut(), &w2).is_pending());
        sem.add_permits(2);
        // The head keeps the two permits; the later small request does not jump ahead.
        assert_eq!((c1.count(), c2.count(), sem.available_permits()), (0, 0, 0));
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        sem.add_permits(2);
        assert_eq!((c1.count(), c2.count()), (1, 1));
        let Poll::Ready(Ok(p)) = poll_once(big, &w1) else {
            panic!("big not granted")
        };
        assert_eq!(p.num_permits(), 3);
        let Poll::Ready(Ok(q)) = poll_once(small, &w2) else {
            panic!("small not granted")
        };
        assert_eq!(sem.available_permits(), 0);
        drop(p);
        assert_eq!(sem.available_permits(), 3);
        drop(q);
        assert_eq!(sem.available_permits(), 4);
    }

    #[test]
    fn cancelled_waiter_passes_partial_and_full_grants_on() {
        let sem = Semaphore::new(1);
        let (w, c) = counting_waker();
        let mut first = Box::pin(sem.acquire_many(2));
        let mut second = pin!(sem.acquire());
        assert!(poll_once(first.as_mut(), &w).is_pending());
        assert!(poll_once(second.as_mut(), &w).is_pending());
        drop(first); // held 1 of 2: it goes to `second`
        assert_eq!(c.count(), 1);
        let Poll::Ready(Ok(p)) = poll_once(second, &w) else {
            panic!("second not granted")
        };
        drop(p);
        assert_eq!(sem.available_permits(), 1);

        // A waiter granted in full but dropped before polling gives everything back.
        let held = sem.try_acquire().unwrap();
        let mut granted = Box::pin(sem.acquire());
        assert!(poll_once(granted.as_mut(), &w).is_pending());
        drop(held);
        drop(granted);
        assert_eq!(sem.available_permits(), 1);
    }

    #[test]
    fn close_fails_waiters_and_new_acquires() {
        let sem = Semaphore::new(0);
        let (w, c) = counting_waker();
        let mut a = pin!(sem.acquire());
        assert!(poll_once(a.as_mut(), &w).is_pending());
        sem.close();
        assert_eq!(c.count(), 1);
        assert!(matches!(
            poll_once(a, &w),
            Poll::Ready(Err(AcquireError(())))
        ));
        assert!(sem.is_closed());
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
        assert!(block_on(sem.acquire()).is_err());
    }

    #[test]
    fn owned_permits_keep_the_semaphore() {
        let sem = Arc::new(Semaphore::new(2));
        let p = block_on(sem.clone().acquire_many_owned(2)).unwrap();
        assert_eq!(p.num_permits(), 2);
        assert!(sem.clone().try_acquire_owned().is_err());
        drop(p);
        assert_eq!(sem.available_permits(), 2);
    }
}
