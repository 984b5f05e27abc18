//! Zokio: an async runtime for Rust that you can watch while it runs.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![allow(dead_code)]

#[doc(hidden)]
pub mod macros;

pub(crate) mod loom;
pub mod runtime;
pub mod sync;
pub mod task;
pub mod time;
pub(crate) mod util;

pub use task::spawn;
pub use zokio_macros::{main, test};
