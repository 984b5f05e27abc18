//! [`split`]: a read half and a write half of one stream, usable from different tasks.
//!
//! Both halves share the stream behind an `Arc<Mutex<..>>`; each poll locks it only for the
//! duration of one `poll_*` call of the stream, which never blocks, so the lock is held briefly
//! and never across an `.await`. The stream is boxed so that it stays pinned even if it is not
//! `Unpin`.

use super::{AsyncRead, AsyncWrite, ReadBuf};
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

/// The stream shared by both halves.
type Shared<T> = Arc<Mutex<Pin<Box<T>>>>;

/// The read half of a stream, from [`split`]; implements [`AsyncRead`].
pub struct ReadHalf<T> {
    inner: Shared<T>,
}

/// The write half of a stream, from [`split`]; implements [`AsyncWrite`].
pub struct WriteHalf<T> {
    inner: Shared<T>,
}

/// Splits a stream into a read half and a write half, which can be moved to different tasks;
/// [`ReadHalf::unsplit`] puts them back together.
///
/// For a socket type with its own `split`/`into_split`, prefer that: it needs no lock.
///
/// ```
/// use zokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (a, mut b) = zokio::io::duplex(64);
/// let (mut rd, mut wr) = zokio::io::split(a);
/// wr.write_all(b"hi").await.unwrap();
/// let mut got = [0; 2];
/// b.read_exact(&mut got).await.unwrap();
/// b.write_all(&got).await.unwrap();
/// rd.read_exact(&mut got).await.unwrap();
/// assert_eq!(&got, b"hi");
/// let _a = rd.unsplit(wr);
/// # });
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let inner = Arc::new(Mutex::new(Box::pin(stream)));
    let read = ReadHalf {
        inner: Arc::clone(&inner),
    };
    (read, WriteHalf { inner })
}

/// Locks the stream; a panic in another half's poll does not make the stream unusable.
fn lock<T>(inner: &Shared<T>) -> MutexGuard<'_, Pin<Box<T>>> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> ReadHalf<T> {
    /// Whether `other` is the write half split from the same stream.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Joins the two halves back into the stream.
    ///
    /// # Panics
    /// If `wr` was split from another stream.
    pub fn unsplit(self, wr: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        assert!(
            self.is_pair_of(&wr),
            "unsplit of halves from different streams"
        );
        drop(wr);
        let mutex = Arc::into_inner(self.inner).expect("both halves were given back");
        let stream = mutex.into_inner().unwrap_or_else(PoisonError::into_inner);
        *Pin::into_inner(stream)
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is the read half split from the same stream.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.is_pair_of(self)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        lock(&self.inner).as_mut().poll_read(cx, buf)
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        lock(&self.inner).as_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        lock(&self.inner).as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        lock(&self.inner).is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.inner).as_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.inner).as_mut().poll_shutdown(cx)
    }
}

impl<T> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}
