//! The io_uring backend: the shared ring and its operations.

mod op;
mod ring;

pub(crate) use op::{Cqe, Op, OpData};
pub(crate) use ring::Uring;
