//! The io_uring backend: one ring per worker, its operations and natively driven streams.

mod buf_ring;
mod op;
mod ring;
mod rings;
mod send;
mod stream;

pub(crate) use op::{Cqe, Op, OpData};
pub(crate) use ring::Uring;
pub(crate) use rings::{suspend_driving, Rings};
pub(crate) use stream::NativeStream;
