//! [`AsyncBufReadExt`]: `read_until`, `read_line`, `lines` and `split`, over any
//! [`AsyncBufRead`].

use super::read_ext::{invalid_utf8, put_back_utf8};
use super::{AsyncBufRead, Lines, Split};
use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Line- and delimiter-oriented reading for every [`AsyncBufRead`].
///
/// ```
/// use zokio::io::AsyncBufReadExt;
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut lines = (&b"one\r\ntwo\nthree"[..]).lines();
/// let mut all = Vec::new();
/// while let Some(line) = lines.next_line().await.unwrap() {
///     all.push(line);
/// }
/// assert_eq!(all, ["one", "two", "three"]);
/// # });
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Reads until `delim` (appended too) or end of stream, appending to `buf`; returns how many
    /// bytes were appended (0 at end of stream).
    ///
    /// Cancel safe in the sense tokio documents: bytes read before a cancellation stay in `buf`,
    /// and calling again continues the search.
    fn read_until<'a>(&'a mut self, delim: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        ReadUntil {
            reader: self,
            delim,
            buf,
            read: 0,
        }
    }

    /// Reads until a newline (`\n`, appended too) or end of stream, appending to `dst`; returns
    /// how many bytes were appended (0 at end of stream).
    ///
    /// If the bytes read are not valid UTF-8, fails with `InvalidData` and leaves `dst` as it
    /// was. Not cancel safe: a cancelled call leaves `dst` as it was and the bytes it read are
    /// lost. Use [`lines`](AsyncBufReadExt::lines) in a `select!` loop.
    fn read_line<'a>(&'a mut self, dst: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        let bytes = mem::take(dst).into_bytes();
        ReadLine {
            reader: self,
            start: bytes.len(),
            dst,
            bytes: Some(bytes),
            read: 0,
        }
    }

    /// The lines of this reader, without their `\n` or `\r\n`, one per
    /// [`Lines::next_line`].
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }

    /// The segments of this reader separated by `delim` (not included), one per
    /// [`Split::next_segment`].
    fn split(self, delim: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split::new(self, delim)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// Appends to `buf` up to and including `delim`, or to end of stream. `read` counts the bytes
/// appended across `Pending` returns; the total is returned (and `read` reset) when done.
pub(super) fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delim: u8,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
        let (found, used) = match available.iter().position(|&b| b == delim) {
            Some(i) => (true, i + 1),
            None => (available.is_empty(), available.len()),
        };
        buf.extend_from_slice(&available[..used]);
        reader.as_mut().consume(used);
        *read += used;
        if found {
            return Poll::Ready(Ok(mem::take(read)));
        }
    }
}

/// Future of [`AsyncBufReadExt::read_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadUntil<'a, R: ?Sized> {
    reader: &'a mut R,
    delim: u8,
    buf: &'a mut Vec<u8>,
    read: usize,
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        poll_read_until(
            Pin::new(&mut *me.reader),
            cx,
            me.delim,
            me.buf,
            &mut me.read,
        )
    }
}

/// Future of [`AsyncBufReadExt::read_line`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    dst: &'a mut String,
    /// `dst`'s bytes plus what was read; `None` once given back.
    bytes: Option<Vec<u8>>,
    start: usize,
    read: usize,
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let bytes = me.bytes.as_mut().expect("ReadLine polled after completion");
        let res = ready!(poll_read_until(
            Pin::new(&mut *me.reader),
            cx,
            b'\n',
            bytes,
            &mut me.read
        ));
        let bytes = me.bytes.take().expect("bytes are present until completion");
        let valid = put_back_utf8(me.dst, bytes, me.start);
        Poll::Ready(match res {
            Ok(_) if !valid => Err(invalid_utf8()),
            res => res,
        })
    }
}

impl<R: ?Sized> Drop for ReadLine<'_, R> {
    fn drop(&mut self) {
        if let Some(mut bytes) = self.bytes.take() {
            bytes.truncate(self.start);
            put_back_utf8(self.dst, bytes, self.start);
        }
    }
}
