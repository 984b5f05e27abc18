//! The readiness backend: `mio` (epoll) with edge-triggered registrations.

use super::scheduled::{ScheduledIo, ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};
use crate::runtime::metrics::IoStats;
use mio::{event::Source, Events, Interest, Poll, Registry, Token, Waker};
use std::io;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAKE_TOKEN: Token = Token(usize::MAX);
const EVENTS: usize = 1024;

/// Registered sources by slot. A token is `generation << 32 | slot`: a slot is reused by later
/// registrations, and an event still queued for the old source must not reach the new one
/// (its closed and error bits are sticky).
#[derive(Default)]
struct Slab {
    entries: Vec<(u32, Option<Arc<ScheduledIo>>)>,
    free: Vec<usize>,
}

impl Slab {
    fn get(&self, token: usize) -> Option<&Arc<ScheduledIo>> {
        let (generation, io) = self.entries.get(token & 0xffff_ffff)?;
        (*generation as usize == token >> 32).then_some(io.as_ref()?)
    }
}

/// A runtime's epoll instance and the sources registered with it.
pub(crate) struct Reactor {
    poll: Mutex<(Poll, Events)>,
    registry: Registry,
    waker: Waker,
    sources: Mutex<Slab>,
    /// Sources registered now (a hint read without the lock: with none, a busy worker's
    /// frequent I/O check skips the system call; see [`Reactor::poll_now`]).
    registered: AtomicUsize,
    /// The driver owner is (about to be) asleep in `park`.
    parked: std::sync::atomic::AtomicBool,
    stats: Arc<IoStats>,
}

impl Reactor {
    pub(crate) fn new(stats: Arc<IoStats>) -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(poll.registry(), WAKE_TOKEN)?;
        Ok(Reactor {
            poll: Mutex::new((poll, Events::with_capacity(EVENTS))),
            registry,
            waker,
            sources: Mutex::new(Slab::default()),
            registered: AtomicUsize::new(0),
            parked: std::sync::atomic::AtomicBool::new(false),
            stats,
        })
    }

    pub(crate) fn stats(&self) -> &IoStats {
        &self.stats
    }

    /// Registers `source` for reads and writes (edge-triggered); returns its token and state.
    pub(crate) fn register(
        &self,
        source: &mut impl Source,
    ) -> io::Result<(usize, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::default());
        let token = self.insert(io.clone());
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.registry.register(source, Token(token), interest) {
            self.remove(token);
            return Err(e);
        }
        Ok((token, io))
    }

    /// Deregisters a source registered under `token`.
    pub(crate) fn deregister(&self, source: &mut impl Source, token: usize) {
        let _ = self.registry.deregister(source);
        self.remove(token);
    }

    fn insert(&self, io: Arc<ScheduledIo>) -> usize {
        let mut s = self.sources.lock().unwrap();
        let slot = match s.free.pop() {
            Some(i) => i,
            None => {
                s.entries.push((0, None));
                s.entries.len() - 1
            }
        };
        let entry = &mut s.entries[slot];
        entry.0 = entry.0.wrapping_add(1);
        entry.1 = Some(io);
        self.registered.fetch_add(1, Relaxed);
        (entry.0 as usize) << 32 | slot
    }

    fn remove(&self, token: usize) {
        let mut s = self.sources.lock().unwrap();
        let slot = token & 0xffff_ffff;
        if s.get(token).is_some() {
            s.entries[slot].1 = None;
            s.free.push(slot);
            self.registered.fetch_sub(1, Relaxed);
        }
    }

    /// Announces that the driver owner is about to sleep in [`Reactor::park`]; see there.
    pub(crate) fn prepare_park(&self) {
        self.parked.store(true, SeqCst);
    }

    /// Waits for events (up to `timeout`) and dispatches them. If another thread is polling,
    /// returns at once: its events are in good hands. A zero-timeout poll (a busy worker's
    /// maintenance) that takes the wake-up meant for the owner about to sleep passes it on.
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        self.poll_events(timeout);
    }

    /// Whether any source is registered (one load): without, a busy worker's frequent I/O
    /// check is skipped.
    pub(crate) fn has_io(&self) -> bool {
        self.registered.load(Relaxed) > 0
    }

    /// A busy worker's frequent I/O check (between its maintenances): the events already there,
    /// without waiting (one system call). Returns how many were dispatched.
    pub(crate) fn poll_now(&self) -> usize {
        self.poll_events(Some(Duration::ZERO))
    }

    /// [`Reactor::park`]; returns how many source events were dispatched.
    fn poll_events(&self, timeout: Option<Duration>) -> usize {
        let Ok(mut guard) = self.poll.try_lock() else {
            return 0;
        };
        let (poll, events) = &mut *guard;
        let res = poll.poll(events, timeout);
        let sleeper = timeout != Some(Duration::ZERO);
        if sleeper {
            self.parked.store(false, SeqCst);
        }
        if let Err(e) = res {
            if e.kind() != io::ErrorKind::Interrupted {
                eprintln!("zokio: epoll_wait failed: {e}");
            }
            return 0;
        }
        let took_wake = events.iter().any(|e| e.token() == WAKE_TOKEN);
        if took_wake && !sleeper && self.parked.load(SeqCst) {
            self.unpark();
        }
        let sources = self.sources.lock().unwrap();
        let ready: Vec<(Arc<ScheduledIo>, usize)> = events
            .iter()
            .filter(|e| e.token() != WAKE_TOKEN)
            .filter_map(|e| {
                let io = sources.get(e.token().0)?;
                Some((io.clone(), bits_of(e)))
            })
            .collect();
        drop(sources);
        let n = ready.len();
        ready.into_iter().for_each(|(io, bits)| io.set_ready(bits));
        n
    }

    /// Wakes a thread blocked in [`Reactor::park`].
    pub(crate) fn unpark(&self) {
        let _ = self.waker.wake();
    }

    /// Runtime shutdown: wakes every waiting task so it sees the error.
    pub(crate) fn shutdown(&self) {
        let sources = self.sources.lock().unwrap();
        let all: Vec<_> = sources
            .entries
            .iter()
            .filter_map(|(_, io)| io.clone())
            .collect();
        drop(sources);
        all.iter().for_each(|io| io.wake_all());
    }
}

fn bits_of(e: &mio::event::Event) -> usize {
    let mut bits = 0;
    if e.is_readable() {
        bits |= READABLE;
    }
    if e.is_writable() {
        bits |= WRITABLE;
    }
    if e.is_read_closed() {
        bits |= READ_CLOSED;
    }
    if e.is_write_closed() {
        bits |= WRITE_CLOSED;
    }
    if e.is_error() {
        bits |= ERROR;
    }
    bits
}
