//! [`BufWriter`]: collects small writes in memory and writes them to the stream in large chunks.

use super::buf_reader::{seek_in_progress, DEFAULT_BUF_SIZE};
use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Adds a buffer to a writer: many small writes become a few large writes of the inner
    /// writer.
    ///
    /// Buffered bytes reach the inner writer when the buffer is full, on
    /// [`flush`](super::AsyncWriteExt::flush), on [`shutdown`](super::AsyncWriteExt::shutdown) and
    /// before a seek. Dropping a `BufWriter` loses what was not flushed: there is no async drop.
    /// Reads (if the inner type is a reader) pass straight through.
    ///
    /// ```
    /// use zokio::io::{AsyncWriteExt, BufWriter};
    ///
    /// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut writer = BufWriter::with_capacity(16, Vec::new());
    /// writer.write_all(b"hello").await.unwrap();
    /// assert_eq!(writer.buffer(), b"hello");
    /// assert!(writer.get_ref().is_empty());
    /// writer.flush().await.unwrap();
    /// assert_eq!(writer.get_ref(), b"hello");
    /// # });
    /// ```
    pub struct BufWriter<W> {
        #[pin]
        inner: W,
        buf: Vec<u8>,
        capacity: usize,
        // `buf[..written]` already reached the inner writer (a flush was interrupted).
        written: usize,
        seek: Option<SeekFrom>,
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A writer with an 8 KiB buffer.
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A writer with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: W) -> BufWriter<W> {
        BufWriter {
            inner,
            buf: Vec::with_capacity(capacity),
            capacity,
            written: 0,
            seek: None,
        }
    }

    /// Writes the buffered bytes to the inner writer (without flushing the inner writer).
    fn poll_flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut me = self.project();
        while *me.written < me.buf.len() {
            let n = ready!(me.inner.as_mut().poll_write(cx, &me.buf[*me.written..]))?;
            if n == 0 {
                let msg = "the inner writer took no more of the buffered bytes";
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::WriteZero, msg)));
            }
            *me.written += n;
        }
        me.buf.clear();
        *me.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Makes room for `len` more bytes, flushing the buffer if they do not fit.
    fn poll_reserve(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        len: usize,
    ) -> Poll<io::Result<()>> {
        if self.buf.len().saturating_add(len) > self.capacity {
            ready!(self.as_mut().poll_flush_buf(cx))?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<W> BufWriter<W> {
    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably; writing to it directly overtakes the buffered bytes.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The pinned inner writer.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// Gives the inner writer back; bytes not flushed yet are lost.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The bytes written to this writer and not yet to the inner one.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// The buffer's size.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.as_mut().poll_reserve(cx, buf.len()))?;
        let me = self.project();
        if buf.len() >= *me.capacity {
            return me.inner.poll_write(cx, buf);
        }
        me.buf.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total = bufs
            .iter()
            .fold(0usize, |sum, b| sum.saturating_add(b.len()));
        ready!(self.as_mut().poll_reserve(cx, total))?;
        let me = self.project();
        if total >= *me.capacity {
            return me.inner.poll_write_vectored(cx, bufs);
        }
        bufs.iter().for_each(|b| me.buf.extend_from_slice(b));
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.get_pin_mut().poll_shutdown(cx)
    }
}

/// Seeking writes the buffered bytes out first; positions are those of the inner writer.
impl<W: AsyncWrite + AsyncSeek> AsyncSeek for BufWriter<W> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let me = self.project();
        if me.seek.is_some() {
            return Err(seek_in_progress());
        }
        *me.seek = Some(pos);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        if let Err(e) = ready!(self.as_mut().poll_flush_buf(cx)) {
            *self.project().seek = None;
            return Poll::Ready(Err(e));
        }
        let mut me = self.project();
        if let Some(pos) = me.seek.take() {
            me.inner.as_mut().start_seek(pos)?;
        }
        me.inner.poll_complete(cx)
    }
}

impl<W: AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_read(cx, buf)
    }
}

impl<W: AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

impl<W: fmt::Debug> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("writer", &self.inner)
            .field(
                "buffered",
                &format_args!("{}/{}", self.buffer().len(), self.capacity),
            )
            .finish()
    }
}
