//! [`UnixDatagram`]: Unix-domain datagrams.

use super::SocketAddr;
use crate::io::driver::{Direction, OpKind};
use crate::net::io_source::{recv_into_spare, IoSource};
use crate::net::udp::as_uninit;
use socket2::{Domain, SockAddr, SockRef, Socket, Type};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

/// A Unix-domain datagram socket.
pub struct UnixDatagram {
    src: IoSource,
}

impl UnixDatagram {
    /// Binds to `path`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let socket = UnixDatagram::socket()?;
        socket.bind(&SockAddr::unix(path)?)?;
        UnixDatagram::from_fd(socket.into())
    }

    /// A socket bound to no path (it can send, and receive replies once connected).
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_fd(UnixDatagram::socket()?.into())
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::DGRAM.nonblocking().cloexec(), None)?;
        Ok((
            UnixDatagram::from_fd(a.into())?,
            UnixDatagram::from_fd(b.into())?,
        ))
    }

    fn socket() -> io::Result<Socket> {
        Socket::new(Domain::UNIX, Type::DGRAM.nonblocking().cloexec(), None)
    }

    fn from_fd(fd: OwnedFd) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            src: IoSource::new(fd)?,
        })
    }

    /// Takes a socket from the standard library (it is switched to non-blocking mode).
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_fd(socket.into())
    }

    /// Sets the default peer.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.sock().connect(&SockAddr::unix(path)?)
    }

    /// Sends a datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let r = self.src.registration();
        std::future::poll_fn(|cx| {
            r.poll_counted(cx, Direction::Write, OpKind::Write, || {
                self.sock().send(buf)
            })
        })
        .await
    }

    /// Receives a datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.src.registration();
        let buf = as_uninit(buf);
        std::future::poll_fn(|cx| {
            r.poll_counted(cx, Direction::Read, OpKind::Read, || self.sock().recv(buf))
        })
        .await
    }

    /// Sends a datagram to the socket bound at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let to = SockAddr::unix(path)?;
        let r = self.src.registration();
        std::future::poll_fn(|cx| {
            r.poll_counted(cx, Direction::Write, OpKind::Write, || {
                self.sock().send_to(buf, &to)
            })
        })
        .await
    }

    /// Receives a datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let buf = as_uninit(buf);
        let mut from = None;
        let r = self.src.registration();
        let n = std::future::poll_fn(|cx| {
            r.poll_counted(cx, Direction::Read, OpKind::Read, || {
                let (n, a) = self.sock().recv_from(buf)?;
                from = Some(a);
                Ok(n)
            })
        })
        .await?;
        Ok((n, SocketAddr(from.expect("set on success"))))
    }

    /// Sends a datagram to the connected peer without waiting; `WouldBlock` if the socket's
    /// buffer is full.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.src.try_io(Direction::Write, || self.sock().send(buf))
    }

    /// Sends a datagram to the socket bound at `path` without waiting.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let to = SockAddr::unix(path)?;
        self.src
            .try_io(Direction::Write, || self.sock().send_to(buf, &to))
    }

    /// Receives a datagram from the connected peer without waiting; `WouldBlock` if none is
    /// queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let buf = as_uninit(buf);
        self.src.try_io(Direction::Read, || self.sock().recv(buf))
    }

    /// Receives a datagram and its sender's address without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let buf = as_uninit(buf);
        let (n, from) = self
            .src
            .try_io(Direction::Read, || self.sock().recv_from(buf))?;
        Ok((n, SocketAddr(from)))
    }

    /// Receives a datagram from the connected peer into the spare capacity of `buf` (a
    /// `bytes::BufMut`) and advances it; the rest of a longer datagram is discarded.
    pub async fn recv_buf<B: bytes::BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        let r = self.src.registration();
        std::future::poll_fn(|cx| {
            r.poll_counted(cx, Direction::Read, OpKind::Read, || {
                recv_into_spare(buf, |dst| Ok((self.sock().recv(dst)?, ()))).map(|(n, ())| n)
            })
        })
        .await
    }

    /// Like [`UnixDatagram::recv_buf`] without waiting; `WouldBlock` if nothing is there.
    pub fn try_recv_buf<B: bytes::BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        self.src.try_io(Direction::Read, || {
            recv_into_spare(buf, |dst| Ok((self.sock().recv(dst)?, ()))).map(|(n, ())| n)
        })
    }

    /// Receives a datagram into the spare capacity of `buf` and advances it; returns the count
    /// and the sender's address.
    pub async fn recv_buf_from<B: bytes::BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        let r = self.src.registration();
        std::future::poll_fn(|cx| {
            let mut from = None;
            let n = std::task::ready!(r.poll_counted(cx, Direction::Read, OpKind::Read, || {
                let (n, a) = recv_into_spare(buf, |dst| self.sock().recv_from(dst))?;
                from = Some(a);
                Ok(n)
            }))?;
            std::task::Poll::Ready(Ok((n, SocketAddr(from.expect("set on success")))))
        })
        .await
    }

    /// Like [`UnixDatagram::recv_buf_from`] without waiting; `WouldBlock` if nothing is there.
    pub fn try_recv_buf_from<B: bytes::BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        let (n, from) = self.src.try_io(Direction::Read, || {
            recv_into_spare(buf, |dst| self.sock().recv_from(dst))
        })?;
        Ok((n, SocketAddr(from)))
    }

    crate::net::io_source::readiness_methods!();

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock().local_addr().map(SocketAddr)
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock().peer_addr().map(SocketAddr)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock().take_error()
    }

    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self)
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.src.fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
