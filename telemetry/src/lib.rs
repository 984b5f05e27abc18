//! Zokio's telemetry ABI: the shared-memory segment a runtime writes and any tool of the same
//! user reads by pid, with no restart, port or code change in the target.
//!
//! The runtime (the writer) creates a [`Segment`] and stores its counters, events and task
//! records into it; `zokio-console` and `zokio-exporter` (the readers) find it with [`list`] and
//! read it with a [`Reader`], which maps it read-only and validates everything before use. Both
//! sides compile against the types of this crate.
//!
//! ```
//! use zokio_telemetry::{EventCursor, EventData, Identity, Reader, Segment, SegmentConfig};
//!
//! # let dir = std::env::temp_dir().join(format!("zokio-doc-{}", std::process::id()));
//! // The runtime: one segment per runtime, here with two workers.
//! let identity = Identity::for_this_process("checkout")?;
//! let segment = Segment::create_in(&dir, &SegmentConfig::new(2), &identity)?;
//! segment.set_backend("io_uring", "kernel 6.8 supports it");
//! segment.worker(0).polls.store(42);
//! segment.ring(1).push(1_000, 7, EventData::PollStart);
//!
//! // A tool of the same user: open by pid, read a snapshot and the events.
//! let reader = Reader::open_pid_in(&dir, identity.pid)?;
//! let snapshot = reader.snapshot()?;
//! assert_eq!(snapshot.header.service_name, "checkout");
//! assert_eq!(snapshot.header.backend, "io_uring");
//! assert_eq!(snapshot.workers[0].counters.polls, 42);
//! let batch = reader.events(1, &mut EventCursor::new())?;
//! assert_eq!((batch.events.len(), batch.lost), (1, 0));
//! assert_eq!(batch.events[0].data, EventData::PollStart);
//! # drop(segment);
//! # std::fs::remove_dir(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! In production [`Segment::create`] picks the directory (see [`segment_dir`]) and returns
//! `Ok(None)` when `ZOKIO_TELEMETRY=off`, and [`Reader::open_pid`] looks there.
//!
//! The layout is described in [`layout`]; the lock-free protocols in [`ring`] (event rings,
//! perf-style overwrite ring) and [`seqlock`] (task slots, backend name); the private directory and
//! file checks in [`dir`]; why a reader never takes a SIGBUS in [`reader`].

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
// Under loom only the lock-free protocols are compiled, without the segment code that uses them.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod loom;

pub mod event;
pub mod io_op;
pub mod lint;
pub mod ring;
pub mod seqlock;
pub mod words;

#[cfg(not(loom))]
pub mod counters;
#[cfg(not(loom))]
pub mod dir;
#[cfg(not(loom))]
mod discovery;
#[cfg(not(loom))]
mod error;
#[cfg(not(loom))]
mod identity;
#[cfg(not(loom))]
pub mod layout;
#[cfg(not(loom))]
mod mmap;
#[cfg(not(loom))]
pub mod reader;
#[cfg(not(loom))]
mod segment;
#[cfg(not(loom))]
mod snapshot;
#[cfg(not(loom))]
mod strings;
#[cfg(not(loom))]
pub mod task;
#[cfg(not(loom))]
mod validate;
#[cfg(not(loom))]
mod view;

pub use event::{Event, EventData, EventKind, Outcome, WakeSource};
pub use io_op::IoOp;
pub use lint::{Lint, LINT_SLOTS};
pub use ring::{EventBatch, EventCursor, EventRing};

#[cfg(not(loom))]
pub use {
    counters::{
        bucket_of, Counter, IoDriverBlock, IoDriverCounters, IoOpBlock, IoOpCounters, PoolBlock,
        PoolCounters, RuntimeBlock, RuntimeCounters, WorkerBlock, WorkerCounters,
        HISTOGRAM_BUCKETS,
    },
    dir::{enabled, segment_dir},
    discovery::{list, list_in, Listing, SegmentInfo},
    error::{Error, Result},
    identity::{process_start_time, Identity},
    layout::{Layout, SegmentConfig, ABI_MAJOR, ABI_MINOR},
    reader::{Reader, SliceReader},
    segment::Segment,
    snapshot::{HeaderInfo, IoOpSnapshot, PoolSnapshot, Snapshot, TaskSnapshot, WorkerSnapshot},
    task::{TaskField, TaskRecord, TaskSlot, TaskState, TaskTable, TaskWords},
};
