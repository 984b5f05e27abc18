//! [`IoSource`]: a non-blocking descriptor registered with the runtime's I/O driver, and the
//! readiness-based system calls every socket type shares.

use crate::io::driver::{Direction, IoHandle, OpKind, Registration};
use crate::io::{Interest, ReadBuf, Ready};
use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// A registered descriptor. The registration is dropped (deregistered) before the descriptor is
/// closed; the descriptor is shared so operations in flight in io_uring keep it open.
pub(crate) struct IoSource {
    reg: Registration,
    fd: Arc<OwnedFd>,
}

impl IoSource {
    /// Registers `fd` (already non-blocking) with the current runtime.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<IoSource> {
        let reg = Registration::new(fd.as_raw_fd())?;
        Ok(IoSource {
            reg,
            fd: Arc::new(fd),
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub(crate) fn shared_fd(&self) -> &Arc<OwnedFd> {
        &self.fd
    }

    pub(crate) fn handle(&self) -> &IoHandle {
        self.reg.handle()
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.reg
    }

    /// Gives the descriptor back (deregistered), if no operation in flight still holds it.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        let IoSource { reg, fd } = self;
        drop(reg);
        Arc::try_unwrap(fd)
            .map_err(|_| io::Error::other("the socket still has an io_uring operation in flight"))
    }

    /// Waits until any direction of `interest` may be ready; which readiness was seen.
    pub(crate) fn poll_ready_interest(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<io::Result<Ready>> {
        let bits = ready!(self.reg.poll_ready_interest(cx, interest));
        Poll::Ready(Ok(Ready::from_bits(bits, interest)))
    }

    /// Runs `f` once for `interest` without waiting (see [`Registration::try_io_interest`]).
    pub(crate) fn try_io_interest<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.reg.try_io_interest(interest, f)
    }

    /// Waits for `interest` and runs `f` until it does not block.
    pub(crate) async fn async_io_interest<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        retry_until_done(
            |cx| self.poll_ready_interest(cx, interest),
            || self.try_io_interest(interest, &mut f),
        )
        .await
    }

    /// Awaits readiness for `dir` and runs `f` until it does not block.
    pub(crate) async fn async_io<R>(
        &self,
        dir: Direction,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.reg.async_io(dir, f).await
    }

    /// Polls readiness for `dir` and runs `f` until it does not block.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.reg.poll_io(cx, dir, f)
    }

    /// Waits until `dir` may be ready (for `readable()`/`writable()`).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        self.reg.poll_ready(cx, dir).map(|_| Ok(()))
    }

    /// Runs the non-blocking call `f` once, without waiting for readiness; if it would block,
    /// the next wait for `dir` waits for a new event.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.reg.try_io(dir, f)
    }

    /// Reads what is available into `buf` (readiness path, for streams).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let fd = self.fd();
        let want = buf.remaining();
        let n =
            ready!(self
                .reg
                .poll_counted_stream(cx, Direction::Read, OpKind::Read, want, || read_fd(
                    fd, buf
                )))?;
        if n == 0 && buf.remaining() > 0 {
            self.reg.read_closed();
        }
        // SAFETY: `read_fd` wrote `n` bytes into the unfilled part.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Writes from `buf` (readiness path, for streams).
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let fd = self.fd();
        self.reg
            .poll_counted_stream(cx, Direction::Write, OpKind::Write, buf.len(), || {
                write_fd(fd, buf)
            })
    }

    /// Writes from several buffers (readiness path, for streams).
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let fd = self.fd();
        // What one call can take: `writev_fd` passes the first `WRITEV_MAX` buffers.
        let want = bufs.iter().take(WRITEV_MAX).map(|b| b.len()).sum();
        self.reg
            .poll_counted_stream(cx, Direction::Write, OpKind::Writev, want, || {
                writev_fd(fd, bufs)
            })
    }
}

/// `read(2)` into the unfilled part of `buf`; the caller marks the bytes filled.
pub(crate) fn read_fd(fd: RawFd, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
    // SAFETY: the kernel only writes initialized bytes into the slice.
    let dst = unsafe { buf.unfilled_mut() };
    // SAFETY: `dst` is valid for writes of its length for the duration of the call.
    let n = unsafe { libc::read(fd, dst.as_mut_ptr().cast(), dst.len()) };
    cvt(n)
}

/// `send(2)` with `MSG_NOSIGNAL` (a closed peer gives `BrokenPipe`, not SIGPIPE); falls back to
/// `write(2)` for descriptors that are not sockets.
pub(crate) fn write_fd(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of its length for the duration of the call.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    match cvt(n) {
        Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => {
            // SAFETY: as above.
            cvt(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
        }
        res => res,
    }
}

/// The most buffers one `writev_fd` passes (the kernel's `UIO_MAXIOV`).
const WRITEV_MAX: usize = 1024;

/// `sendmsg(2)` of several buffers with `MSG_NOSIGNAL`.
pub(crate) fn writev_fd(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(WRITEV_MAX) as _;
    // SAFETY: `IoSlice` is ABI-compatible with `iovec`; the slices outlive the call.
    cvt(unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) })
}

/// The loop of every `async_io`: waits with `ready`, then makes the attempt, until an attempt
/// does not return `WouldBlock`.
pub(crate) async fn retry_until_done<R>(
    mut ready: impl FnMut(&mut Context<'_>) -> Poll<io::Result<Ready>>,
    mut attempt: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    loop {
        std::future::poll_fn(&mut ready).await?;
        match attempt() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            res => return res,
        }
    }
}

/// Runs the receive `f` into the spare capacity of `buf` and advances `buf` by the count it
/// returns (with whatever else `f` returns, such as the sender's address).
pub(crate) fn recv_into_spare<B: bytes::BufMut + ?Sized, T>(
    buf: &mut B,
    f: impl FnOnce(&mut [std::mem::MaybeUninit<u8>]) -> io::Result<(usize, T)>,
) -> io::Result<(usize, T)> {
    // SAFETY: the receive only writes initialized bytes into the chunk, and `buf` is advanced
    // by no more than it reports written.
    let dst = unsafe { buf.chunk_mut().as_uninit_slice_mut() };
    let (n, other) = f(dst)?;
    // SAFETY: the receive wrote `n` bytes at the start of the chunk.
    unsafe { buf.advance_mut(n) };
    Ok((n, other))
}

pub(crate) fn cvt(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// The readiness methods of a socket type whose `src` field is an [`IoSource`] (datagram
/// sockets; invoked inside the type's `impl`).
macro_rules! readiness_methods {
    () => {
        /// Waits until the socket may be readable.
        pub async fn readable(&self) -> ::std::io::Result<()> {
            self.ready($crate::io::Interest::READABLE).await.map(drop)
        }

        /// Waits until the socket may be writable.
        pub async fn writable(&self) -> ::std::io::Result<()> {
            self.ready($crate::io::Interest::WRITABLE).await.map(drop)
        }

        /// Waits until the socket may be ready for any of `interest`; returns what it was
        /// found ready for. Readiness can be stale: the call it announces may still return
        /// `WouldBlock` (then make that call through [`Self::try_io`], which forgets it).
        pub async fn ready(
            &self,
            interest: $crate::io::Interest,
        ) -> ::std::io::Result<$crate::io::Ready> {
            ::std::future::poll_fn(|cx| self.src.poll_ready_interest(cx, interest)).await
        }

        /// Polls for read readiness: `Ready(Ok(()))` when a receive may make progress, else
        /// registers the task to be woken when one may.
        pub fn poll_recv_ready(
            &self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            self.src
                .poll_ready_interest(cx, $crate::io::Interest::READABLE)
                .map_ok(drop)
        }

        /// Polls for write readiness (see [`Self::poll_recv_ready`]).
        pub fn poll_send_ready(
            &self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            self.src
                .poll_ready_interest(cx, $crate::io::Interest::WRITABLE)
                .map_ok(drop)
        }

        /// Runs `f`, a non-blocking call on the socket's descriptor of the caller's choosing
        /// (for example `recvmsg` with ancillary data), once, without waiting. If it returns
        /// `WouldBlock`, the readiness of `interest` is forgotten, so the next wait for it
        /// waits for a new event. `f` must not block; other errors and results pass through.
        pub fn try_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> ::std::io::Result<R>,
        ) -> ::std::io::Result<R> {
            self.src.try_io_interest(interest, f)
        }

        /// Waits for `interest` and runs `f` (see [`Self::try_io`]) until it does not return
        /// `WouldBlock`.
        pub async fn async_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnMut() -> ::std::io::Result<R>,
        ) -> ::std::io::Result<R> {
            self.src.async_io_interest(interest, f).await
        }
    };
}
pub(crate) use readiness_methods;
