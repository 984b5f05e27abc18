//! Timers: [`sleep`], [`timeout`] and [`interval`], on a hierarchical timing wheel per runtime.
//!
//! Timers have a resolution of 1 ms and never complete before their deadline. Each runtime has
//! one timer, sharded per worker ([`handle`]); each shard is a timing wheel ([`wheel`]) of
//! entries that live inside the [`Sleep`] futures themselves ([`entry`]), so registering a timer
//! allocates nothing and dropping a `Sleep` removes it at once.

mod atomic_waker;
mod entry;
pub mod error;
mod handle;
mod instant;
mod interval;
mod sleep;
mod timeout;
mod wheel;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

pub(crate) use handle::TimerHandle;
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};
