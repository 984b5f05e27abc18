//! [`Take`]: a reader limited to a number of bytes.

use super::{AsyncBufRead, AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// A reader that yields at most `limit` bytes of its inner reader, then end of stream; made by
    /// [`AsyncReadExt::take`](super::AsyncReadExt::take).
    #[derive(Debug)]
    #[must_use = "readers do nothing unless you read from them"]
    pub struct Take<R> {
        #[pin]
        inner: R,
        limit: u64,
    }
}

impl<R> Take<R> {
    pub(super) fn new(inner: R, limit: u64) -> Take<R> {
        Take { inner, limit }
    }

    /// How many bytes may still be read before end of stream.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Sets how many bytes may still be read (bytes already read do not count against it).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably; reading from it directly bypasses the limit.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The pinned inner reader.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// Gives the inner reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Reads into at most the first `max` unfilled bytes of `buf` and returns how many were read.
pub(super) fn poll_read_at_most<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
    max: usize,
) -> Poll<io::Result<usize>> {
    let mut sub = ReadBuf::new(buf.initialize_unfilled_to(max));
    ready!(reader.poll_read(cx, &mut sub))?;
    let n = sub.filled().len();
    buf.advance(n);
    Poll::Ready(Ok(n))
}

impl<R: AsyncRead> AsyncRead for Take<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(()));
        }
        let max = buf
            .remaining()
            .min(usize::try_from(*me.limit).unwrap_or(usize::MAX));
        let n = ready!(poll_read_at_most(me.inner, cx, buf, max))?;
        *me.limit -= n as u64;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead> AsyncBufRead for Take<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(&[]));
        }
        let buf = ready!(me.inner.poll_fill_buf(cx))?;
        let n = buf
            .len()
            .min(usize::try_from(*me.limit).unwrap_or(usize::MAX));
        Poll::Ready(Ok(&buf[..n]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        let amt = amt.min(usize::try_from(*me.limit).unwrap_or(usize::MAX));
        *me.limit -= amt as u64;
        me.inner.consume(amt);
    }
}
