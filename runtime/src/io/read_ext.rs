//! [`AsyncReadExt`]: `read`, `read_exact`, `read_to_end`, `read_to_string`, the number readers,
//! `take` and `chain`, as futures over any [`AsyncRead`].

use super::{AsyncRead, Chain, ReadBuf, Take};
use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Declares `read_<num>` methods: each reads `size_of::<ty>()` bytes and decodes them.
macro_rules! read_num_methods {
    ($($name:ident -> $ty:ty = $decode:ident, $what:literal;)*) => {$(
        #[doc = concat!("Reads ", $what, "; fails with `UnexpectedEof` if the stream ends first.")]
        ///
        /// Not cancel safe: bytes read before a cancellation are lost.
        fn $name(&mut self) -> ReadNum<'_, Self, $ty, { mem::size_of::<$ty>() }>
        where
            Self: Unpin,
        {
            ReadNum::new(self, <$ty>::$decode)
        }
    )*};
}

/// Reading methods for every [`AsyncRead`]: the async twins of [`std::io::Read`]'s.
///
/// ```
/// use zokio::io::AsyncReadExt;
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut input: &[u8] = &[0, 1, 2, 3, 4, 5, b'h', b'i'];
/// assert_eq!(input.read_u16().await.unwrap(), 1);
/// assert_eq!(input.read_u32_le().await.unwrap(), 0x0504_0302);
/// let mut rest = String::new();
/// input.read_to_string(&mut rest).await.unwrap();
/// assert_eq!(rest, "hi");
/// # });
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads what is available into `buf` (at least one byte unless `buf` is empty or the stream
    /// ended) and returns how many bytes were read; 0 means end of stream.
    ///
    /// Cancel safe: if cancelled, no data was read.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        Read { reader: self, buf }
    }

    /// Reads what is available into the spare capacity of `buf` (a `bytes::BufMut`, such as
    /// `BytesMut` or `Vec<u8>`) and advances it; returns how many bytes were read: 0 at end of
    /// stream, or when `buf` has no room left.
    ///
    /// Cancel safe: if cancelled, no data was read.
    ///
    /// ```
    /// use zokio::io::AsyncReadExt;
    /// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut input: &[u8] = b"hello";
    /// let mut buf = Vec::with_capacity(16);
    /// assert_eq!(input.read_buf(&mut buf).await.unwrap(), 5);
    /// assert_eq!(buf, b"hello");
    /// # });
    /// ```
    fn read_buf<'a, B>(&'a mut self, buf: &'a mut B) -> ReadIntoBuf<'a, Self, B>
    where
        Self: Unpin,
        B: bytes::BufMut + ?Sized,
    {
        ReadIntoBuf { reader: self, buf }
    }

    /// Reads exactly `buf.len()` bytes; fails with `UnexpectedEof` if the stream ends first.
    ///
    /// Not cancel safe: bytes read before a cancellation are in `buf` but their count is lost.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact {
            reader: self,
            buf,
            filled: 0,
        }
    }

    /// Reads until end of stream, appending to `buf`; returns how many bytes were appended.
    ///
    /// Not cancel safe for the count, but the bytes read before a cancellation stay in `buf`.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        let filler = VecFiller::new(buf.len());
        ReadToEnd {
            reader: self,
            buf,
            filler,
        }
    }

    /// Reads until end of stream, appending to `dst`; returns how many bytes were appended.
    ///
    /// If the bytes read are not valid UTF-8, fails with `InvalidData` and leaves `dst` as it
    /// was. Not cancel safe: a cancelled read leaves `dst` as it was.
    fn read_to_string<'a>(&'a mut self, dst: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        let bytes = mem::take(dst).into_bytes();
        let filler = VecFiller::new(bytes.len());
        ReadToString {
            reader: self,
            dst,
            bytes: Some(bytes),
            filler,
        }
    }

    read_num_methods! {
        read_u8 -> u8 = from_be_bytes, "a `u8`";
        read_i8 -> i8 = from_be_bytes, "an `i8`";
        read_u16 -> u16 = from_be_bytes, "a big-endian `u16`";
        read_i16 -> i16 = from_be_bytes, "a big-endian `i16`";
        read_u32 -> u32 = from_be_bytes, "a big-endian `u32`";
        read_i32 -> i32 = from_be_bytes, "a big-endian `i32`";
        read_u64 -> u64 = from_be_bytes, "a big-endian `u64`";
        read_i64 -> i64 = from_be_bytes, "a big-endian `i64`";
        read_u128 -> u128 = from_be_bytes, "a big-endian `u128`";
        read_i128 -> i128 = from_be_bytes, "a big-endian `i128`";
        read_f32 -> f32 = from_be_bytes, "a big-endian IEEE 754 `f32`";
        read_f64 -> f64 = from_be_bytes, "a big-endian IEEE 754 `f64`";
        read_u16_le -> u16 = from_le_bytes, "a little-endian `u16`";
        read_i16_le -> i16 = from_le_bytes, "a little-endian `i16`";
        read_u32_le -> u32 = from_le_bytes, "a little-endian `u32`";
        read_i32_le -> i32 = from_le_bytes, "a little-endian `i32`";
        read_u64_le -> u64 = from_le_bytes, "a little-endian `u64`";
        read_i64_le -> i64 = from_le_bytes, "a little-endian `i64`";
        read_u128_le -> u128 = from_le_bytes, "a little-endian `u128`";
        read_i128_le -> i128 = from_le_bytes, "a little-endian `i128`";
        read_f32_le -> f32 = from_le_bytes, "a little-endian IEEE 754 `f32`";
        read_f64_le -> f64 = from_le_bytes, "a little-endian IEEE 754 `f64`";
    }

    /// A reader that yields at most `limit` bytes of this one, then end of stream.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, limit)
    }

    /// A reader that yields this one's bytes until its end, then `next`'s.
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        Chain::new(self, next)
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

fn poll_read_into<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut buf = ReadBuf::new(buf);
    ready!(Pin::new(reader).poll_read(cx, &mut buf))?;
    Poll::Ready(Ok(buf.filled().len()))
}

fn unexpected_eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "early end of stream")
}

/// Future of [`AsyncReadExt::read`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Read<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
}

impl<R: AsyncRead + Unpin + ?Sized> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        poll_read_into(me.reader, cx, me.buf)
    }
}

/// Future of [`AsyncReadExt::read_buf`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadIntoBuf<'a, R: ?Sized, B: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut B,
}

impl<R: AsyncRead + Unpin + ?Sized, B: bytes::BufMut + ?Sized> Future for ReadIntoBuf<'_, R, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        if !me.buf.has_remaining_mut() {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(poll_read_uninit(me.reader, cx, me.buf))?;
        Poll::Ready(Ok(n))
    }
}

/// Reads into the spare capacity of `buf` and advances it by what was read.
pub(crate) fn poll_read_uninit<R: AsyncRead + Unpin + ?Sized, B: bytes::BufMut + ?Sized>(
    reader: &mut R,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>> {
    let dst = buf.chunk_mut();
    // SAFETY: only initialized bytes are written into the chunk (through `ReadBuf`), and the
    // buffer is advanced by no more than the reader filled.
    let dst = unsafe { dst.as_uninit_slice_mut() };
    let mut rb = ReadBuf::uninit(dst);
    ready!(Pin::new(reader).poll_read(cx, &mut rb))?;
    let n = rb.filled().len();
    // SAFETY: the first `n` bytes of the chunk were filled (initialized) by the read.
    unsafe { buf.advance_mut(n) };
    Poll::Ready(Ok(n))
}

/// Future of [`AsyncReadExt::read_exact`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadExact<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
    filled: usize,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        while me.filled < me.buf.len() {
            let n = ready!(poll_read_into(me.reader, cx, &mut me.buf[me.filled..]))?;
            if n == 0 {
                return Poll::Ready(Err(unexpected_eof()));
            }
            me.filled += n;
        }
        Poll::Ready(Ok(me.filled))
    }
}

/// Appends a stream's bytes to a `Vec` without zeroing the same memory twice: the `Vec` is grown
/// with zeros past the logical length `len`, read into, and truncated back to `len` when the read
/// ends (or its future is dropped).
#[derive(Debug)]
struct VecFiller {
    start: usize,
    len: usize,
}

impl VecFiller {
    fn new(start: usize) -> VecFiller {
        VecFiller { start, len: start }
    }

    /// Reads until end of stream; returns how many bytes were appended since `start`.
    fn poll_fill<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        reader: &mut R,
        cx: &mut Context<'_>,
        vec: &mut Vec<u8>,
    ) -> Poll<io::Result<usize>> {
        let res = loop {
            self.grow(vec);
            match ready!(poll_read_into(reader, cx, &mut vec[self.len..])) {
                Ok(0) => break Ok(self.len - self.start),
                Ok(n) => self.len += n,
                Err(e) => break Err(e),
            }
        };
        vec.truncate(self.len);
        Poll::Ready(res)
    }

    /// Makes room past `len`: as much as was read so far or as the spare capacity, within
    /// 32 B..=1 MiB, so the zeroing stays proportional to the data (`resize` grows the capacity
    /// geometrically, so reallocations stay amortized).
    fn grow(&self, vec: &mut Vec<u8>) {
        if vec.len() > self.len {
            return;
        }
        let spare = vec.capacity() - vec.len();
        let step = (self.len - self.start).max(spare).clamp(32, 1 << 20);
        vec.resize(self.len + step, 0);
    }
}

/// Future of [`AsyncReadExt::read_to_end`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToEnd<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
    filler: VecFiller,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        me.filler.poll_fill(me.reader, cx, me.buf)
    }
}

impl<R: ?Sized> Drop for ReadToEnd<'_, R> {
    fn drop(&mut self) {
        self.buf.truncate(self.filler.len);
    }
}

/// Future of [`AsyncReadExt::read_to_string`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    dst: &'a mut String,
    /// The string's bytes plus what was read; `None` once given back.
    bytes: Option<Vec<u8>>,
    filler: VecFiller,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let bytes = me
            .bytes
            .as_mut()
            .expect("ReadToString polled after completion");
        let res = ready!(me.filler.poll_fill(me.reader, cx, bytes));
        let valid = me.give_back();
        Poll::Ready(match res {
            Ok(_) if !valid => Err(invalid_utf8()),
            res => res,
        })
    }
}

impl<R: ?Sized> ReadToString<'_, R> {
    /// Puts the bytes back into `dst`; returns false if the new ones were not valid UTF-8.
    fn give_back(&mut self) -> bool {
        let Some(mut bytes) = self.bytes.take() else {
            return true;
        };
        bytes.truncate(self.filler.len);
        put_back_utf8(self.dst, bytes, self.filler.start)
    }
}

impl<R: ?Sized> Drop for ReadToString<'_, R> {
    fn drop(&mut self) {
        self.give_back();
    }
}

/// Moves `bytes` into `dst`; the first `start` bytes are known to be valid UTF-8. If the rest is
/// not, only those `start` bytes are kept and false is returned.
pub(super) fn put_back_utf8(dst: &mut String, mut bytes: Vec<u8>, start: usize) -> bool {
    let valid = std::str::from_utf8(&bytes[start..]).is_ok();
    if !valid {
        bytes.truncate(start);
    }
    *dst = String::from_utf8(bytes).expect("the kept bytes are valid UTF-8");
    valid
}

pub(super) fn invalid_utf8() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}

/// Future of the number readers of [`AsyncReadExt`] (`read_u16`, `read_f64_le`, ...): reads
/// exactly `N` bytes and decodes them into a `T`.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadNum<'a, R: ?Sized, T, const N: usize> {
    reader: &'a mut R,
    buf: [u8; N],
    filled: usize,
    decode: fn([u8; N]) -> T,
}

impl<'a, R: ?Sized, T, const N: usize> ReadNum<'a, R, T, N> {
    fn new(reader: &'a mut R, decode: fn([u8; N]) -> T) -> Self {
        ReadNum {
            reader,
            buf: [0; N],
            filled: 0,
            decode,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized, T, const N: usize> Future for ReadNum<'_, R, T, N> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let me = self.get_mut();
        while me.filled < N {
            let n = ready!(poll_read_into(me.reader, cx, &mut me.buf[me.filled..]))?;
            if n == 0 {
                return Poll::Ready(Err(unexpected_eof()));
            }
            me.filled += n;
        }
        Poll::Ready(Ok((me.decode)(me.buf)))
    }
}
