//! Synchronization primitives for async code: channels ([`oneshot`], [`mpsc`], [`broadcast`],
//! [`watch`]) and locks and signals ([`Mutex`], [`RwLock`], [`Semaphore`], [`Notify`], [`Barrier`]).
//!
//! They work with any executor; inside a Zokio worker their leaf futures respect the cooperative
//! budget.

mod park;
mod wait_list;

mod notify;
pub mod oneshot;

pub use notify::{Notified, Notify};

#[cfg(test)]
mod tests;
