//! [`AsyncRead`], [`AsyncBufRead`], [`AsyncSeek`] and [`AsyncWrite`] for [`std::io::Cursor`]:
//! in-memory "files", always ready.

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use std::io::{self, BufRead, Cursor, IoSlice, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

impl<T: AsRef<[u8]> + Unpin> AsyncRead for Cursor<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let cursor = self.get_mut();
        let available = cursor.fill_buf()?;
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        cursor.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsRef<[u8]> + Unpin> AsyncBufRead for Cursor<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(BufRead::fill_buf(self.get_mut()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        BufRead::consume(self.get_mut(), amt)
    }
}

impl<T: AsRef<[u8]> + Unpin> AsyncSeek for Cursor<T> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        self.get_mut().seek(pos).map(drop)
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.get_mut().position()))
    }
}

/// Implements [`AsyncWrite`] for the cursors [`std::io::Write`] is implemented for, by
/// delegating to it (a cursor over a slice takes no more bytes at its end; one over a
/// `Vec` grows it).
macro_rules! cursor_async_write {
    ($($ty:ty),*) => {$(
        impl AsyncWrite for Cursor<$ty> {
            fn poll_write(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(self.get_mut().write(buf))
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(self.get_mut().write_vectored(bufs))
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

cursor_async_write!(&mut [u8], &mut Vec<u8>, Vec<u8>, Box<[u8]>);
