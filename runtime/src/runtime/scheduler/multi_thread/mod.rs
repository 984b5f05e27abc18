//! The multi-thread, work-stealing scheduler.

mod handle;
mod idle;
pub(crate) mod queue;
mod worker;

pub(crate) use handle::pool_metrics as handle_pool_metrics;
pub(crate) use handle::Handle;
pub(crate) use worker::block_in_place;
