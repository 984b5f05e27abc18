//! Synchronization primitives for async code: channels ([`oneshot`], [`mpsc`], [`broadcast`],
//! [`watch`]) and locks and signals ([`Mutex`], [`RwLock`], [`Semaphore`], [`Notify`], [`Barrier`]).
//!
//! They work with any executor; inside a Zokio worker their leaf futures respect the cooperative
//! budget.

mod park;
mod wait_list;

pub(crate) mod atomic_waker;
mod barrier;
mod batch_semaphore;
pub mod broadcast;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod rwlock;
mod semaphore;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

#[cfg(test)]
pub(crate) mod tests;
