//! Cross-thread stress tests (std threads, exact counts) and loom models of the primitives.

pub(crate) mod support;

#[cfg(not(loom))]
mod stress_mpsc;
#[cfg(not(loom))]
mod stress_notify;
#[cfg(not(loom))]
mod stress_oneshot;

#[cfg(loom)]
mod loom_notify;
#[cfg(loom)]
mod loom_oneshot;
