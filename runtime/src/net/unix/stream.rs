//! [`UnixStream`]: a Unix-domain stream connection.

use super::SocketAddr;
use crate::net::stream_core::StreamCore;
use socket2::{Domain, SockAddr, SockRef, Socket, Type};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

/// A Unix-domain stream connection, read and written through [`AsyncRead`](crate::io::AsyncRead)
/// and [`AsyncWrite`](crate::io::AsyncWrite); it behaves like a `TcpStream`.
pub struct UnixStream {
    core: StreamCore,
}

impl UnixStream {
    /// Connects to the socket bound at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
        match socket.connect(&SockAddr::unix(path)?) {
            Ok(()) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EAGAIN)) => {}
            Err(e) => return Err(e),
        }
        let stream = UnixStream::from_fd(socket.into())?;
        stream.core.connected().await?;
        match SockRef::from(&stream).take_error()? {
            Some(e) => Err(e),
            None => Ok(stream),
        }
    }

    /// A connected pair of streams.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
        Ok((
            UnixStream::from_fd(a.into())?,
            UnixStream::from_fd(b.into())?,
        ))
    }

    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<UnixStream> {
        Ok(UnixStream {
            core: StreamCore::new(fd)?,
        })
    }

    /// Takes a stream from the standard library (it is switched to non-blocking mode).
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_fd(stream.into())
    }

    /// Gives the stream back to the standard library (in non-blocking mode).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.core.into_fd()?.into())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        SockRef::from(self).local_addr().map(SocketAddr)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        SockRef::from(self).peer_addr().map(SocketAddr)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self).take_error()
    }
}

crate::net::split::stream_impls!(UnixStream);

impl UnixStream {
    crate::net::split::stream_methods!();
}
crate::net::split::stream_halves!(UnixStream);

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.core.source().fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
