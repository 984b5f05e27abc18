//! [`AsyncWriteExt`]: `write`, `write_vectored`, `write_all`, `flush`, `shutdown` and the number
//! writers, as futures over any [`AsyncWrite`].

use super::AsyncWrite;
use std::future::Future;
use std::io::{self, IoSlice};
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Declares `write_<num>` methods: each encodes the number and writes all its bytes.
macro_rules! write_num_methods {
    ($($name:ident($ty:ty) = $encode:ident, $what:literal;)*) => {$(
        #[doc = concat!("Writes `n` as ", $what, ".")]
        ///
        /// Not cancel safe: a cancelled write may have written part of the number.
        fn $name(&mut self, n: $ty) -> WriteNum<'_, Self, { mem::size_of::<$ty>() }>
        where
            Self: Unpin,
        {
            WriteNum::new(self, n.$encode())
        }
    )*};
}

/// Writing methods for every [`AsyncWrite`]: the async twins of [`std::io::Write`]'s.
///
/// ```
/// use zokio::io::AsyncWriteExt;
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut out = Vec::new();
/// out.write_u16(0x0102).await.unwrap();
/// out.write_u16_le(0x0304).await.unwrap();
/// out.write_all(b"!").await.unwrap();
/// out.flush().await.unwrap();
/// assert_eq!(out, [1, 2, 4, 3, b'!']);
/// # });
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf` and returns how many bytes were taken.
    ///
    /// Cancel safe: if cancelled, nothing was written.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write { writer: self, buf }
    }

    /// Writes some of the bytes of `bufs`, in order, and returns how many were taken.
    ///
    /// Cancel safe: if cancelled, nothing was written.
    fn write_vectored<'a, 'b>(&'a mut self, bufs: &'a [IoSlice<'b>]) -> WriteVectored<'a, 'b, Self>
    where
        Self: Unpin,
    {
        WriteVectored { writer: self, bufs }
    }

    /// Writes all of `buf`; fails with `WriteZero` if the writer takes no more.
    ///
    /// Not cancel safe: a cancelled call may have written part of `buf`.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll { writer: self, buf }
    }

    /// Writes what the writer takes of `buf` (a `bytes::Buf`, such as `Bytes` or a
    /// `Cursor`) and advances it; returns how many bytes were written (0 when `buf` is empty).
    fn write_buf<'a, B>(&'a mut self, buf: &'a mut B) -> WriteFromBuf<'a, Self, B>
    where
        Self: Unpin,
        B: bytes::Buf + ?Sized,
    {
        WriteFromBuf { writer: self, buf }
    }

    /// Writes all of `buf`, advancing it as bytes go out (several chunks at once where the
    /// writer takes vectored writes).
    ///
    /// Not cancel safe for the count, but `buf` is advanced past every byte written.
    ///
    /// ```
    /// use zokio::io::AsyncWriteExt;
    /// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut out = Vec::new();
    /// let mut buf = bytes::Buf::chain(&b"hello "[..], &b"world"[..]);
    /// out.write_all_buf(&mut buf).await.unwrap();
    /// assert_eq!(out, b"hello world");
    /// # });
    /// ```
    fn write_all_buf<'a, B>(&'a mut self, buf: &'a mut B) -> WriteAllFromBuf<'a, Self, B>
    where
        Self: Unpin,
        B: bytes::Buf + ?Sized,
    {
        WriteAllFromBuf { writer: self, buf }
    }

    /// Flushes buffered bytes to their destination.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush { writer: self }
    }

    /// Flushes, then shuts the write side down (for a socket or a duplex stream the peer then
    /// reads end of stream).
    fn shutdown(&mut self) -> Shutdown<'_, Self>
    where
        Self: Unpin,
    {
        Shutdown { writer: self }
    }

    write_num_methods! {
        write_u8(u8) = to_be_bytes, "one byte";
        write_i8(i8) = to_be_bytes, "one byte";
        write_u16(u16) = to_be_bytes, "a big-endian `u16`";
        write_i16(i16) = to_be_bytes, "a big-endian `i16`";
        write_u32(u32) = to_be_bytes, "a big-endian `u32`";
        write_i32(i32) = to_be_bytes, "a big-endian `i32`";
        write_u64(u64) = to_be_bytes, "a big-endian `u64`";
        write_i64(i64) = to_be_bytes, "a big-endian `i64`";
        write_u128(u128) = to_be_bytes, "a big-endian `u128`";
        write_i128(i128) = to_be_bytes, "a big-endian `i128`";
        write_f32(f32) = to_be_bytes, "a big-endian IEEE 754 `f32`";
        write_f64(f64) = to_be_bytes, "a big-endian IEEE 754 `f64`";
        write_u16_le(u16) = to_le_bytes, "a little-endian `u16`";
        write_i16_le(i16) = to_le_bytes, "a little-endian `i16`";
        write_u32_le(u32) = to_le_bytes, "a little-endian `u32`";
        write_i32_le(i32) = to_le_bytes, "a little-endian `i32`";
        write_u64_le(u64) = to_le_bytes, "a little-endian `u64`";
        write_i64_le(i64) = to_le_bytes, "a little-endian `i64`";
        write_u128_le(u128) = to_le_bytes, "a little-endian `u128`";
        write_i128_le(i128) = to_le_bytes, "a little-endian `i128`";
        write_f32_le(f32) = to_le_bytes, "a little-endian IEEE 754 `f32`";
        write_f64_le(f64) = to_le_bytes, "a little-endian IEEE 754 `f64`";
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "the writer took no more bytes")
}

/// Writes all of `*buf`, advancing it past what was written.
fn poll_write_all<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    cx: &mut Context<'_>,
    buf: &mut &[u8],
) -> Poll<io::Result<()>> {
    while !buf.is_empty() {
        let n = ready!(Pin::new(&mut *writer).poll_write(cx, buf))?;
        if n == 0 {
            return Poll::Ready(Err(write_zero()));
        }
        *buf = &buf[n..];
    }
    Poll::Ready(Ok(()))
}

/// Future of [`AsyncWriteExt::write`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Write<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Write<'_, W> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        Pin::new(&mut *me.writer).poll_write(cx, me.buf)
    }
}

/// Future of [`AsyncWriteExt::write_vectored`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteVectored<'a, 'b, W: ?Sized> {
    writer: &'a mut W,
    bufs: &'a [IoSlice<'b>],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteVectored<'_, '_, W> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        Pin::new(&mut *me.writer).poll_write_vectored(cx, me.bufs)
    }
}

/// Future of [`AsyncWriteExt::write_all`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteAll<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        poll_write_all(me.writer, cx, &mut me.buf)
    }
}

/// Future of [`AsyncWriteExt::write_buf`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteFromBuf<'a, W: ?Sized, B: ?Sized> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<W: AsyncWrite + Unpin + ?Sized, B: bytes::Buf + ?Sized> Future for WriteFromBuf<'_, W, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        if !me.buf.has_remaining() {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(Pin::new(&mut *me.writer).poll_write(cx, me.buf.chunk()))?;
        me.buf.advance(n);
        Poll::Ready(Ok(n))
    }
}

/// Future of [`AsyncWriteExt::write_all_buf`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteAllFromBuf<'a, W: ?Sized, B: ?Sized> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<W: AsyncWrite + Unpin + ?Sized, B: bytes::Buf + ?Sized> Future for WriteAllFromBuf<'_, W, B> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        /// Chunks handed to one vectored write.
        const CHUNKS: usize = 64;
        let me = self.get_mut();
        while me.buf.has_remaining() {
            let w = Pin::new(&mut *me.writer);
            let n = if w.is_write_vectored() {
                let mut slices = [IoSlice::new(&[]); CHUNKS];
                let count = me.buf.chunks_vectored(&mut slices);
                ready!(w.poll_write_vectored(cx, &slices[..count]))?
            } else {
                ready!(w.poll_write(cx, me.buf.chunk()))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            me.buf.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncWriteExt::flush`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Flush<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Flush<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().writer).poll_flush(cx)
    }
}

/// Future of [`AsyncWriteExt::shutdown`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Shutdown<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Shutdown<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().writer).poll_shutdown(cx)
    }
}

/// Future of the number writers of [`AsyncWriteExt`] (`write_u16`, `write_f64_le`, ...): writes
/// the `N` bytes of an encoded number.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteNum<'a, W: ?Sized, const N: usize> {
    writer: &'a mut W,
    bytes: [u8; N],
    written: usize,
}

impl<'a, W: ?Sized, const N: usize> WriteNum<'a, W, N> {
    fn new(writer: &'a mut W, bytes: [u8; N]) -> Self {
        WriteNum {
            writer,
            bytes,
            written: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized, const N: usize> Future for WriteNum<'_, W, N> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let mut rest = &me.bytes[me.written..];
        let res = poll_write_all(me.writer, cx, &mut rest);
        me.written = N - rest.len();
        res
    }
}
