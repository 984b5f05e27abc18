//! [`empty`]: a reader with nothing in it that also accepts and discards writes.

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use crate::runtime::coop;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A reader at end of stream from the start, which also accepts and discards writes and stays at
/// position 0 when seeked; made by [`empty`].
#[derive(Debug, Clone, Copy)]
pub struct Empty {
    _priv: (),
}

/// A reader at end of stream from the start (and a writer that discards).
///
/// ```
/// use zokio::io::AsyncReadExt;
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut buf = Vec::new();
/// assert_eq!(zokio::io::empty().read_to_end(&mut buf).await.unwrap(), 0);
/// # });
/// ```
pub fn empty() -> Empty {
    Empty { _priv: () }
}

impl AsyncRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        coop::poll_budgeted(cx, |_| Poll::Ready(Ok(())))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        coop::poll_budgeted(cx, |_| Poll::Ready(Ok(&[][..])))
    }

    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

impl AsyncWrite for Empty {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        coop::poll_budgeted(cx, |_| Poll::Ready(Ok(buf.len())))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for Empty {
    fn start_seek(self: Pin<&mut Self>, _position: SeekFrom) -> io::Result<()> {
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(0))
    }
}
