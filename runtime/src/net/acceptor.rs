//! [`Acceptor`]: a listening socket's accept loop over either backend. On io_uring a multishot
//! `ACCEPT` (kernel 5.19+; single-shot where the kernel refuses it) stays in flight in the
//! listener itself and queues connections as they come, so an `accept()` future dropped
//! mid-wait loses no connection: the next call takes it. Connections accepted after the
//! listener is gone are closed.

use super::io_source::IoSource;
use crate::io::driver::uring::{Cqe, Op, OpData, Uring};
use crate::io::driver::{Direction, IoHandle, OpKind, SharedWait};
use io_uring::{opcode, types};
use socket2::SockAddr;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

const FLAGS: i32 = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

struct AcceptData {
    _fd: Arc<OwnedFd>,
    /// Where a single-shot accept writes the peer's address (multishot gives none).
    addr: Option<Box<(libc::sockaddr_storage, libc::socklen_t)>>,
}

impl OpData for AcceptData {
    fn orphaned(&mut self, cqe: Cqe) {
        if cqe.result >= 0 {
            // SAFETY: a successful accept returned a descriptor nobody else owns.
            drop(unsafe { OwnedFd::from_raw_fd(cqe.result) });
        }
    }
}

/// The accepting side of a listener.
pub(crate) struct Acceptor {
    pending: Mutex<Pending>,
    src: IoSource,
}

/// The accept in flight on io_uring, and the tasks waiting for its next connection (several
/// tasks may accept on one shared listener: each connection wakes them all, one takes it).
#[derive(Default)]
struct Pending {
    op: Option<Op<AcceptData>>,
    waiters: SharedWait,
}

impl Acceptor {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Acceptor> {
        Ok(Acceptor {
            pending: Mutex::default(),
            src: IoSource::new(fd)?,
        })
    }

    /// The descriptor, deregistered (fails while an accept is in flight in io_uring).
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        drop(self.pending.into_inner().unwrap().op);
        self.src.into_fd()
    }

    /// The next connection: its non-blocking descriptor and the peer's address.
    pub(crate) fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        match self.src.handle() {
            IoHandle::Uring(rings) => self.poll_native(rings.current(), cx),
            IoHandle::Poll(_) => {
                let res = ready!(self
                    .src
                    .poll_io(cx, Direction::Read, || accept4(self.src.fd())));
                self.src
                    .handle()
                    .stats()
                    .sync_op(OpKind::Accept, res.as_ref().map(|_| 0).map_err(|_| ()));
                Poll::Ready(res)
            }
        }
    }

    fn poll_native(
        &self,
        ring: &Arc<Uring>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        let mut guard = self.pending.lock().unwrap();
        let Pending {
            op: pending,
            waiters,
        } = &mut *guard;
        loop {
            let multishot = ring.multishot_accept();
            let op = match pending {
                Some(op) => op,
                None => pending.insert(self.submit(ring, multishot)?),
            };
            let waker = waiters.join(cx.waker());
            let Some(cqe) = ready!(op.poll_next(&mut Context::from_waker(waker))) else {
                *pending = None;
                continue;
            };
            let addr = if cqe.more() {
                None
            } else {
                op.take_data().and_then(|d| d.addr)
            };
            if !cqe.more() {
                *pending = None;
            }
            if cqe.result == -libc::EINVAL && multishot {
                ring.disable_multishot_accept();
                continue;
            }
            if ring.cancelled_by_thread_exit(cqe.result) {
                *pending = None;
                continue;
            }
            return Poll::Ready(accepted(cqe, addr));
        }
    }

    fn submit(&self, ring: &Arc<Uring>, multishot: bool) -> io::Result<Op<AcceptData>> {
        let data = AcceptData {
            _fd: self.src.shared_fd().clone(),
            addr: (!multishot).then(empty_addr),
        };
        let fd = types::Fd(self.src.fd());
        Op::submit(ring, OpKind::Accept, data, |d| {
            match d.addr.as_deref_mut() {
                None => opcode::AcceptMulti::new(fd).flags(FLAGS).build(),
                Some((storage, len)) => {
                    opcode::Accept::new(fd, (storage as *mut libc::sockaddr_storage).cast(), len)
                        .flags(FLAGS)
                        .build()
                }
            }
        })
    }
}

fn empty_addr() -> Box<(libc::sockaddr_storage, libc::socklen_t)> {
    // SAFETY: all-zero is a valid `sockaddr_storage`.
    let storage = unsafe { zeroed() };
    Box::new((storage, size_of::<libc::sockaddr_storage>() as _))
}

/// The descriptor and peer address of an accept's completion (`getpeername` for multishot).
fn accepted(
    cqe: Cqe,
    addr: Option<Box<(libc::sockaddr_storage, libc::socklen_t)>>,
) -> io::Result<(OwnedFd, SockAddr)> {
    let fd = cqe.into_result()? as i32;
    // SAFETY: a successful accept returned a descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let addr = match addr {
        // SAFETY: the kernel filled `storage` with an address of `len` bytes.
        Some(a) => unsafe { SockAddr::new(a.0, a.1) },
        None => socket2::SockRef::from(&fd).peer_addr()?,
    };
    Ok((fd, addr))
}

fn accept4(fd: i32) -> io::Result<(OwnedFd, SockAddr)> {
    // SAFETY: `try_init` hands us storage and a length to fill, which `accept4` does.
    let (fd, addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let n = libc::accept4(fd, storage.cast(), len, FLAGS);
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n)
            }
        })
    }?;
    // SAFETY: a successful accept returned a descriptor nobody else owns.
    Ok((unsafe { OwnedFd::from_raw_fd(fd) }, addr))
}

impl AsRawFd for Acceptor {
    fn as_raw_fd(&self) -> i32 {
        self.src.fd()
    }
}
