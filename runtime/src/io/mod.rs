//! Asynchronous I/O: the [`AsyncRead`], [`AsyncWrite`], [`AsyncBufRead`] and [`AsyncSeek`]
//! traits, their extension methods and helpers, and the runtime's I/O driver (io_uring, or
//! readiness polling as the fallback).

mod async_buf_read;
mod async_read;
mod async_seek;
mod async_write;
mod read_buf;

pub use async_buf_read::AsyncBufRead;
pub use async_read::AsyncRead;
pub use async_seek::AsyncSeek;
pub use async_write::AsyncWrite;
pub use read_buf::ReadBuf;

pub(crate) mod driver;

pub use driver::{IoBackend, IoBackendChoice, IoBackendPreference, OpKind};
