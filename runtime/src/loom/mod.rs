//! The one door to atomics, cells, locks and threads.
//!
//! Everything concurrent in the runtime imports from here, never from `std::sync` directly, so that
//! `RUSTFLAGS="--cfg loom"` swaps in loom's model-checked versions for the loom models.

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
pub(crate) use std_impl::*;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
pub(crate) use loom_impl::*;
