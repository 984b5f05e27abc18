//! [`Lines`] and [`Split`]: a buffered reader cut into lines or delimited segments, with
//! cancel-safe `next_*` methods (partial input is kept in the adapter, not in the future).

use super::buf_read_ext::poll_read_until;
use super::read_ext::invalid_utf8;
use super::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::poll_fn;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// The lines of a buffered reader; made by
    /// [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        buf: Vec<u8>,
        read: usize,
    }
}

impl<R: AsyncBufRead> Lines<R> {
    pub(super) fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            buf: Vec::new(),
            read: 0,
        }
    }

    /// The next line without its `\n` or `\r\n`, or `None` at end of stream; a line that is not
    /// valid UTF-8 fails with `InvalidData` (and is skipped).
    ///
    /// Cancel safe: a line partly read before a cancellation is completed by the next call.
    pub async fn next_line(&mut self) -> io::Result<Option<String>>
    where
        R: Unpin,
    {
        poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }

    /// Polls for the next line; see [`Lines::next_line`].
    pub fn poll_next_line(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<String>>> {
        let me = self.project();
        let n = ready!(poll_read_until(me.reader, cx, b'\n', me.buf, me.read))?;
        if n == 0 && me.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut line = mem::take(me.buf);
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        Poll::Ready(
            String::from_utf8(line)
                .map(Some)
                .map_err(|_| invalid_utf8()),
        )
    }
}

impl<R> Lines<R> {
    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The inner reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The pinned inner reader.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().reader
    }

    /// Gives the inner reader back; a partly read line is lost.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

pin_project! {
    /// The segments of a buffered reader between delimiters; made by
    /// [`AsyncBufReadExt::split`](super::AsyncBufReadExt::split).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Split<R> {
        #[pin]
        reader: R,
        delim: u8,
        buf: Vec<u8>,
        read: usize,
    }
}

impl<R: AsyncBufRead> Split<R> {
    pub(super) fn new(reader: R, delim: u8) -> Split<R> {
        Split {
            reader,
            delim,
            buf: Vec::new(),
            read: 0,
        }
    }

    /// The next segment without its delimiter, or `None` at end of stream.
    ///
    /// Cancel safe: a segment partly read before a cancellation is completed by the next call.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>>
    where
        R: Unpin,
    {
        poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }

    /// Polls for the next segment; see [`Split::next_segment`].
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let me = self.project();
        let n = ready!(poll_read_until(me.reader, cx, *me.delim, me.buf, me.read))?;
        if n == 0 && me.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = mem::take(me.buf);
        if segment.last() == Some(me.delim) {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}

impl<R> Split<R> {
    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The inner reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The pinned inner reader.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().reader
    }

    /// Gives the inner reader back; a partly read segment is lost.
    pub fn into_inner(self) -> R {
        self.reader
    }
}
