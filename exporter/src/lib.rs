//! Zokio's metrics for Prometheus and OpenTelemetry.
//!
//! Every Zokio runtime publishes its counters in a telemetry segment (see `zokio-telemetry`);
//! this crate reads segments and exports them:
//!
//! - [`serve`]: a `/metrics` endpoint for this process's runtimes, on a thread and runtime of its
//!   own (never on the workers it observes);
//! - [`ZokioCollector`]: a `prometheus` crate `Collector`, to register Zokio's metrics in a
//!   service's own `Registry`;
//! - [`otlp::OtlpPusher`]: pushes the same metrics to an OpenTelemetry collector (OTLP/HTTP,
//!   protobuf) from a thread of its own, with a bounded queue and retries;
//! - the `zokio-exporter` binary: a host daemon serving every Zokio process of its user on one
//!   `/metrics`, each with its `service` and `pid` labels.
//!
//! The metric names, types, labels and HELP texts are listed once, in [`catalog`].
//!
//! ```no_run
//! // In a service's main, next to its runtime:
//! let rt = zokio::runtime::Runtime::new()?;
//! let endpoint = zokio_exporter::serve("127.0.0.1:9464")?;
//! println!("Prometheus can scrape http://{}/metrics", endpoint.local_addr());
//! rt.block_on(async { /* the service */ });
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod catalog;
mod collector;
mod exporter;
pub mod model;
pub mod otlp;
mod serve;
pub mod targets;
pub mod text;

pub use collector::ZokioCollector;
pub use exporter::{Exporter, Stats};
pub use serve::{router, serve, serve_exporter, Endpoint};
