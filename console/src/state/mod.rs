//! The model of the console: everything the views show, computed once per snapshot (never per
//! frame), so that a frame only formats the rows it draws.
//!
//! - [`app`]: the whole model ([`App`]): the current view, the input mode, the header, and the
//!   parts below; it turns [`Action`](crate::input::Action)s into changes.
//! - [`rates`]: per-second rates from two snapshots.
//! - [`history`]: the recent polls/s of each worker, for the sparklines.
//! - [`tasks`]: the task table, sorted and filtered once per snapshot.
//! - [`events`]: the event log (cursors per worker, filter, pause, lost events).
//! - [`lints`]: lint totals and the tasks that carry lint bits.
//! - [`histogram`]: quantiles of the log2 histograms.

pub mod app;
pub mod events;
pub mod histogram;
pub mod history;
pub mod lints;
pub mod rates;
pub mod tasks;

pub use app::{App, Mode, ViewId};
pub use events::{EventFilter, EventLog};
pub use lints::LintSummary;
pub use rates::Rates;
pub use tasks::{SortKey, TaskTable};
