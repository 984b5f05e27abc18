//! The runtime: builder, handles, schedulers, drivers and metrics.
//!
//! ```
//! let rt = zokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! let n = rt.block_on(async {
//!     let h = zokio::spawn(async { 20 + 1 });
//!     h.await.unwrap() * 2
//! });
//! assert_eq!(n, 42);
//! ```

mod block_on;
pub(crate) mod blocking;
mod builder;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod coop;
pub(crate) mod driver;
mod handle;
pub mod metrics;
pub(crate) mod park;
#[allow(clippy::module_inception)]
mod runtime;
pub(crate) mod scheduler;

pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::RuntimeMetrics;
pub use runtime::{Runtime, RuntimeFlavor};
