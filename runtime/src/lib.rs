//! Zokio: an async runtime for Rust that you can watch while it runs.
//!
//! tokio's API on a work-stealing scheduler whose workers count what they do (polls, steals,
//! queue depths, parks, busy time) in lock-free per-worker counters, read with
//! [`runtime::Handle::metrics`].
//!
//! ```
//! use std::time::Duration;
//!
//! let rt = zokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! let total = rt.block_on(async {
//!     let (tx, mut rx) = zokio::sync::mpsc::channel(16);
//!     for i in 0..10u64 {
//!         let tx = tx.clone();
//!         zokio::spawn(async move { tx.send(i).await.unwrap() });
//!     }
//!     drop(tx);
//!     zokio::time::sleep(Duration::from_millis(1)).await;
//!     let mut sum = 0;
//!     while let Some(v) = rx.recv().await {
//!         sum += v;
//!     }
//!     sum
//! });
//! assert_eq!(total, 45);
//! assert_eq!(rt.metrics().num_workers, 2);
//! ```
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]
// A few internals are kept for the telemetry and I/O issues (task names and trailers for the task
// table, `Handle::is_shutdown`, timer introspection); remove this once they are used.
#![allow(dead_code)]

#[doc(hidden)]
pub mod macros;

pub mod compat;
pub mod fs;
pub mod io;
pub(crate) mod loom;
pub mod net;
pub mod runtime;
#[cfg(unix)]
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;
pub(crate) mod util;

pub use task::spawn;
pub use zokio_macros::{main, test};
