//! [`copy`] and [`copy_buf`]: move every byte of a reader into a writer.

use super::buf_reader::DEFAULT_BUF_SIZE;
use super::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Copies everything `reader` yields into `writer` until end of stream, then flushes `writer`;
/// returns how many bytes were copied.
///
/// Goes through an 8 KiB buffer; the writer is flushed whenever the reader has to wait, so bytes
/// never sit in a buffered writer while the copy waits for more. Not cancel safe: bytes read
/// but not yet written are lost.
///
/// ```
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut reader: &[u8] = b"hello";
/// let mut writer = Vec::new();
/// assert_eq!(zokio::io::copy(&mut reader, &mut writer).await.unwrap(), 5);
/// assert_eq!(writer, b"hello");
/// # });
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut copier = CopyBuffer::new();
    poll_fn(|cx| copier.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}

/// Copies everything a buffered `reader` yields into `writer` until end of stream, then flushes
/// `writer`; returns how many bytes were copied. Uses the reader's buffer instead of one of its
/// own.
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut amt = 0;
    poll_fn(|cx| poll_copy_buf(cx, Pin::new(&mut *reader), Pin::new(&mut *writer), &mut amt)).await
}

fn poll_copy_buf<R, W>(
    cx: &mut Context<'_>,
    mut reader: Pin<&mut R>,
    mut writer: Pin<&mut W>,
    amt: &mut u64,
) -> Poll<io::Result<u64>>
where
    R: AsyncBufRead + ?Sized,
    W: AsyncWrite + ?Sized,
{
    loop {
        let buf = ready!(reader.as_mut().poll_fill_buf(cx))?;
        if buf.is_empty() {
            ready!(writer.as_mut().poll_flush(cx))?;
            return Poll::Ready(Ok(*amt));
        }
        let n = ready!(writer.as_mut().poll_write(cx, buf))?;
        if n == 0 {
            return Poll::Ready(Err(write_zero()));
        }
        reader.as_mut().consume(n);
        *amt += n as u64;
    }
}

fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "the writer took no more bytes")
}

/// The state of one copy: a buffer holding `buf[pos..cap]` read and not yet written.
#[derive(Debug)]
pub(super) struct CopyBuffer {
    buf: Box<[u8]>,
    pos: usize,
    cap: usize,
    amt: u64,
    read_done: bool,
    need_flush: bool,
}

impl CopyBuffer {
    pub(super) fn new() -> CopyBuffer {
        CopyBuffer {
            buf: vec![0; DEFAULT_BUF_SIZE].into_boxed_slice(),
            pos: 0,
            cap: 0,
            amt: 0,
            read_done: false,
            need_flush: false,
        }
    }

    /// Copies until the reader's end of stream and a final flush; returns the bytes copied.
    pub(super) fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.pos == self.cap && !self.read_done {
                ready!(self.poll_fill(cx, reader.as_mut(), writer.as_mut()))?;
            }
            while self.pos < self.cap {
                ready!(self.poll_drain(cx, writer.as_mut()))?;
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }

    /// Refills the empty buffer; flushes the writer if the reader has to wait.
    fn poll_fill<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        reader: Pin<&mut R>,
        writer: Pin<&mut W>,
    ) -> Poll<io::Result<()>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        let mut buf = ReadBuf::new(&mut self.buf);
        if reader.poll_read(cx, &mut buf)?.is_pending() {
            if self.need_flush {
                ready!(writer.poll_flush(cx))?;
                self.need_flush = false;
            }
            return Poll::Pending;
        }
        let n = buf.filled().len();
        self.read_done = n == 0;
        (self.pos, self.cap) = (0, n);
        Poll::Ready(Ok(()))
    }

    /// Writes some of the buffered bytes.
    fn poll_drain<W: AsyncWrite + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        writer: Pin<&mut W>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(writer.poll_write(cx, &self.buf[self.pos..self.cap]))?;
        if n == 0 {
            return Poll::Ready(Err(write_zero()));
        }
        self.pos += n;
        self.amt += n as u64;
        self.need_flush = true;
        Poll::Ready(Ok(()))
    }
}
