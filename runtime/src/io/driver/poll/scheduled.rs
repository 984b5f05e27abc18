//! [`ScheduledIo`]: the readiness of one registered source and the tasks waiting on it.
//!
//! # Protocol
//! `readiness` packs the ready bits (low 16) with a tick (high bits) that the reactor bumps on
//! every event. A task that saw readiness, did its system call and got `WouldBlock` clears the
//! bits it saw, but only if the tick is still the one it saw: an event that arrived in between is
//! never erased. Wakers are stored under the mutex, and readiness is checked again after storing,
//! so an event between the first check and the store cannot be missed.
//!
//! Each side keeps every task waiting on it (several tasks may share a socket, as with an
//! `Arc<UdpSocket>`), and an event wakes them all; a task is kept once however often it polls.
//! A task that stops waiting (its future dropped) stays listed until the next event on that side
//! wakes it for nothing.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Mutex;
use std::task::{Context, Poll, Waker};

pub(crate) const READABLE: usize = 1;
pub(crate) const WRITABLE: usize = 2;
pub(crate) const READ_CLOSED: usize = 4;
pub(crate) const WRITE_CLOSED: usize = 8;
pub(crate) const ERROR: usize = 16;
/// Every readiness bit.
pub(crate) const ALL: usize = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR;
const BITS: usize = 0xffff;
const TICK: usize = 1 << 16;

/// Which side of a source a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The bits that wake this side.
    pub(crate) fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// Readiness seen by a task: the bits and the tick they were read at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    pub(crate) bits: usize,
    tick: usize,
}

#[derive(Default)]
struct Waiters {
    readers: WakerList,
    writers: WakerList,
}

/// The tasks waiting on one side: the first in a field of its own, so the usual single waiter
/// costs no allocation; more go to a list.
#[derive(Default)]
pub(crate) struct WakerList {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl WakerList {
    /// Lists the task of `waker`, unless it is listed already.
    pub(crate) fn add(&mut self, waker: &Waker) {
        match &self.first {
            None => self.first = Some(waker.clone()),
            Some(w) if w.will_wake(waker) => {}
            Some(_) => {
                if !self.more.iter().any(|w| w.will_wake(waker)) {
                    self.more.push(waker.clone());
                }
            }
        }
    }

    /// Takes every listed waker (to wake them outside the lock).
    pub(crate) fn take(&mut self) -> WakerList {
        std::mem::take(self)
    }

    /// Wakes every task in the list.
    pub(crate) fn wake_all(self) {
        self.first
            .into_iter()
            .chain(self.more)
            .for_each(Waker::wake);
    }
}

/// One registered source.
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl Default for ScheduledIo {
    fn default() -> Self {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }
}

impl ScheduledIo {
    /// The reactor saw `bits`: record them, bump the tick and wake the sides they concern.
    pub(crate) fn set_ready(&self, bits: usize) {
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            Some(((cur & !BITS).wrapping_add(TICK)) | (cur & BITS) | bits)
        });
        let mut w = self.waiters.lock();
        let readers = (bits & Direction::Read.mask() != 0).then(|| w.readers.take());
        let writers = (bits & Direction::Write.mask() != 0).then(|| w.writers.take());
        drop(w);
        readers
            .into_iter()
            .chain(writers)
            .for_each(WakerList::wake_all);
    }

    /// The readiness of `dir` now, if any (nobody is registered).
    pub(crate) fn ready_now(&self, dir: Direction) -> Option<ReadyEvent> {
        self.event(dir)
    }

    fn event(&self, dir: Direction) -> Option<ReadyEvent> {
        let cur = self.readiness.load(Acquire);
        let bits = cur & dir.mask();
        (bits != 0).then_some(ReadyEvent {
            bits,
            tick: cur & !BITS,
        })
    }

    /// Ready now, or registers the task to be woken when `dir` becomes ready.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<ReadyEvent> {
        if let Some(ev) = self.event(dir) {
            return Poll::Ready(ev);
        }
        let mut w = self.waiters.lock();
        match dir {
            Direction::Read => w.readers.add(cx.waker()),
            Direction::Write => w.writers.add(cx.waker()),
        }
        drop(w);
        match self.event(dir) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// A system call after `ev` would block: forget readiness, unless a newer event came in.
    /// Closed and error bits go too: a call that would block proves they no longer hold for
    /// this side (a closed read side reads 0, an error is returned, neither blocks).
    pub(crate) fn clear(&self, ev: ReadyEvent) {
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            (cur & !BITS == ev.tick).then_some(cur & !ev.bits)
        });
    }

    /// Wakes every waiting task without changing readiness (the driver is shutting down).
    pub(crate) fn wake_all(&self) {
        let mut w = self.waiters.lock();
        let (r, wr) = (w.readers.take(), w.writers.take());
        drop(w);
        r.wake_all();
        wr.wake_all();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::Ordering::SeqCst;
    use crate::loom::sync::Arc;
    use crate::sync::tests::support::counting_waker;

    /// A task that finds the source not ready is woken by the event that makes it ready.
    #[test]
    fn readiness_after_pending_always_wakes() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::default());
            let io2 = io.clone();
            let t = loom::thread::spawn(move || io2.set_ready(READABLE));
            let (waker, count) = counting_waker();
            let pending = io
                .poll_ready(&mut Context::from_waker(&waker), Direction::Read)
                .is_pending();
            t.join().unwrap();
            if pending {
                assert_eq!(count.count(), 1);
            }
        });
    }

    /// Two tasks waiting on the same side (a shared socket) are both woken by the event.
    #[test]
    fn every_task_waiting_on_a_side_is_woken() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::default());
            let io2 = io.clone();
            let t = loom::thread::spawn(move || io2.set_ready(READABLE));
            let wakers: Vec<_> = (0..2).map(|_| counting_waker()).collect();
            let pending: Vec<bool> = wakers
                .iter()
                .map(|(waker, _)| {
                    io.poll_ready(&mut Context::from_waker(waker), Direction::Read)
                        .is_pending()
                })
                .collect();
            t.join().unwrap();
            for ((_, count), pending) in wakers.iter().zip(pending) {
                if pending {
                    assert_eq!(count.count(), 1);
                }
            }
        });
    }

    /// Clearing what a task saw never erases an event that arrived after it looked.
    #[test]
    fn clear_keeps_a_newer_event() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::default());
            io.set_ready(READABLE);
            let io2 = io.clone();
            let t = loom::thread::spawn(move || io2.set_ready(READABLE));
            let waker = std::task::Waker::noop();
            let Poll::Ready(ev) = io.poll_ready(&mut Context::from_waker(waker), Direction::Read)
            else {
                panic!("readable before the race");
            };
            io.clear(ev);
            t.join().unwrap();
            let cur = io.readiness.load(SeqCst);
            assert!(cur & READABLE != 0 || cur & !BITS == ev.tick);
        });
    }
}
