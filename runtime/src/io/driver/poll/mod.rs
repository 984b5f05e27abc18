//! The readiness backend (epoll through `mio`).

mod reactor;
mod scheduled;

pub(crate) use reactor::Reactor;
pub(crate) use scheduled::{Direction, ReadyEvent, ScheduledIo, WakerList};
pub(crate) use scheduled::{ALL, ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};
