//! Unit tests of the timer, driven by fake time through `TimerHandle::process`.
