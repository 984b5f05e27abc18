//! The io_uring backend: the shared ring, its operations and natively driven streams.

mod buf_ring;
mod op;
mod ring;
mod stream;

pub(crate) use op::{Cqe, Op, OpData};
pub(crate) use ring::Uring;
pub(crate) use stream::NativeStream;
