//! Adapters that let crates written for other runtimes' traits run on zokio.

#[cfg(feature = "hyper")]
pub mod hyper;
