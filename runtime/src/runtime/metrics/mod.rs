//! Runtime metrics: per-worker counters kept as plain fields by the worker that owns them and
//! published with Relaxed stores into a cache-aligned block anyone may read; `Handle::metrics()`
//! returns a [`RuntimeMetrics`] snapshot.
//!
//! With the `telemetry` feature off, `mock.rs` stands in with the same API and every counter
//! compiles to nothing.

mod histogram;
mod snapshot;

#[cfg(feature = "telemetry")]
mod io;
#[cfg(not(feature = "telemetry"))]
#[path = "io_mock.rs"]
mod io;
#[cfg(feature = "telemetry")]
mod worker;
#[cfg(not(feature = "telemetry"))]
#[path = "mock.rs"]
mod worker;

pub use histogram::{bucket_of, bucket_range_ns, POLL_BUCKETS};
pub(crate) use io::IoStats;
pub use snapshot::{
    IoBufferMetrics, IoMetrics, IoOpMetrics, PoolMetrics, RuntimeMetrics, WorkerMetrics,
};
pub(crate) use worker::{WorkerBlock, WorkerStats};

/// Whether this build counts anything (the `telemetry` feature).
pub const ENABLED: bool = cfg!(feature = "telemetry");
