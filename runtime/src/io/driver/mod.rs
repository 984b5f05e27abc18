//! The I/O driver: io_uring on Linux, readiness polling (`mio`) as the fallback, chosen in
//! `io_driver.rs`; `registration.rs` gives sockets one readiness contract over both.

mod backend;
mod io_driver;
mod op_kind;
pub(crate) mod poll;
mod registration;
#[cfg(target_os = "linux")]
pub(crate) mod uring;

pub(crate) use backend::Selection;
pub use backend::{IoBackend, IoBackendChoice, IoBackendPreference};
pub(crate) use io_driver::{suspend_driving, IoDriver, IoHandle};
pub use op_kind::OpKind;
#[cfg(target_os = "linux")]
pub(crate) use registration::SharedWait;
pub(crate) use registration::{Direction, Registration};
