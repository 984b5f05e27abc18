//! The process-wide signal table: one handler per signal number, one self-pipe, one thread.
//!
//! # Protocol
//!
//! Created once, on the first `signal()` call, and never torn down (like the handlers: a
//! registered signal keeps being caught for the life of the process).
//!
//! - **Handler** (runs in signal context; async-signal-safe): stores `pending = true` in its
//!   [`Slot`], then writes one byte to the self-pipe. The pipe is non-blocking: if it is full, a
//!   byte is already waiting, so the thread wakes anyway. It takes no lock and allocates nothing;
//!   `signal-hook-registry` saves and restores `errno` around it.
//! - **Thread** `zokio-signal`: waits for the pipe to be readable, drains it, then for each slot
//!   whose `pending` it swaps back to false: increments `generation`, and under `waiters` takes
//!   every registered waker, waking them after the lock is released.
//! - **Listener** ([`Listener`], inside a `Signal`): remembers the generation it has seen. It has a
//!   delivery when `generation` differs; then it records the new value (so several deliveries
//!   before a `recv` coalesce into one). Otherwise it stores its waker under `waiters`, checking
//!   the generation again under that lock: the thread increments before taking the lock, so
//!   either the listener sees the new generation or the thread sees the waker.
//!
//! A listener created after its handler is installed sees every delivery that happens after it
//! reads the generation; each listener counts on its own, so all of them receive every delivery.

use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
// Process-wide one-time setup: plain std (statics cannot hold loom's types; loom does not model
// signals anyway).
use std::sync::{Mutex as InitLock, OnceLock};
use std::task::{Context, Poll, Waker};

/// Signal numbers 1..SLOTS can be listened to: every Linux signal, real-time ones included.
const SLOTS: usize = 65;

/// Per-signal state; see the module docs.
struct Slot {
    pending: AtomicBool,
    generation: AtomicU64,
    /// Whether our handler is installed for this signal.
    installed: Mutex<bool>,
    /// Wakers of the listeners waiting for the next delivery, by listener key.
    waiters: Mutex<HashMap<u64, Waker>>,
}

struct Globals {
    slots: Box<[Slot]>,
    /// The pipe's write end, written by handlers.
    wake: OwnedFd,
    next_key: AtomicU64,
}

static GLOBALS: OnceLock<&'static Globals> = OnceLock::new();
static INIT: InitLock<()> = InitLock::new(());

/// One listener's view of one signal.
pub(super) struct Listener {
    slot: &'static Slot,
    key: u64,
    seen: u64,
}

impl Listener {
    /// Installs the handler for `signum` if needed and starts listening from now.
    pub(super) fn new(signum: i32) -> io::Result<Listener> {
        let g = globals()?;
        let index = slot_index(signum)?;
        install(g, index, signum)?;
        let slot = &g.slots[index];
        Ok(Listener {
            slot,
            key: g.next_key.fetch_add(1, SeqCst),
            seen: slot.generation.load(SeqCst),
        })
    }

    /// Ready once a delivery happened since the last one this listener returned.
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.take_delivery() {
            return Poll::Ready(());
        }
        let mut waiters = self.slot.waiters.lock();
        if self.take_delivery() {
            return Poll::Ready(());
        }
        waiters.insert(self.key, cx.waker().clone());
        Poll::Pending
    }

    fn take_delivery(&mut self) -> bool {
        let now = self.slot.generation.load(SeqCst);
        std::mem::replace(&mut self.seen, now) != now
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.slot.waiters.lock().remove(&self.key);
    }
}

fn slot_index(signum: i32) -> io::Result<usize> {
    if signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(io::Error::other(format!(
            "refusing to listen to signal {signum}: it cannot be caught safely"
        )));
    }
    match usize::try_from(signum) {
        Ok(i) if (1..SLOTS).contains(&i) => Ok(i),
        _ => Err(io::Error::other(format!(
            "signal number {signum} is outside 1..{SLOTS}"
        ))),
    }
}

/// Installs the handler for `signum` once.
fn install(g: &'static Globals, index: usize, signum: i32) -> io::Result<()> {
    let mut installed = g.slots[index].installed.lock();
    if !*installed {
        let action = move || g.deliver(index);
        // SAFETY: `deliver` is async-signal-safe: an atomic store and a `write` to a
        // non-blocking pipe, no lock, no allocation (module docs); `signum` is not forbidden.
        unsafe { signal_hook_registry::register(signum, action) }?;
        *installed = true;
    }
    Ok(())
}

impl Globals {
    /// The handler's work (signal context).
    fn deliver(&self, index: usize) {
        self.slots[index].pending.store(true, SeqCst);
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; the fd is open for the life of the process and
        // the pointer is to one readable byte. A failure (EAGAIN: pipe full) needs no handling.
        let _ = unsafe { libc::write(self.wake.as_raw_fd(), (&byte as *const u8).cast(), 1) };
    }

    /// The thread's work after a wake-up: publishes pending deliveries and wakes listeners.
    fn dispatch(&self) {
        for slot in self.slots.iter() {
            if slot.pending.swap(false, SeqCst) {
                slot.generation.fetch_add(1, SeqCst);
                let wakers: Vec<Waker> = slot.waiters.lock().drain().map(|(_, w)| w).collect();
                wakers.into_iter().for_each(Waker::wake);
            }
        }
    }
}

/// The table, created with its pipe and thread on first use.
fn globals() -> io::Result<&'static Globals> {
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let _init = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let (read, write) = pipe()?;
    let g: &'static Globals = Box::leak(Box::new(Globals::new(write)));
    std::thread::Builder::new()
        .name("zokio-signal".into())
        .spawn(move || run(g, read))?;
    Ok(GLOBALS.get_or_init(|| g))
}

impl Globals {
    fn new(wake: OwnedFd) -> Globals {
        let slot = |_| Slot {
            pending: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            installed: Mutex::new(false),
            waiters: Mutex::new(HashMap::new()),
        };
        Globals {
            slots: (0..SLOTS).map(slot).collect(),
            wake,
            next_key: AtomicU64::new(0),
        }
    }
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` succeeded: both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The `zokio-signal` thread: forever waits for wake bytes, drains them, dispatches.
fn run(g: &'static Globals, read: OwnedFd) {
    loop {
        wait_readable(&read);
        drain(&read);
        g.dispatch();
    }
}

fn wait_readable(fd: &OwnedFd) {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `pfd` is one valid pollfd for the duration of the call. EINTR simply returns,
    // and the caller's drain and dispatch are harmless without data.
    unsafe { libc::poll(&mut pfd, 1, -1) };
}

fn drain(fd: &OwnedFd) {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: `buf` is writable for its length; the fd is open and non-blocking.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return; // empty (EAGAIN), or interrupted: the next poll tells
        }
    }
}
