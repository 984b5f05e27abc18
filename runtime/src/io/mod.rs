//! Asynchronous I/O: the [`AsyncRead`], [`AsyncWrite`], [`AsyncBufRead`] and [`AsyncSeek`]
//! traits, their extension methods and helpers, and the runtime's I/O driver (io_uring, or
//! readiness polling as the fallback).
//!
//! The helpers are tokio's: buffering ([`BufReader`], [`BufWriter`]), copying ([`copy`],
//! [`copy_buf`], [`copy_bidirectional`]), in-memory streams ([`duplex`], [`empty`], [`sink`],
//! [`repeat`], and `std::io::Cursor`), [`split`] into halves, and [`compat`] with the futures-io
//! traits (and tokio's, with feature `tokio-compat`).

mod async_buf_read;
mod async_read;
mod async_seek;
mod async_write;
mod buf_read_ext;
mod buf_reader;
mod buf_writer;
mod chain;
pub mod compat;
mod copy;
mod copy_bidirectional;
mod cursor;
mod duplex;
mod empty;
mod lines;
mod read_buf;
mod read_ext;
mod ready;
mod repeat;
mod seek_ext;
mod sink;
mod split;
mod take;
mod write_ext;

pub use async_buf_read::AsyncBufRead;
pub use async_read::AsyncRead;
pub use async_seek::AsyncSeek;
pub use async_write::AsyncWrite;
pub use buf_read_ext::AsyncBufReadExt;
pub use buf_reader::BufReader;
pub use buf_writer::BufWriter;
pub use chain::Chain;
#[cfg(feature = "tokio-compat")]
pub use compat::FromTokio;
pub use compat::{Compat, FromFuturesIo};
pub use copy::{copy, copy_buf};
pub use copy_bidirectional::copy_bidirectional;
pub use duplex::{duplex, DuplexStream};
pub use empty::{empty, Empty};
pub use lines::{Lines, Split};
pub use read_buf::ReadBuf;
pub use read_ext::AsyncReadExt;
pub use ready::{Interest, Ready};
pub use repeat::{repeat, Repeat};
pub use seek_ext::AsyncSeekExt;
pub use sink::{sink, Sink};
pub use split::{split, ReadHalf, WriteHalf};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
pub use take::Take;
pub use write_ext::AsyncWriteExt;

pub(crate) use compat::impl_compat_traits;

pub(crate) mod driver;

pub use driver::{IoBackend, IoBackendChoice, IoBackendPreference, OpKind};
