//! Runtime metrics: per-worker counters kept as plain fields by the worker that owns them and
//! published with Relaxed stores into a cache-aligned block anyone may read; `Handle::metrics()`
//! returns a [`RuntimeMetrics`] snapshot.
//!
//! With the `telemetry` feature off, `mock.rs` stands in with the same API and every counter
//! compiles to nothing.

mod histogram;
mod snapshot;

// Telemetry is compiled out without the feature, and under loom (whose models cover the
// segment's protocols in `zokio-telemetry` itself).
#[cfg(all(feature = "telemetry", not(loom)))]
mod io;
#[cfg(not(all(feature = "telemetry", not(loom))))]
#[path = "io_mock.rs"]
mod io;
#[cfg(all(feature = "telemetry", not(loom)))]
mod telemetry;
#[cfg(not(all(feature = "telemetry", not(loom))))]
#[path = "telemetry_mock.rs"]
mod telemetry;
#[cfg(all(feature = "telemetry", not(loom)))]
mod worker;
#[cfg(not(all(feature = "telemetry", not(loom))))]
#[path = "mock.rs"]
mod worker;

pub use histogram::{bucket_of, bucket_range_ns, POLL_BUCKETS};
pub(crate) use io::{IoStats, RingIoCounters};
pub use snapshot::{
    IoBufferMetrics, IoMetrics, IoOpMetrics, PoolMetrics, RuntimeMetrics, WorkerMetrics,
};
pub(crate) use telemetry::{
    timed_task_poll, timed_task_poll_ended, PollWorker, RuntimeGauges, Telemetry, TelemetryConfig,
};
pub(crate) use worker::{worker_snapshot, WorkerStats};

/// Whether this build counts anything (the `telemetry` feature).
pub const ENABLED: bool = cfg!(all(feature = "telemetry", not(loom)));
