//! [`TcpListener`]: accepts TCP connections.

use super::TcpStream;
use crate::net::acceptor::Acceptor;
use crate::net::addr::{each_addr, ToSocketAddrs};
use socket2::{Domain, Protocol, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

/// A TCP socket listening for connections.
///
/// ```
/// use zokio::io::{AsyncReadExt, AsyncWriteExt};
/// use zokio::net::{TcpListener, TcpStream};
///
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let client = zokio::spawn(async move {
///     let mut s = TcpStream::connect(addr).await?;
///     s.write_all(b"ping").await?;
///     s.shutdown().await
/// });
/// let (mut conn, _peer) = listener.accept().await?;
/// let mut got = Vec::new();
/// conn.read_to_end(&mut got).await?;
/// assert_eq!(got, b"ping");
/// client.await.unwrap()?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct TcpListener {
    acceptor: Acceptor,
}

impl TcpListener {
    /// Binds to `addr` (trying each resolved address in turn) and listens, with `SO_REUSEADDR`
    /// set as servers expect.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(addr, |a| std::future::ready(TcpListener::bind_one(a))).await
    }

    fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(1024)?;
        TcpListener::from_fd(socket.into())
    }

    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<TcpListener> {
        Ok(TcpListener {
            acceptor: Acceptor::new(fd)?,
        })
    }

    /// Accepts the next connection. Cancel-safe: a connection is never lost when the future is
    /// dropped.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (fd, addr) = ready!(self.acceptor.poll_accept(cx))?;
        let addr = addr
            .as_socket()
            .ok_or_else(|| io::Error::other("accepted a connection without an IP address"))?;
        Poll::Ready(TcpStream::from_fd(fd).map(|s| (s, addr)))
    }

    /// Takes a listener from the standard library (it is switched to non-blocking mode).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_fd(listener.into())
    }

    /// Gives the listener back to the standard library (in non-blocking mode).
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.acceptor.into_fd()?.into())
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock()
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("socket address is not an IP address"))
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock().ttl()
    }

    /// Sets the `IP_TTL` option.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock().set_ttl(ttl)
    }

    fn sock(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.acceptor.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
