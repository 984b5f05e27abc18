//! Unit tests of the timer, driven by fake time through `TimerHandle::process`: no test sleeps.

mod cancel;
mod cascade;
mod fire_order;
mod handle;
mod interval;
mod reset;
mod runtime;
mod shutdown;
mod stress;
mod support;
mod timeout;
