//! The runtime: builder, handles, schedulers, drivers and metrics.

pub(crate) mod context;
pub(crate) mod coop;
