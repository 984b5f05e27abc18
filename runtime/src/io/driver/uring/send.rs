//! [`SendCell`]: a stream's send operation, made at its first send and reused by every send
//! after it.
//!
//! A stream has at most one send in flight (see `stream.rs`). A fresh [`Op`](super::Op) per
//! send cost an allocation and its free, a mutex taken by the reaper and again by the stream,
//! and reference counts moved on every send; this cell is made once per stream and what a send
//! costs beyond the ring's own bookkeeping is the [`Handoff`] below.
//!
//! # Protocol
//! The stream (under its write lock: one thread at a time) owns the buffer and the submission
//! stamp while no send is in flight. It marks the handoff started, then enters the cell in the
//! ring's operation table and queues the entry: from then on the kernel reads the buffer. The
//! reaper that dispatches the completion records the result in the handoff (one `Release`
//! store) and takes the waker registered there; the stream looks at the handoff (`Acquire`)
//! before it touches the buffer again, so the kernel's reads and the reaper's work happen before
//! its own. The table's reference keeps the cell (and with it the buffer and the descriptor)
//! alive until the completion, even when the stream is dropped first.

use super::op::{timed, Completion, Cqe};
use super::ring::Uring;
use crate::io::driver::OpKind;
use crate::loom::sync::atomic::{AtomicU64, Ordering::*};
use crate::sync::atomic_waker::AtomicWaker;
use std::cell::UnsafeCell;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Instant;

/// The handoff word's tag (bits 32..): no send, a send in flight, a send completed (its result
/// in the low 32 bits).
const IDLE: u64 = 0;
const IN_FLIGHT: u64 = 1 << 32;
const DONE: u64 = 2 << 32;
const TAG: u64 = !0xffff_ffff;

/// The completion of one send at a time, passed from the reaper to the stream: a state word and
/// the stream's waker. Only the stream starts and takes (one thread at a time); any thread
/// finishes.
pub(crate) struct Handoff {
    word: AtomicU64,
    waker: AtomicWaker,
}

impl Handoff {
    pub(crate) fn new() -> Handoff {
        Handoff {
            word: AtomicU64::new(IDLE),
            waker: AtomicWaker::new(),
        }
    }

    /// A send is about to be submitted (the ring's queue, which the reaper reads after the
    /// kernel, orders this store before [`Handoff::finish`]).
    pub(crate) fn start(&self) {
        self.word.store(IN_FLIGHT, Relaxed);
    }

    /// The submission failed: nothing is in flight.
    pub(crate) fn abandon(&self) {
        self.word.store(IDLE, Relaxed);
    }

    /// The kernel's result `res` for the send in flight; returns the waker to wake.
    pub(crate) fn finish(&self, res: i32) -> Option<Waker> {
        self.word.store(DONE | u64::from(res as u32), Release);
        self.waker.take()
    }

    /// The result of the send in flight once it has completed (the handoff is then idle
    /// again); else `Pending`, with `waker` (if any) registered to be woken by the completion.
    pub(crate) fn poll_take(&self, waker: Option<&Waker>) -> Poll<i32> {
        let mut word = self.word.load(Acquire);
        if word & TAG != DONE {
            let Some(waker) = waker else {
                return Poll::Pending;
            };
            self.waker.register(waker);
            // The completion may have come before the registration: look again (the reaper
            // stores before it takes the waker, so one of the two sees the other).
            word = self.word.load(Acquire);
            if word & TAG != DONE {
                return Poll::Pending;
            }
        }
        self.word.store(IDLE, Relaxed);
        Poll::Ready(word as u32 as i32)
    }
}

/// What the stream sends: the bytes accepted and how many of them have gone out.
pub(crate) struct SendBuf {
    pub(crate) bytes: Vec<u8>,
    pub(crate) done: usize,
}

/// A stream's send operation (see the module's protocol).
pub(crate) struct SendCell {
    handoff: Handoff,
    /// When the send in flight was submitted, if it is one of the timed ones.
    submitted_at: UnsafeCell<Option<Instant>>,
    buf: UnsafeCell<SendBuf>,
    /// Keeps the descriptor open while a send outlives its stream.
    _fd: Arc<OwnedFd>,
}

// SAFETY: `submitted_at` and `buf` are touched by the stream (one thread at a time, under its
// write lock) only while no send is in flight, and by the kernel and the reaper only while one
// is; the handoff and the op table's lock order the two (module protocol).
unsafe impl Sync for SendCell {}
// SAFETY: as above; every field is `Send`.
unsafe impl Send for SendCell {}

impl SendCell {
    pub(crate) fn new(fd: Arc<OwnedFd>) -> SendCell {
        SendCell {
            handoff: Handoff::new(),
            submitted_at: UnsafeCell::new(None),
            buf: UnsafeCell::new(SendBuf {
                bytes: Vec::new(),
                done: 0,
            }),
            _fd: fd,
        }
    }

    /// The buffer, for the stream to fill or account.
    ///
    /// # Safety
    /// No send may be in flight (its result taken since the last [`SendCell::submit`]), and the
    /// caller must hold the stream's write lock.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn buf(&self) -> &mut SendBuf {
        // SAFETY: the caller's contract: nobody else touches the buffer now.
        unsafe { &mut *self.buf.get() }
    }

    /// Submits the buffer's unsent bytes to `ring` on socket `fd`.
    ///
    /// # Safety
    /// As for [`SendCell::buf`]; after `Ok` the buffer is the kernel's until the result is
    /// taken.
    pub(crate) unsafe fn submit(
        self: &Arc<Self>,
        ring: &Uring,
        fd: io_uring::types::Fd,
    ) -> std::io::Result<()> {
        // SAFETY: the caller's contract: no send in flight, the write lock held.
        let (buf, at) = unsafe { (&*self.buf.get(), &mut *self.submitted_at.get()) };
        *at = (ring.timing() && timed()).then(Instant::now);
        let rest = &buf.bytes[buf.done..];
        let entry = io_uring::opcode::Send::new(fd, rest.as_ptr(), rest.len() as u32)
            .flags(libc::MSG_NOSIGNAL)
            .build();
        self.handoff.start();
        let cell: Arc<dyn Completion> = self.clone();
        ring.submit_op(&entry, OpKind::Write, cell)
            .map(drop)
            .inspect_err(|_| self.handoff.abandon())
    }

    /// The send's result once it has completed; see [`Handoff::poll_take`].
    pub(crate) fn poll_take(&self, waker: Option<&Waker>) -> Poll<i32> {
        self.handoff.poll_take(waker)
    }
}

impl Completion for SendCell {
    fn complete(&self, cqe: Cqe, ring: &Uring) -> Option<Waker> {
        // SAFETY: the send is in flight: the stream does not touch the stamp, and the table's
        // lock, taken by the submitter after it wrote the stamp and by us before this call,
        // orders that write before this read.
        let at = unsafe { *self.submitted_at.get() };
        let latency = at.map(|t| t.elapsed().as_nanos() as u64);
        ring.count_completion(OpKind::Write, cqe.result, latency);
        ring.count_finished(OpKind::Write);
        self.handoff.finish(cqe.result)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::counting_waker;

    #[test]
    fn the_result_is_taken_once_and_the_waiting_stream_woken_once() {
        let h = Handoff::new();
        let (w, counter) = counting_waker();
        let count = || counter.count();
        h.start();
        assert_eq!(h.poll_take(None), Poll::Pending);
        assert_eq!(h.poll_take(Some(&w)), Poll::Pending);
        assert!(h.finish(-libc::EPIPE).map(Waker::wake).is_some());
        assert_eq!(count(), 1);
        assert_eq!(h.poll_take(None), Poll::Ready(-libc::EPIPE));
        // Idle again: nothing to take until the next send completes.
        assert_eq!(h.poll_take(None), Poll::Pending);
        h.start();
        assert!(h.finish(64).is_none(), "nobody registered for this one");
        assert_eq!(h.poll_take(Some(&w)), Poll::Ready(64));
        assert_eq!(count(), 1);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::tests::support::counting_waker;

    /// A stream waiting for its send, and the reaper completing it on another thread: the
    /// stream either takes the result at once or is woken exactly once, and then takes it.
    #[test]
    fn a_waiting_stream_gets_the_result_or_a_wake() {
        loom::model(|| {
            let h = crate::loom::sync::Arc::new(Handoff::new());
            h.start();
            let h2 = h.clone();
            let reaper = loom::thread::spawn(move || {
                if let Some(w) = h2.finish(7) {
                    w.wake();
                }
            });
            let (waker, count) = counting_waker();
            let first = h.poll_take(Some(&waker));
            reaper.join().unwrap();
            match first {
                Poll::Ready(res) => assert_eq!(res, 7),
                Poll::Pending => {
                    assert_eq!(count.count(), 1);
                    assert_eq!(h.poll_take(None), Poll::Ready(7));
                }
            }
            assert_eq!(h.poll_take(None), Poll::Pending);
        });
    }
}
