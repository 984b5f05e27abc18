//! OTLP metrics push: an [`Exporter`](crate::Exporter)'s collections, every `interval`, as
//! OTLP/HTTP protobuf `ExportMetricsServiceRequest`s posted to a collector's `/v1/metrics`.
//!
//! ```text
//! collector task --(encoded batch)--> bounded queue --> sender task --POST--> collector
//!   every interval,                   full: evicts      2xx: ok; 429/502/503/504 or no
//!   push_now, shutdown                the oldest        answer: retry (Retry-After, backoff);
//!                                     (dropped)         other: dropped
//! ```
//!
//! - [`convert`]: a [`MetricSet`](crate::model::MetricSet) as a request (one resource per
//!   runtime; names, units and label keys from the [`catalog`](crate::catalog));
//! - [`OtlpPusher`] (`pusher.rs`): the thread, its two tasks and the handle;
//! - `queue.rs`: the bounded queue; `policy.rs`: retry verdicts and backoff; `http.rs`: one POST.
//!
//! Why not the `opentelemetry_sdk` pipeline (a `MeterProvider`, a `PeriodicReader` and
//! observable instruments feeding `opentelemetry-otlp`)? Its API has no observable histogram and
//! its metric data types cannot be built outside the SDK, so the runtime's histograms (counts
//! already aggregated in power-of-two buckets) could not be exported with their exact buckets;
//! a `MeterProvider` has one resource, where a daemon exports one per process; and its periodic
//! reader exports in line, with no queue to bound or count. This module builds the same
//! `opentelemetry-proto` messages the SDK's exporter sends, from the one model every export
//! reads, and owns the queue and the retry policy.

pub mod convert;
mod http;
mod policy;
mod pusher;
mod queue;

pub use http::CONTENT_TYPE_PROTOBUF;
pub use policy::MAX_RETRY_AFTER;
pub use pusher::{Builder, OtlpPusher};
