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
    ready: bool,
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
pub(crate) enum Ready {
    Poll(ReadyEvent),
    Uring,
}

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
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<Ready> {
        match &self.inner {
            Inner::Poll { io, .. } => io.poll_ready(cx, dir).map(Ready::Poll),
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
    fn ready_now(&self, dir: Direction) -> Option<Ready> {
        match &self.inner {
            Inner::Poll { io, .. } => io.ready_now(dir).map(Ready::Poll),
            #[cfg(target_os = "linux")]
            Inner::Uring { sides } => sides[dir as usize]
                .lock()
                .unwrap()
                .ready
                .then_some(Ready::Uring),
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
        let seen = self.ready_now(dir);
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Some(ready) = seen {
                    self.clear(dir, ready);
                }
                Err(e)
            }
            res => res,
        }
    }

    /// The call made after `ready` would block: wait for the next readiness.
    pub(crate) fn clear(&self, dir: Direction, ready: Ready) {
        match (&self.inner, ready) {
            (Inner::Poll { io, .. }, Ready::Poll(ev)) => io.clear(ev),
            #[cfg(target_os = "linux")]
            (Inner::Uring { sides }, Ready::Uring) => {
                sides[dir as usize].lock().unwrap().ready = false
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
) -> Poll<Ready> {
    loop {
        if side.ready {
            return Poll::Ready(Ready::Uring);
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
                Err(_) => return Poll::Ready(Ready::Uring),
            }
        }
        // Every waiting task joins the list; the op holds the list's waker.
        let waker = side.waiters.join(cx.waker());
        let op = side.op.as_mut().expect("armed above");
        ready!(op.poll_complete(&mut Context::from_waker(waker)));
        side.op = None;
        side.ready = true;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let (Inner::Poll { token, .. }, IoHandle::Poll(r)) = (&self.inner, &self.handle) {
            r.deregister(&mut mio::unix::SourceFd(&self.fd), *token);
        }
    }
}
