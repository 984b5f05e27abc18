//! Asynchronous signal handling: [`ctrl_c`] and, per signal, [`unix::signal`].
//!
//! Independent of the I/O driver: the first listener of a signal installs a handler (through
//! `signal-hook-registry`, so handlers of other libraries are chained) that sets a flag and writes
//! a byte to a self-pipe; one process-wide thread, `zokio-signal`, reads the pipe and wakes the
//! listeners. See `registry.rs` for the protocol.

mod ctrl_c;
mod registry;
pub mod unix;

pub use ctrl_c::ctrl_c;
