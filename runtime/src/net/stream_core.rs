//! [`StreamCore`]: what TCP and Unix streams share: reads, writes and shutdown over either
//! backend (native io_uring `RECV`/`SEND`, or readiness plus non-blocking calls).

use super::io_source::IoSource;
use crate::io::driver::Direction;
use crate::io::driver::{uring::NativeStream, IoHandle};
use crate::io::ReadBuf;
use std::io::{self, IoSlice};
use std::os::fd::OwnedFd;
use std::task::{ready, Context, Poll};

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

    /// Waits until the socket may be readable or writable. On io_uring the stream's own
    /// receive and send say so (a read would find buffered bytes; no send is in flight): once
    /// its receive is armed the kernel takes the socket's bytes as they come, so the socket's
    /// readiness would say nothing.
    pub(crate) async fn ready(&self, dir: Direction) -> io::Result<()> {
        std::future::poll_fn(|cx| match (self.native(), dir) {
            (Some(n), Direction::Read) => n.poll_read_ready(cx),
            (Some(n), Direction::Write) => n.poll_write_ready(cx),
            (None, _) => self.src.poll_ready(cx, dir),
        })
        .await
    }

    /// Waits until a connect in progress has finished (the socket is writable), whatever the
    /// backend: the socket's own readiness, not the stream's send.
    pub(crate) async fn connected(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.src.poll_ready(cx, Direction::Write)).await
    }

    /// Reads what is available without waiting (`WouldBlock` if nothing is): on io_uring the
    /// bytes the stream's receive already took come first.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(res) = self.native().and_then(|n| n.try_read(buf)) {
            return res;
        }
        let fd = self.src.fd();
        self.src.try_io(Direction::Read, || {
            // SAFETY: `buf` is valid for writes of its length.
            super::io_source::cvt(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
        })
    }

    /// Writes what fits without waiting (`WouldBlock` if nothing does): on io_uring into the
    /// background send, after the bytes accepted before.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self.native() {
            Some(n) => n.try_write(buf),
            None => {
                let fd = self.src.fd();
                self.src
                    .try_io(Direction::Write, || super::io_source::write_fd(fd, buf))
            }
        }
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
