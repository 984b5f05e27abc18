//! [`TcpStream`]: a TCP connection.

use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::stream_core::StreamCore;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

/// A TCP connection, read and written through [`AsyncRead`](crate::io::AsyncRead) and
/// [`AsyncWrite`](crate::io::AsyncWrite) (and their extension traits).
///
/// On io_uring, writes are accepted into the stream's buffer and sent in the background (like a
/// `send(2)` that copies into the socket buffer, they are then the kernel's); the next write
/// waits for the previous one, [`shutdown`](crate::io::AsyncWriteExt::shutdown) waits for all of
/// them, and a failed send is reported by the next write, flush or shutdown.
pub struct TcpStream {
    core: StreamCore,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addr, TcpStream::connect_one).await
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )?;
        TcpStream::connect_socket(socket, addr).await
    }

    /// Connects a fresh non-blocking socket and waits for the handshake.
    pub(crate) async fn connect_socket(socket: Socket, addr: SocketAddr) -> io::Result<TcpStream> {
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let stream = TcpStream::from_fd(socket.into())?;
        stream.core.connected().await?;
        let res = match stream.sock().take_error()? {
            Some(e) => Err(e),
            None => Ok(()),
        };
        let stats = stream.core.source().handle().stats();
        stats.sync_op(
            crate::io::OpKind::Connect,
            res.as_ref().map(|_| 0).map_err(|_| ()),
        );
        res.map(|()| stream)
    }

    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<TcpStream> {
        Ok(TcpStream {
            core: StreamCore::new(fd)?,
        })
    }

    /// Takes a stream from the standard library (it is switched to non-blocking mode).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_fd(stream.into())
    }

    /// Gives the stream back to the standard library (in non-blocking mode). Fails while an
    /// io_uring operation still holds the socket.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.core.into_fd()?.into())
    }

    /// The local address of the connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock().local_addr()?.as_socket().ok_or_else(not_ip)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock().peer_addr()?.as_socket().ok_or_else(not_ip)
    }

    /// Whether `TCP_NODELAY` (no Nagle delay) is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.sock().nodelay()
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of being coalesced.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.sock().set_nodelay(nodelay)
    }

    /// The `SO_LINGER` option.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.sock().linger()
    }

    /// Sets `SO_LINGER`; `Some(0)` makes closing the socket reset the connection.
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.sock().set_linger(dur)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock().ttl()
    }

    /// Sets the `IP_TTL` option.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock().set_ttl(ttl)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock().take_error()
    }

    /// Reads without consuming: the bytes stay for the next read.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.core.peek(buf).await
    }

    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self)
    }
}

fn not_ip() -> io::Error {
    io::Error::other("socket address is not an IP address")
}

crate::net::split::stream_impls!(TcpStream);

impl TcpStream {
    crate::net::split::stream_methods!();
}
crate::net::split::stream_halves!(TcpStream);

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.core.source().fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
