//! [`Registration`]: one readiness contract for a socket over both backends.
//!
//! On the poll backend the descriptor is registered with epoll (edge-triggered) and readiness
//! comes from [`ScheduledIo`]. On io_uring each side keeps at most one one-shot `POLL_ADD` in
//! flight; it is armed only after the side was found not ready, and the kernel checks the
//! descriptor's state when it arms the poll, so data that arrived in between is never missed.
//! On both, every task waiting on a side is woken when it becomes ready (several tasks may share
//! a socket): on io_uring the poll's completion wakes a [`SharedWait`] list that each waiting
//! task has joined.

pub(crate) use super::poll::Direction;
use super::poll::{ReadyEvent, ScheduledIo, WakerList};
#[cfg(target_os = "linux")]
use super::uring::Op;
use super::{IoHandle, OpKind};
use crate::io::Interest;
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex};
#[cfg(target_os = "linux")]
use std::task::Wake;
use std::task::{ready, Context, Poll, Waker};

/// A socket registered with the runtime's I/O driver.
pub(crate) struct Registration {
    handle: IoHandle,
    fd: RawFd,
    inner: Inner,
}

enum Inner {
    Poll {
        token: usize,
        io: Arc<ScheduledIo>,
    },
    #[cfg(target_os = "linux")]
    Uring {
        sides: [Mutex<UringSide>; 2],
    },
}

#[cfg(target_os = "linux")]
#[derive(Default)]
struct UringSide {
    /// The readiness the side's last poll reported (the driver's bits; 0: not known ready).
    ready: usize,
    op: Option<Op<()>>,
    /// The tasks waiting for `op` (the op holds the list's waker).
    waiters: SharedWait,
}

/// The tasks waiting on one io_uring operation that several may await at once (a side of a
/// shared socket, a shared listener's accept). The operation keeps one waker; it is this list's,
/// which wakes every task that joined. A task is listed once however often it polls; one that
/// stopped waiting stays listed until the next wake-up.
#[cfg(target_os = "linux")]
#[derive(Default)]
pub(crate) struct SharedWait(Option<(Arc<Waiters>, Waker)>);

#[cfg(target_os = "linux")]
impl SharedWait {
    /// Lists the task of `waker`; returns the waker to poll the operation with.
    pub(crate) fn join(&mut self, waker: &Waker) -> &Waker {
        let (list, list_waker) = self.0.get_or_insert_with(|| {
            let list = Arc::new(Waiters::default());
            let list_waker = Waker::from(list.clone());
            (list, list_waker)
        });
        list.0.lock().unwrap().add(waker);
        list_waker
    }
}

#[cfg(target_os = "linux")]
#[derive(Default)]
pub(crate) struct Waiters(Mutex<WakerList>);

#[cfg(target_os = "linux")]
impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let list = self.0.lock().unwrap().take();
        list.wake_all();
    }
}

/// What a task saw before its system call, to clear if the call would block.
#[derive(Clone, Copy)]
pub(crate) enum Seen {
    Poll(ReadyEvent),
    Uring(usize),
}

impl Seen {
    /// The readiness bits seen.
    pub(crate) fn bits(self) -> usize {
        match self {
            Seen::Poll(ev) => ev.bits,
            Seen::Uring(bits) => bits,
        }
    }
}

/// Readiness bits that no call makes go away: a closed side, a pending error.
const SETTLED: usize = super::poll::READ_CLOSED | super::poll::WRITE_CLOSED | super::poll::ERROR;

const NO_RUNTIME: &str = "there is no zokio runtime here: I/O objects must be created inside one \
                          (from a task, `Runtime::block_on` or `Handle::enter`)";

impl Registration {
    /// Registers `fd` with the current runtime's driver.
    pub(crate) fn new(fd: RawFd) -> io::Result<Registration> {
        let handle =
            crate::runtime::context::io_handle().ok_or_else(|| io::Error::other(NO_RUNTIME))?;
        Registration::with_handle(handle, fd)
    }

    pub(crate) fn with_handle(handle: IoHandle, fd: RawFd) -> io::Result<Registration> {
        let inner = match &handle {
            IoHandle::Poll(r) => {
                let (token, io) = r.register(&mut mio::unix::SourceFd(&fd))?;
                Inner::Poll { token, io }
            }
            #[cfg(target_os = "linux")]
            IoHandle::Uring(_) => Inner::Uring {
                sides: Default::default(),
            },
        };
        Ok(Registration { handle, fd, inner })
    }

    pub(crate) fn handle(&self) -> &IoHandle {
        &self.handle
    }

    /// Ready for `dir`, or registers the task to be woken when it may be.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<Seen> {
        match &self.inner {
            Inner::Poll { io, .. } => io.poll_ready(cx, dir).map(Seen::Poll),
            #[cfg(target_os = "linux")]
            Inner::Uring { sides } => {
                let IoHandle::Uring(rings) = &self.handle else {
                    unreachable!("uring registration on another backend")
                };
                let mut side = sides[dir as usize].lock().unwrap();
                poll_uring_side(&mut side, rings.current(), self.fd, dir, cx)
            }
        }
    }

    /// What is known of `dir`'s readiness now, without waiting or registering anyone.
    fn ready_now(&self, dir: Direction) -> Option<Seen> {
        match &self.inner {
            Inner::Poll { io, .. } => io.ready_now(dir).map(Seen::Poll),
            #[cfg(target_os = "linux")]
            Inner::Uring { sides } => match sides[dir as usize].lock().unwrap().ready {
                0 => None,
                bits => Some(Seen::Uring(bits)),
            },
        }
    }

    /// Runs the non-blocking call `f` once, without waiting. If it would block, the readiness
    /// seen before it is forgotten (unless newer), so the next wait for `dir` waits for a new
    /// event instead of returning at once (a `readable()` + `try_read` loop would spin).
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let interest = match dir {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        };
        self.try_io_interest(interest, f)
    }

    /// Like [`Registration::try_io`] for every direction of `interest` (`try_io` of the
    /// public API).
    pub(crate) fn try_io_interest<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let seen = [Direction::Read, Direction::Write].map(|d| {
            interest
                .directions()
                .any(|i| i == d)
                .then(|| self.ready_now(d))
                .flatten()
        });
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                for (dir, ready) in [Direction::Read, Direction::Write].into_iter().zip(seen) {
                    if let Some(ready) = ready {
                        self.clear(dir, ready);
                    }
                }
                Err(e)
            }
            res => res,
        }
    }

    /// Ready for any direction of `interest`: the readiness bits of those that are, or
    /// registers the task to be woken when one may be.
    pub(crate) fn poll_ready_interest(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<usize> {
        let bits = interest
            .directions()
            .map(|d| match self.poll_ready(cx, d) {
                Poll::Ready(seen) => seen.bits(),
                Poll::Pending => 0,
            })
            .fold(0, |a, b| a | b);
        match bits {
            0 => Poll::Pending,
            bits => Poll::Ready(bits),
        }
    }

    /// A read found the end of the stream: the read side's readiness says so from now on
    /// (`Ready::READ_CLOSED`), whether or not an event had told it yet.
    pub(crate) fn read_closed(&self) {
        use super::poll::{READABLE, READ_CLOSED};
        match &self.inner {
            Inner::Poll { io, .. } => io.set_ready(READABLE | READ_CLOSED),
            #[cfg(target_os = "linux")]
            Inner::Uring { sides } => {
                sides[Direction::Read as usize].lock().unwrap().ready |= READABLE | READ_CLOSED
            }
        }
    }

    /// The call made after `ready` would block: wait for the next readiness.
    pub(crate) fn clear(&self, dir: Direction, ready: Seen) {
        match (&self.inner, ready) {
            (Inner::Poll { io, .. }, Seen::Poll(ev)) => io.clear(ev),
            #[cfg(target_os = "linux")]
            (Inner::Uring { sides }, Seen::Uring(_)) => {
                sides[dir as usize].lock().unwrap().ready = 0
            }
            _ => {}
        }
    }

    /// Runs the non-blocking call `f` once `dir` is ready, retrying after `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let ready = ready!(self.poll_ready(cx, dir));
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(dir, ready),
                res => return Poll::Ready(res),
            }
        }
    }

    /// Like [`Registration::poll_counted`] for a read or write of `want` bytes on a stream: a
    /// call that moved some bytes but fewer than `want` found the socket drained (or its send
    /// buffer full), so the readiness it used is forgotten at once: the next call waits for the
    /// next event instead of first making a system call that would block. (A datagram socket
    /// must not use this: a short datagram says nothing of the ones behind it.)
    pub(crate) fn poll_counted_stream(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        kind: OpKind,
        want: usize,
        mut f: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let res = loop {
            let ready = ready!(self.poll_ready(cx, dir));
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(dir, ready),
                // A side seen closed (or in error) stays ready: its next call returns at once
                // (end of stream, the error), and no new event would come to say so.
                Ok(n) if n > 0 && n < want && ready.bits() & SETTLED == 0 => {
                    self.clear(dir, ready);
                    break Ok(n);
                }
                res => break res,
            }
        };
        self.handle
            .stats()
            .sync_op(kind, res.as_ref().map(|n| *n).map_err(|_| ()));
        Poll::Ready(res)
    }

    /// Like [`Registration::poll_io`], counting the call as an operation of `kind` that moved
    /// the bytes `f` returns.
    pub(crate) fn poll_counted(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        kind: OpKind,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let res = ready!(self.poll_io(cx, dir, f));
        self.handle
            .stats()
            .sync_op(kind, res.as_ref().map(|n| *n).map_err(|_| ()));
        Poll::Ready(res)
    }

    /// Awaits readiness for `dir` and runs `f`, retrying after `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        dir: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(cx, dir, &mut f)).await
    }
}

#[cfg(target_os = "linux")]
fn poll_uring_side(
    side: &mut UringSide,
    ring: &Arc<super::uring::Uring>,
    fd: RawFd,
    dir: Direction,
    cx: &mut Context<'_>,
) -> Poll<Seen> {
    loop {
        if side.ready != 0 {
            return Poll::Ready(Seen::Uring(side.ready));
        }
        if side.op.is_none() {
            let mask = match dir {
                Direction::Read => libc::POLLIN | libc::POLLRDHUP,
                Direction::Write => libc::POLLOUT,
            } as u32;
            let entry = io_uring::opcode::PollAdd::new(io_uring::types::Fd(fd), mask).build();
            match Op::submit(ring, OpKind::Poll, (), |_| entry) {
                Ok(op) => side.op = Some(op),
                // The driver is gone: report ready so the system call surfaces the state.
                Err(_) => return Poll::Ready(Seen::Uring(dir.mask())),
            }
        }
        // Every waiting task joins the list; the op holds the list's waker.
        let waker = side.waiters.join(cx.waker());
        let op = side.op.as_mut().expect("armed above");
        let (cqe, ()) = ready!(op.poll_complete(&mut Context::from_waker(waker)));
        side.op = None;
        side.ready = poll_bits(cqe.result, dir);
    }
}

/// The driver's readiness bits for a `POLL_ADD` result (the events, or a negative errno) on
/// side `dir`; never empty (a completion means the side is worth a try).
#[cfg(target_os = "linux")]
fn poll_bits(result: i32, dir: Direction) -> usize {
    use super::poll::{ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};
    if result < 0 {
        return dir.mask();
    }
    let events = [
        (libc::POLLIN, READABLE),
        (libc::POLLOUT, WRITABLE),
        (libc::POLLRDHUP, READ_CLOSED),
        (libc::POLLHUP, READ_CLOSED | WRITE_CLOSED),
        (libc::POLLERR, ERROR),
    ];
    let bits = events
        .iter()
        .filter(|(ev, _)| result & i32::from(*ev) != 0)
        .fold(0, |b, (_, bit)| b | bit)
        & dir.mask();
    match bits {
        0 => dir.mask() & (READABLE | WRITABLE),
        bits => bits,
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let (Inner::Poll { token, .. }, IoHandle::Poll(r)) = (&self.inner, &self.handle) {
            r.deregister(&mut mio::unix::SourceFd(&self.fd), *token);
        }
    }
}
