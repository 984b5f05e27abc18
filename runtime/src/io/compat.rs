//! Interoperability with the I/O traits of the `futures` crates (futures-io) and, with cargo
//! feature `tokio-compat`, of tokio.
//!
//! Zokio's traits have tokio's shape, but they are distinct traits: a crate written against
//! `futures_io::AsyncRead` or `tokio::io::AsyncRead` needs an implementation of *that* trait.
//! This module provides both directions:
//!
//! - [`Compat<T>`]: wraps a zokio stream; implements `futures_io::{AsyncRead, AsyncWrite,
//!   AsyncBufRead, AsyncSeek}` (and `tokio::io::{AsyncRead, AsyncWrite, AsyncBufRead,
//!   AsyncSeek}` with `tokio-compat`) for whatever zokio traits `T` implements.
//! - [`FromFuturesIo<T>`]: wraps a futures-io stream; implements zokio's traits.
//! - `FromTokio<T>` (with `tokio-compat`): wraps a tokio stream; implements zokio's traits.
//!
//! Zokio's own stream types (such as [`DuplexStream`](super::DuplexStream)) implement futures-io
//! (and tokio's traits with `tokio-compat`) directly, so they need no wrapper.
//!
//! ```
//! use futures::io::AsyncReadExt as _;
//! use zokio::io::{AsyncWriteExt as _, Compat};
//!
//! # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let (mut tx, rx) = zokio::io::duplex(64);
//! tx.write_all(b"hello").await.unwrap();
//! drop(tx);
//! let mut rx = Compat::new(rx);
//! let mut got = Vec::new();
//! futures::io::AsyncReadExt::read_to_end(&mut rx, &mut got).await.unwrap();
//! assert_eq!(got, b"hello");
//! # });
//! ```
//!
//! # For implementers of zokio stream types (crate-internal)
//!
//! A concrete type of this crate that implements zokio's [`AsyncRead`] and/or [`AsyncWrite`]
//! gets the futures-io traits (and tokio's, under `tokio-compat`) from one line next to its
//! definition, which delegates to its zokio implementations:
//!
//! ```ignore
//! crate::io::impl_compat_traits!(TcpStream);             // AsyncRead + AsyncWrite
//! crate::io::impl_compat_traits!(ChildStdout: read);     // AsyncRead only
//! crate::io::impl_compat_traits!(ChildStdin: write);     // AsyncWrite only
//! ```
//!
//! The type must be a plain (non-generic) type path. Seeking is not covered: futures-io's
//! one-step `poll_seek` needs state the type does not have; wrap a seekable type in [`Compat`].

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

#[cfg(feature = "tokio-compat")]
mod tokio_compat;
#[cfg(feature = "tokio-compat")]
pub(crate) use tokio_compat::poll_read_tokio;
#[cfg(feature = "tokio-compat")]
pub use tokio_compat::FromTokio;

/// Reads from a zokio reader into an initialized slice, for traits that read into `&mut [u8]`.
pub(crate) fn poll_read_slice<T: AsyncRead + ?Sized>(
    reader: Pin<&mut T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut buf = ReadBuf::new(buf);
    ready!(reader.poll_read(cx, &mut buf))?;
    Poll::Ready(Ok(buf.filled().len()))
}

/// Implements the futures-io traits, and tokio's under `tokio-compat`, on a concrete zokio
/// stream type by delegating to its zokio trait implementations; see the [module docs](self).
macro_rules! impl_compat_traits {
    (@read $ty:ty) => {
        impl ::futures_io::AsyncRead for $ty {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::io::compat::poll_read_slice(self, cx, buf)
            }
        }

        #[cfg(feature = "tokio-compat")]
        impl ::tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut ::tokio::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                $crate::io::compat::poll_read_tokio(self, cx, buf)
            }
        }
    };
    (@write $ty:ty) => {
        impl ::futures_io::AsyncWrite for $ty {
            $crate::io::compat::impl_compat_traits!(@write_methods poll_close);
        }

        #[cfg(feature = "tokio-compat")]
        impl ::tokio::io::AsyncWrite for $ty {
            $crate::io::compat::impl_compat_traits!(@write_methods poll_shutdown);

            fn is_write_vectored(&self) -> bool {
                <Self as $crate::io::AsyncWrite>::is_write_vectored(self)
            }
        }
    };
    (@write_methods $shutdown:ident) => {
        fn poll_write(
            self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            <Self as $crate::io::AsyncWrite>::poll_write(self, cx, buf)
        }

        fn poll_write_vectored(
            self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
            bufs: &[::std::io::IoSlice<'_>],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            <Self as $crate::io::AsyncWrite>::poll_write_vectored(self, cx, bufs)
        }

        fn poll_flush(
            self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            <Self as $crate::io::AsyncWrite>::poll_flush(self, cx)
        }

        fn $shutdown(
            self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            <Self as $crate::io::AsyncWrite>::poll_shutdown(self, cx)
        }
    };
    ($ty:ty: $($side:ident),+ $(,)?) => {
        $( $crate::io::compat::impl_compat_traits!(@$side $ty); )+
    };
    ($ty:ty) => {
        $crate::io::compat::impl_compat_traits!($ty: read, write);
    };
}
pub(crate) use impl_compat_traits;

pin_project! {
    /// A zokio stream seen through the futures-io traits (and tokio's with feature
    /// `tokio-compat`): each trait is implemented when `T` implements zokio's counterpart.
    /// See the [module docs](self).
    #[derive(Debug)]
    pub struct Compat<T> {
        #[pin]
        inner: T,
        // The position of the seek started by `poll_seek` and not completed yet.
        seek_pos: Option<SeekFrom>,
    }
}

impl<T> Compat<T> {
    /// Wraps a zokio stream.
    pub fn new(inner: T) -> Compat<T> {
        Compat {
            inner,
            seek_pos: None,
        }
    }

    /// The zokio stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The zokio stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The pinned zokio stream.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Gives the zokio stream back.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> futures_io::AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read_slice(self.get_pin_mut(), cx, buf)
    }
}

impl<T: AsyncWrite> futures_io::AsyncWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<T: AsyncBufRead> futures_io::AsyncBufRead for Compat<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

/// `poll_seek(pos)` is zokio's `start_seek(pos)` then `poll_complete`, remembering across
/// `Pending` that the seek was started (a seek to another position finishes the old one first).
impl<T: AsyncSeek> futures_io::AsyncSeek for Compat<T> {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let mut me = self.project();
        if *me.seek_pos != Some(pos) {
            ready!(me.inner.as_mut().poll_complete(cx))?;
            me.inner.as_mut().start_seek(pos)?;
            *me.seek_pos = Some(pos);
        }
        let res = ready!(me.inner.poll_complete(cx));
        *me.seek_pos = None;
        Poll::Ready(res)
    }
}

pin_project! {
    /// A futures-io stream seen through zokio's traits: each trait is implemented when `T`
    /// implements the futures-io counterpart. See the [module docs](self).
    #[derive(Debug)]
    pub struct FromFuturesIo<T> {
        #[pin]
        inner: T,
        // The position given to `start_seek` and not yet passed to `poll_seek`.
        seek_pos: Option<SeekFrom>,
    }
}

impl<T> FromFuturesIo<T> {
    /// Wraps a futures-io stream.
    pub fn new(inner: T) -> FromFuturesIo<T> {
        FromFuturesIo {
            inner,
            seek_pos: None,
        }
    }

    /// The futures-io stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The futures-io stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The pinned futures-io stream.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Gives the futures-io stream back.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: futures_io::AsyncRead> AsyncRead for FromFuturesIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self.get_pin_mut().poll_read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: futures_io::AsyncWrite> AsyncWrite for FromFuturesIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_close(cx)
    }
}

impl<T: futures_io::AsyncBufRead> AsyncBufRead for FromFuturesIo<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

/// `start_seek(pos)` records `pos`; `poll_complete` runs futures-io's `poll_seek(pos)` (or
/// `poll_seek(Current(0))` when no seek was started, which reports the position).
impl<T: futures_io::AsyncSeek> AsyncSeek for FromFuturesIo<T> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let me = self.project();
        if me.seek_pos.is_some() {
            return Err(super::buf_reader::seek_in_progress());
        }
        *me.seek_pos = Some(pos);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.project();
        let pos = me.seek_pos.unwrap_or(SeekFrom::Current(0));
        let res = ready!(me.inner.poll_seek(cx, pos));
        *me.seek_pos = None;
        Poll::Ready(res)
    }
}
