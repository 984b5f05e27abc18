//! [`BufReader`]: reads a stream in large chunks and serves small reads from memory.

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::{cmp, fmt};

/// The default buffer size of [`BufReader`] and [`BufWriter`](super::BufWriter): 8 KiB.
pub(super) const DEFAULT_BUF_SIZE: usize = 8 * 1024;

pin_project! {
    /// Adds a buffer to a reader: many small reads (or `read_line`s) become a few large reads of
    /// the inner reader, and [`AsyncBufRead`] becomes available.
    ///
    /// Writes (if the inner type is a writer) pass straight through. Seeking discards the buffer.
    ///
    /// ```
    /// use zokio::io::{AsyncBufReadExt, BufReader};
    ///
    /// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut reader = BufReader::with_capacity(4, &b"a\nbcdef\n"[..]);
    /// let mut line = String::new();
    /// reader.read_line(&mut line).await.unwrap();
    /// assert_eq!(line, "a\n");
    /// assert_eq!(reader.buffer(), b"bc");
    /// # });
    /// ```
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        pos: usize,
        cap: usize,
        seek: SeekState,
    }
}

/// Progress of a seek through the buffer (see [`AsyncSeek for BufReader`](BufReader)).
#[derive(Debug, Clone, Copy)]
enum SeekState {
    /// No seek started.
    Idle,
    /// `start_seek` was called; the inner seek is not started yet.
    Start(SeekFrom),
    /// The inner seek to the buffer's logical position is running; the caller's relative
    /// offset follows (it did not fit in an `i64` together with the buffered length).
    Rebase(i64),
    /// The inner seek is running.
    Pending,
}

impl<R: AsyncRead> BufReader<R> {
    /// A reader with an 8 KiB buffer.
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A reader with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        BufReader {
            inner,
            buf: vec![0; capacity].into_boxed_slice(),
            pos: 0,
            cap: 0,
            seek: SeekState::Idle,
        }
    }
}

impl<R> BufReader<R> {
    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably; reading from it directly skips the buffered bytes.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The pinned inner reader.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// Gives the inner reader back; buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The bytes read from the inner reader and not consumed yet.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.cap]
    }

    /// The buffer's size.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    fn discard_buffer(self: Pin<&mut Self>) {
        let me = self.project();
        *me.pos = 0;
        *me.cap = 0;
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // A read at least as large as the buffer skips it when it is empty: no extra copy.
        if self.pos == self.cap && buf.remaining() >= self.buf.len() {
            let res = ready!(self.as_mut().get_pin_mut().poll_read(cx, buf));
            self.discard_buffer();
            return Poll::Ready(res);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = cmp::min(available.len(), buf.remaining());
        buf.put_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.pos >= *me.cap {
            let mut read = ReadBuf::new(me.buf);
            ready!(me.inner.poll_read(cx, &mut read))?;
            *me.cap = read.filled().len();
            *me.pos = 0;
        }
        Poll::Ready(Ok(&me.buf[*me.pos..*me.cap]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        *me.pos = cmp::min(*me.pos + amt, *me.cap);
    }
}

/// Seeking accounts for the buffered bytes: `SeekFrom::Current(n)` moves `n` bytes from the
/// position of the next byte [`AsyncRead::poll_read`] would return, not from the inner reader's
/// position. Every completed seek discards the buffer.
impl<R: AsyncRead + AsyncSeek> AsyncSeek for BufReader<R> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let me = self.project();
        if !matches!(me.seek, SeekState::Idle) {
            return Err(seek_in_progress());
        }
        *me.seek = SeekState::Start(pos);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let res = ready!(self.as_mut().poll_seek_steps(cx));
        *self.as_mut().project().seek = SeekState::Idle;
        Poll::Ready(res)
    }
}

impl<R: AsyncRead + AsyncSeek> BufReader<R> {
    /// Runs the seek state machine until the inner seek completes.
    fn poll_seek_steps(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            let buffered = (self.cap - self.pos) as i64;
            let me = self.as_mut().project();
            match *me.seek {
                SeekState::Idle => {
                    let pos = ready!(me.inner.poll_complete(cx))?;
                    return Poll::Ready(Ok(pos.saturating_sub(buffered as u64)));
                }
                SeekState::Start(pos) => *me.seek = start_inner(me.inner, pos, buffered)?,
                SeekState::Rebase(offset) => {
                    ready!(me.inner.poll_complete(cx))?;
                    self.as_mut().discard_buffer();
                    let me = self.as_mut().project();
                    me.inner.start_seek(SeekFrom::Current(offset))?;
                    *me.seek = SeekState::Pending;
                }
                SeekState::Pending => {
                    let pos = ready!(me.inner.poll_complete(cx))?;
                    self.discard_buffer();
                    return Poll::Ready(Ok(pos));
                }
            }
        }
    }
}

/// Starts the inner seek for a caller's `pos`, with `buffered` bytes read ahead.
fn start_inner<R: AsyncSeek>(
    inner: Pin<&mut R>,
    pos: SeekFrom,
    buffered: i64,
) -> io::Result<SeekState> {
    match pos {
        SeekFrom::Current(n) => match n.checked_sub(buffered) {
            Some(offset) => inner.start_seek(SeekFrom::Current(offset)),
            None => {
                inner.start_seek(SeekFrom::Current(-buffered))?;
                return Ok(SeekState::Rebase(n));
            }
        },
        pos => inner.start_seek(pos),
    }
    .map(|()| SeekState::Pending)
}

pub(super) fn seek_in_progress() -> io::Error {
    io::Error::other("a seek is already in progress; call poll_complete first")
}

impl<R: AsyncRead + AsyncWrite> AsyncWrite for BufReader<R> {
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

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("reader", &self.inner)
            .field(
                "buffered",
                &format_args!("{}/{}", self.cap - self.pos, self.buf.len()),
            )
            .finish()
    }
}
