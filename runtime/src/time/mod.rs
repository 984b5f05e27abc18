//! Timers: [`sleep`], [`timeout`] and [`interval`], on a hierarchical timing wheel per runtime.
//!
//! Timers have a resolution of 1 ms and never complete before their deadline. Each runtime has
//! one timer, sharded per worker (`handle.rs`); each shard is a hierarchical timing wheel
//! (`wheel.rs`) of entries that live inside the [`Sleep`] futures themselves (`entry.rs`, which
//! documents the concurrency protocol), so registering a timer allocates nothing and dropping a
//! `Sleep` removes it from the wheel at once.
//!
//! ```
//! use std::time::Duration;
//!
//! let rt = zokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! rt.block_on(async {
//!     zokio::time::sleep(Duration::from_millis(10)).await;
//!     let slow = zokio::time::sleep(Duration::from_secs(60));
//!     assert!(zokio::time::timeout(Duration::from_millis(10), slow).await.is_err());
//!     let mut every = zokio::time::interval(Duration::from_millis(5));
//!     every.tick().await; // the first tick completes at once
//!     every.tick().await;
//! });
//! ```

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
