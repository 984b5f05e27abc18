//! [`StreamCore`]: what TCP and Unix streams share: reads, writes and shutdown over either
//! backend (native io_uring `RECV`/`SEND`, or readiness plus non-blocking calls).

use super::io_source::IoSource;
use crate::io::driver::Direction;
use crate::io::driver::{uring::NativeStream, IoHandle};
use crate::io::{Interest, ReadBuf, Ready};
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::OwnedFd;
use std::task::{ready, Context, Poll};

/// Why `try_io`/`async_io` with `Interest::READABLE` fails on an io_uring stream that was read.
const RECEIVING: &str = "try_io/async_io with Interest::READABLE on a stream that was read with \
                         read or peek: on io_uring its own receive takes the socket's bytes, so \
                         reading the socket beside it would miss or reorder them; use try_read, \
                         or the poll backend (ZOKIO_IO=poll)";

/// A connected stream socket registered with the runtime.
pub(crate) struct StreamCore {
    native: Option<NativeStream>,
    src: IoSource,
}

impl StreamCore {
    /// Registers a connected, non-blocking stream socket.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<StreamCore> {
        let src = IoSource::new(fd)?;
        Ok(StreamCore {
            native: match src.handle() {
                IoHandle::Uring(rings) => {
                    Some(NativeStream::new(rings.clone(), src.shared_fd().clone()))
                }
                IoHandle::Poll(_) => None,
            },
            src,
        })
    }

    /// The descriptor, deregistered (fails while an io_uring operation still holds it).
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        drop(self.native);
        self.src.into_fd()
    }

    pub(crate) fn source(&self) -> &IoSource {
        &self.src
    }

    fn native(&self) -> Option<&NativeStream> {
        self.native.as_ref()
    }

    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.native() {
            Some(n) => n.poll_read(cx, buf),
            None => self.src.poll_read(cx, buf),
        }
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.native() {
            Some(n) => n.poll_write(cx, buf),
            None => self.src.poll_write(cx, buf),
        }
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.native() {
            Some(n) => n.poll_write_vectored(cx, bufs),
            None => self.src.poll_write_vectored(cx, bufs),
        }
    }

    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.native() {
            Some(n) => n.poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Waits for every accepted byte to be sent, then shuts the write side down (the peer reads
    /// end of stream).
    pub(crate) fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(n) = self.native() {
            ready!(n.poll_drain(cx))?;
        }
        Poll::Ready(self.shutdown(std::net::Shutdown::Write))
    }

    pub(crate) fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        let how = match how {
            std::net::Shutdown::Read => libc::SHUT_RD,
            std::net::Shutdown::Write => libc::SHUT_WR,
            std::net::Shutdown::Both => libc::SHUT_RDWR,
        };
        // SAFETY: plain system call on our own descriptor.
        match unsafe { libc::shutdown(self.src.fd(), how) } {
            0 => Ok(()),
            _ => match io::Error::last_os_error() {
                // Already disconnected: the write side is down either way.
                e if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
                e => Err(e),
            },
        }
    }

    /// Waits until the stream may be ready for any of `interest`; what it was found ready
    /// for.
    pub(crate) fn poll_ready_interest(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<io::Result<Ready>> {
        let mut bits = 0;
        for dir in interest.directions() {
            match self.poll_ready_bits(cx, dir) {
                Poll::Ready(Ok(b)) => bits |= b,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        match bits {
            0 => Poll::Pending,
            bits => Poll::Ready(Ok(Ready::from_bits(bits, interest))),
        }
    }

    /// Waits until the stream may be readable or writable: the driver's readiness bits.
    ///
    /// On io_uring, once the stream's own receive is armed (by a read) the kernel takes the
    /// socket's bytes as they come, so readability is the stream's: bytes buffered, end of
    /// stream or an error seen. Until then it is the socket's (a `readable()` + `try_read` loop
    /// reads the socket directly and never arms a receive). Writability is the stream's
    /// background send being done, then the socket's (a raw write through `try_io` may have
    /// found it full).
    fn poll_ready_bits(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<usize>> {
        match (self.native(), dir) {
            (Some(n), Direction::Read) => {
                if let Some(bits) = ready!(n.poll_read_ready(cx)) {
                    return Poll::Ready(Ok(bits));
                }
            }
            (Some(n), Direction::Write) => ready!(n.poll_write_ready(cx))?,
            (None, _) => {}
        }
        let seen = ready!(self.src.registration().poll_ready(cx, dir));
        Poll::Ready(Ok(seen.bits()))
    }

    /// Waits until the stream may be readable or writable.
    pub(crate) async fn ready(&self, dir: Direction) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_ready_bits(cx, dir))
            .await
            .map(drop)
    }

    /// Waits until a connect in progress has finished (the socket is writable), whatever the
    /// backend: the socket's own readiness, not the stream's send.
    pub(crate) async fn connected(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.src.poll_ready(cx, Direction::Write)).await
    }

    /// Reads what is available without waiting (`WouldBlock` if nothing is): on io_uring the
    /// bytes the stream's receive already took come first.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_read_vectored(&mut [IoSliceMut::new(buf)])
    }

    /// Like [`StreamCore::try_read`] into several buffers, each filled before the next.
    pub(crate) fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        if let Some(res) = self.native().and_then(|n| n.try_read_vectored(bufs)) {
            return res;
        }
        let fd = self.src.fd();
        let want = bufs.iter().any(|b| !b.is_empty());
        let n = self.src.try_io(Direction::Read, || {
            let iov = bufs.as_mut_ptr().cast::<libc::iovec>();
            let count = bufs.len().min(1024) as libc::c_int;
            // SAFETY: `IoSliceMut` is ABI-compatible with `iovec`; each is valid for writes of
            // its length for the duration of the call.
            super::io_source::cvt(unsafe { libc::readv(fd, iov, count) })
        })?;
        if n == 0 && want {
            self.src.registration().read_closed();
        }
        Ok(n)
    }

    /// Like [`StreamCore::try_read`] into the spare capacity of `buf`, advancing it.
    pub(crate) fn try_read_buf<B: bytes::BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        // SAFETY: only initialized bytes are written into the chunk (through `ReadBuf` or the
        // kernel), and `buf` is advanced by no more than was written.
        let dst = unsafe { buf.chunk_mut().as_uninit_slice_mut() };
        let mut out = ReadBuf::uninit(dst);
        let n = match self.native().and_then(|n| n.try_read_into(&mut out)) {
            Some(res) => res?,
            None => {
                let fd = self.src.fd();
                let n = self
                    .src
                    .try_io(Direction::Read, || super::io_source::read_fd(fd, &mut out))?;
                if n == 0 && out.remaining() > 0 {
                    self.src.registration().read_closed();
                }
                n
            }
        };
        // SAFETY: the first `n` bytes of the chunk were filled.
        unsafe { buf.advance_mut(n) };
        Ok(n)
    }

    /// Writes what fits without waiting (`WouldBlock` if nothing does): on io_uring into the
    /// background send, after the bytes accepted before.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[IoSlice::new(buf)])
    }

    /// Like [`StreamCore::try_write`] from several buffers, in order.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self.native() {
            Some(n) => n.try_write_vectored(bufs),
            None => {
                let fd = self.src.fd();
                self.src
                    .try_io(Direction::Write, || super::io_source::writev_fd(fd, bufs))
            }
        }
    }

    /// Runs the caller's non-blocking call `f` on the socket once (`try_io` of the public API);
    /// if it returns `WouldBlock`, the readiness of `interest` is forgotten.
    ///
    /// On io_uring, a raw write waits for the stream's background send (`WouldBlock` while one
    /// is in flight: its bytes go first). A raw read is refused once the stream's own receive
    /// has taken over the socket's bytes (after a read or peek through the stream): reading
    /// the socket beside it would miss or reorder bytes.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        if let Some(n) = self.native() {
            if interest.is_readable() && n.receiving() {
                return Err(io::Error::new(io::ErrorKind::Unsupported, RECEIVING));
            }
            if interest.is_writable() {
                n.send_idle()?;
            }
        }
        self.src.try_io_interest(interest, f)
    }

    /// Waits for `interest` and runs `f` (see [`StreamCore::try_io`]) until it does not return
    /// `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        super::io_source::retry_until_done(
            |cx| self.poll_ready_interest(cx, interest),
            || self.try_io(interest, &mut f),
        )
        .await
    }

    /// Copies what is available into `buf` without consuming it; waits if nothing is.
    pub(crate) async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self.native() {
            Some(n) => std::future::poll_fn(|cx| n.poll_peek(cx, buf)).await,
            None => {
                let fd = self.src.fd();
                self.src
                    .async_io(Direction::Read, || {
                        // SAFETY: `buf` is valid for writes of its length.
                        let n = unsafe {
                            libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_PEEK)
                        };
                        super::io_source::cvt(n)
                    })
                    .await
            }
        }
    }
}
