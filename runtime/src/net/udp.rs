//! [`UdpSocket`]: UDP datagrams.

use super::addr::{each_addr, ToSocketAddrs};
use super::io_source::{recv_into_spare, IoSource};
use crate::io::driver::{Direction, OpKind};
use crate::io::ReadBuf;
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

/// A UDP socket. All methods take `&self`, so one socket can be shared (in an `Arc`) by a task
/// that sends and one that receives.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// use zokio::net::UdpSocket;
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"hello", b.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct UdpSocket {
    src: IoSource,
}

impl UdpSocket {
    /// Binds to `addr` (trying each resolved address in turn).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addr, |a| std::future::ready(UdpSocket::bind_one(a))).await
    }

    fn bind_one(addr: SocketAddr) -> io::Result<UdpSocket> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::DGRAM.nonblocking().cloexec(),
            Some(Protocol::UDP),
        )?;
        socket.bind(&addr.into())?;
        UdpSocket::from_fd(socket.into())
    }

    fn from_fd(fd: OwnedFd) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            src: IoSource::new(fd)?,
        })
    }

    /// Takes a socket from the standard library (it is switched to non-blocking mode).
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::from_fd(socket.into())
    }

    /// Gives the socket back to the standard library (in non-blocking mode).
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.src.into_fd()?.into())
    }

    /// Sets the default peer for `send` and the only source `recv` accepts.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |a| std::future::ready(self.sock().connect(&a.into()))).await
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        ip(self.sock().local_addr()?)
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        ip(self.sock().peer_addr()?)
    }

    /// Sends a datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// Polls to send a datagram to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = self.src.registration();
        r.poll_counted(cx, Direction::Write, OpKind::Write, || {
            self.sock().send(buf)
        })
    }

    /// Sends without waiting; `WouldBlock` if the socket cannot take it now.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.src.try_io(Direction::Write, || self.sock().send(buf))
    }

    /// Receives a datagram from the connected peer; the rest of a datagram longer than `buf`
    /// is discarded.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        std::future::poll_fn(|cx| self.poll_recv(cx, &mut rb)).await?;
        Ok(rb.filled().len())
    }

    /// Polls to receive a datagram from the connected peer into `buf`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let r = self.src.registration();
        // SAFETY: the kernel only writes initialized bytes into the unfilled part.
        let dst = unsafe { buf.unfilled_mut() };
        let n =
            ready!(r.poll_counted(cx, Direction::Read, OpKind::Read, || self.sock().recv(dst)))?;
        // SAFETY: `recv` wrote `n` bytes.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Receives without waiting; `WouldBlock` if nothing is there.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.src
            .try_io(Direction::Read, || self.sock().recv(as_uninit(buf)))
    }

    /// Sends a datagram to `target`.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        each_addr(target, |a| {
            std::future::poll_fn(move |cx| self.poll_send_to(cx, buf, a))
        })
        .await
    }

    /// Polls to send a datagram to `target`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        let to = SockAddr::from(target);
        let r = self.src.registration();
        r.poll_counted(cx, Direction::Write, OpKind::Write, || {
            self.sock().send_to(buf, &to)
        })
    }

    /// Sends to `target` without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.src.try_io(Direction::Write, || {
            self.sock().send_to(buf, &target.into())
        })
    }

    /// Receives a datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut rb = ReadBuf::new(buf);
        let from = std::future::poll_fn(|cx| self.poll_recv_from(cx, &mut rb)).await?;
        Ok((rb.filled().len(), from))
    }

    /// Polls to receive a datagram into `buf`; returns the sender's address.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        self.poll_recv_flags(cx, buf, 0)
    }

    fn poll_recv_flags(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        flags: i32,
    ) -> Poll<io::Result<SocketAddr>> {
        // SAFETY: the kernel only writes initialized bytes into the unfilled part.
        let dst = unsafe { buf.unfilled_mut() };
        let mut from = None;
        let r = self.src.registration();
        let n = ready!(r.poll_counted(cx, Direction::Read, OpKind::Read, || {
            let (n, a) = self.sock().recv_from_with_flags(dst, flags)?;
            from = Some(a);
            Ok(n)
        }))?;
        // SAFETY: `recv_from` wrote `n` bytes.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(ip(from.expect("set on success")))
    }

    /// Receives without waiting; `WouldBlock` if nothing is there.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, a) = self
            .src
            .try_io(Direction::Read, || self.sock().recv_from(as_uninit(buf)))?;
        Ok((n, ip(a)?))
    }

    /// Receives a datagram from the connected peer into the spare capacity of `buf` (a
    /// `bytes::BufMut`) and advances it; the rest of a datagram longer than that is discarded.
    pub async fn recv_buf<B: bytes::BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        let r = self.src.registration();
        std::future::poll_fn(|cx| {
            r.poll_counted(cx, Direction::Read, OpKind::Read, || {
                recv_into_spare(buf, |dst| Ok((self.sock().recv(dst)?, ()))).map(|(n, ())| n)
            })
        })
        .await
    }

    /// Like [`UdpSocket::recv_buf`] without waiting; `WouldBlock` if nothing is there.
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
        let (n, from) = std::future::poll_fn(|cx| {
            let mut from = None;
            let n = ready!(r.poll_counted(cx, Direction::Read, OpKind::Read, || {
                let (n, a) = recv_into_spare(buf, |dst| self.sock().recv_from(dst))?;
                from = Some(a);
                Ok(n)
            }))?;
            Poll::Ready(Ok::<_, io::Error>((n, from.expect("set on success"))))
        })
        .await?;
        Ok((n, ip(from)?))
    }

    /// Like [`UdpSocket::recv_buf_from`] without waiting; `WouldBlock` if nothing is there.
    pub fn try_recv_buf_from<B: bytes::BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        let (n, from) = self.src.try_io(Direction::Read, || {
            recv_into_spare(buf, |dst| self.sock().recv_from(dst))
        })?;
        Ok((n, ip(from)?))
    }

    /// Receives a datagram without removing it from the queue.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut rb = ReadBuf::new(buf);
        let from =
            std::future::poll_fn(|cx| self.poll_recv_flags(cx, &mut rb, libc::MSG_PEEK)).await?;
        Ok((rb.filled().len(), from))
    }

    super::io_source::readiness_methods!();

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.sock().broadcast()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.sock().set_broadcast(on)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.sock().ttl()
    }

    /// Sets the `IP_TTL` option.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.sock().set_ttl(ttl)
    }

    /// Joins an IPv4 multicast group on `interface`.
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.sock().join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.sock().leave_multicast_v4(&group, &interface)
    }

    /// Joins an IPv6 multicast group on interface index `interface`.
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.sock().join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.sock().leave_multicast_v6(group, interface)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock().take_error()
    }

    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self)
    }
}

fn ip(addr: SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket()
        .ok_or_else(|| io::Error::other("socket address is not an IP address"))
}

pub(crate) fn as_uninit(buf: &mut [u8]) -> &mut [std::mem::MaybeUninit<u8>] {
    // SAFETY: `u8` and `MaybeUninit<u8>` share a layout, and the callers (receive calls) only
    // write initialized bytes, so the slice stays initialized.
    unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.src.fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
