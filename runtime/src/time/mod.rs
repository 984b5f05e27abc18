//! Timers: `sleep`, `timeout`, `interval` on a hierarchical timing wheel per runtime.

/// Placeholder until the timer lands.
#[derive(Clone, Debug)]
pub(crate) struct TimerHandle;
