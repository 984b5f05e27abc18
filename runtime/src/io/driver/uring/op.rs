//! One io_uring operation in flight: [`Op`], the future side, and [`OpCell`], the shared cell the
//! kernel's completion lands in.
//!
//! # Protocol
//! The cell is reference counted. Submitting an operation enters one reference in the ring's
//! [`OpTable`] under a key (slot index and generation) that becomes the SQE's `user_data`; that
//! reference belongs to the kernel and leaves the table with the operation's last completion (a
//! completion without `IORING_CQE_F_MORE`). The other reference is the [`Op`]. Everything the
//! kernel may touch (buffers, addresses, the descriptor) lives in the cell's `data`, so it
//! outlives the operation even when the `Op` is dropped first: such an operation is *orphaned*:
//! the driver asks the kernel to cancel it, and when its completion arrives the data's
//! [`OpData::orphaned`] hook releases what the result created (an accepted or opened descriptor
//! is closed), then the cell is freed. Fields behind the mutex are touched by the `Op` owner and
//! the reaping thread only under the lock; `data` is moved out only once the final completion
//! has been recorded.
//!
//! Keys are never reused while the kernel might still name them: a completion (or a
//! cancellation) carrying a key whose slot has moved on is recognised as stray and ignored,
//! never dereferenced.

use super::ring::Uring;
use crate::io::driver::OpKind;
use std::cell::Cell;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// One completion: the kernel's result (negative errno on error) and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cqe {
    pub(crate) result: i32,
    pub(crate) flags: u32,
}

impl Cqe {
    pub(crate) fn new(result: i32, flags: u32) -> Cqe {
        Cqe { result, flags }
    }

    /// The result as `io::Result`, with negative values turned into OS errors.
    pub(crate) fn into_result(self) -> io::Result<u32> {
        if self.result < 0 {
            Err(io::Error::from_raw_os_error(-self.result))
        } else {
            Ok(self.result as u32)
        }
    }

    /// Whether more completions of the same (multishot) operation will follow.
    pub(crate) fn more(self) -> bool {
        io_uring::cqueue::more(self.flags)
    }
}

/// What an operation keeps alive while the kernel may use it.
pub(crate) trait OpData: Send + 'static {
    /// Called for completions that arrive after the [`Op`] was dropped; releases what the result
    /// created (for example closes an accepted descriptor).
    fn orphaned(&mut self, _cqe: Cqe) {}
}

impl OpData for () {}
impl OpData for Vec<u8> {}

/// The part of a cell the driver calls, whatever its data type.
pub(crate) trait Completion: Send + Sync {
    /// Records a completion; returns the waker to wake (outside any lock).
    fn complete(&self, cqe: Cqe, ring: &Uring) -> Option<Waker>;
}

/// The ring's operations in flight, by key. A key is `generation << 32 | slot`.
#[derive(Default)]
pub(crate) struct OpTable {
    slots: Vec<(u32, Option<Arc<dyn Completion>>)>,
    free: Vec<u32>,
    live: usize,
}

impl OpTable {
    /// Enters the kernel's reference; returns the key for `user_data`.
    pub(crate) fn insert(&mut self, cell: Arc<dyn Completion>) -> u64 {
        let slot = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push((0, None));
                self.slots.len() - 1
            }
        };
        let entry = &mut self.slots[slot];
        entry.0 = entry.0.wrapping_add(1);
        entry.1 = Some(cell);
        self.live += 1;
        u64::from(entry.0) << 32 | slot as u64
    }

    /// The cell of `key`, taken out of the table (its last completion, or a failed
    /// submission); `None` for a stray key.
    pub(crate) fn take(&mut self, key: u64) -> Option<Arc<dyn Completion>> {
        let slot = (key & 0xffff_ffff) as usize;
        self.peek(key)?;
        self.free.push(slot as u32);
        self.live -= 1;
        self.slots[slot].1.take()
    }

    /// The cell of `key`, left in the table; `None` for a stray key. (A multishot operation's
    /// completions are dispatched through this reference, under the table's lock, rather than
    /// through a clone of the cell's `Arc` each.)
    pub(crate) fn peek(&self, key: u64) -> Option<&Arc<dyn Completion>> {
        let (gen, cell) = self.slots.get((key & 0xffff_ffff) as usize)?;
        if u64::from(*gen) != key >> 32 {
            return None;
        }
        cell.as_ref()
    }

    /// Operations whose last completion has not arrived.
    pub(crate) fn live(&self) -> usize {
        self.live
    }
}

struct Slot<T> {
    waker: Option<Waker>,
    first: Option<Cqe>,
    rest: VecDeque<Cqe>,
    finished: bool,
    orphaned: bool,
    data: Option<T>,
}

impl<T> Slot<T> {
    /// The oldest completion not yet taken.
    #[inline]
    fn take_first(&mut self) -> Option<Cqe> {
        let cqe = self.first.take()?;
        self.first = self.rest.pop_front();
        Some(cqe)
    }

    /// Keeps `waker` to wake at the next completion (unless it would wake the same task).
    #[inline]
    fn register(&mut self, waker: Option<&Waker>) {
        let Some(waker) = waker else {
            return;
        };
        match &self.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => self.waker = Some(waker.clone()),
        }
    }
}

/// The shared cell of one operation.
pub(crate) struct OpCell<T: OpData> {
    kind: OpKind,
    /// When it was submitted, for the one operation in [`LATENCY_SAMPLE`] that is timed.
    submitted_at: Option<Instant>,
    /// A completion with `F_MORE` was seen: a multishot operation, whose completions have no
    /// latency to speak of (it stays armed as long as the stream or listener lives).
    multishot: AtomicBool,
    slot: Mutex<Slot<T>>,
}

/// One operation in this many (per thread) is timed for the latency histogram: the two clock
/// reads measured 2-3 % of a small-message echo benchmark when every operation was timed.
pub(crate) const LATENCY_SAMPLE: u32 = 8;

thread_local! {
    static SUBMITTED: Cell<u32> = const { Cell::new(0) };
}

/// Whether the operation being submitted on this thread is one of the timed ones.
pub(super) fn timed() -> bool {
    SUBMITTED.with(|n| {
        let i = n.get().wrapping_add(1);
        n.set(i);
        i % LATENCY_SAMPLE == 0
    })
}

impl<T: OpData> Completion for OpCell<T> {
    fn complete(&self, cqe: Cqe, ring: &Uring) -> Option<Waker> {
        if cqe.more() {
            self.multishot.store(true, Relaxed);
        }
        let latency = match self.submitted_at {
            Some(t) if !self.multishot.load(Relaxed) => Some(t.elapsed().as_nanos() as u64),
            _ => None,
        };
        ring.count_completion(self.kind, cqe.result, latency);
        if !cqe.more() {
            ring.count_finished(self.kind);
        }
        self.record(cqe)
    }
}

impl<T: OpData> OpCell<T> {
    fn record(&self, cqe: Cqe) -> Option<Waker> {
        let mut slot = self.slot.lock().unwrap();
        slot.finished = !cqe.more();
        if slot.orphaned {
            if let Some(d) = slot.data.as_mut() {
                d.orphaned(cqe);
            }
            return None;
        }
        if slot.first.is_none() {
            slot.first = Some(cqe);
        } else {
            slot.rest.push_back(cqe);
        }
        slot.waker.take()
    }
}

/// The future side of an operation: polls for its completions and owns its data afterwards.
pub(crate) struct Op<T: OpData> {
    cell: Option<Arc<OpCell<T>>>,
    key: u64,
    ring: Arc<Uring>,
}

impl<T: OpData> Op<T> {
    /// Submits the entry `build` makes from the data (whose buffers stay where they are: the data
    /// is not moved again while the kernel may use it).
    pub(crate) fn submit(
        ring: &Arc<Uring>,
        kind: OpKind,
        data: T,
        build: impl FnOnce(&mut T) -> io_uring::squeue::Entry,
    ) -> io::Result<Op<T>> {
        let mut cell = Arc::new(OpCell {
            kind,
            submitted_at: (ring.timing() && timed()).then(Instant::now),
            multishot: AtomicBool::new(false),
            slot: Mutex::new(Slot {
                waker: None,
                first: None,
                rest: VecDeque::new(),
                finished: false,
                orphaned: false,
                data: Some(data),
            }),
        });
        // The cell is not shared yet: its data is borrowed without taking the lock (the
        // entry's addresses point into the cell's final place, which never moves).
        let fresh = Arc::get_mut(&mut cell).expect("a new cell has no other reference");
        let entry = build(fresh.slot.get_mut().unwrap().data.as_mut().unwrap());
        let key = ring.submit_op(&entry, kind, cell.clone())?;
        Ok(Op {
            cell: Some(cell),
            key,
            ring: ring.clone(),
        })
    }

    /// The ring the operation was submitted to.
    pub(crate) fn ring(&self) -> &Arc<Uring> {
        &self.ring
    }

    /// Waits for the next completion; `None` once a multishot operation has finished.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Cqe>> {
        self.next(Some(cx.waker()))
    }

    /// Waits for a single-shot operation's completion and returns it with the data (one
    /// acquisition of the cell's lock for both).
    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<(Cqe, T)> {
        self.complete(Some(cx.waker()))
    }

    /// Like [`Op::poll_next`] without waiting: a completion already recorded, `Ready(None)` once
    /// a multishot operation has finished, else `Pending`, with nobody registered to be woken (a
    /// task waiting on the operation keeps its registration).
    pub(crate) fn try_next(&mut self) -> Poll<Option<Cqe>> {
        self.next(None)
    }

    /// A single-shot operation's completion and data if it has completed, without waiting
    /// (see [`Op::try_next`]).
    pub(crate) fn try_complete(&mut self) -> Option<(Cqe, T)> {
        match self.complete(None) {
            Poll::Ready(done) => Some(done),
            Poll::Pending => None,
        }
    }

    /// The next completion, or `Pending` after registering `waker` (if any) to be woken.
    #[inline]
    fn next(&mut self, waker: Option<&Waker>) -> Poll<Option<Cqe>> {
        let Some(cell) = &self.cell else {
            return Poll::Ready(None);
        };
        let mut slot = cell.slot.lock().unwrap();
        if let Some(cqe) = slot.take_first() {
            return Poll::Ready(Some(cqe));
        }
        if slot.finished {
            return Poll::Ready(None);
        }
        slot.register(waker);
        Poll::Pending
    }

    /// A single-shot operation's completion and data, or `Pending` after registering `waker`
    /// (if any).
    #[inline]
    fn complete(&mut self, waker: Option<&Waker>) -> Poll<(Cqe, T)> {
        let Some(cell) = &self.cell else {
            panic!("io operation polled after it completed")
        };
        let mut slot = cell.slot.lock().unwrap();
        let Some(cqe) = slot.take_first() else {
            assert!(!slot.finished, "io operation polled after it completed");
            slot.register(waker);
            return Poll::Pending;
        };
        let data = slot.data.take().expect("op data");
        drop(slot);
        self.cell = None;
        Poll::Ready((cqe, data))
    }

    /// The data, if the kernel is done with it.
    pub(crate) fn take_data(&mut self) -> Option<T> {
        let cell = self.cell.as_ref()?;
        let mut slot = cell.slot.lock().unwrap();
        if slot.finished {
            slot.data.take()
        } else {
            None
        }
    }
}

impl<T: OpData> Op<T> {
    /// Lets the operation run to completion without anyone waiting (a write-behind send whose
    /// stream was dropped): no cancellation; the data is freed with the last completion.
    pub(crate) fn detach(mut self) {
        if let Some(cell) = self.cell.take() {
            let mut slot = cell.slot.lock().unwrap();
            slot.orphaned = true;
            slot.waker = None;
        }
    }
}

impl<T: OpData> Drop for Op<T> {
    fn drop(&mut self) {
        let Some(cell) = self.cell.take() else {
            return;
        };
        let mut slot = cell.slot.lock().unwrap();
        // Completions recorded but never taken: let the data release what they made.
        let queued: Vec<Cqe> = slot
            .first
            .take()
            .into_iter()
            .chain(slot.rest.drain(..))
            .collect();
        if let Some(d) = slot.data.as_mut() {
            queued.into_iter().for_each(|c| d.orphaned(c));
        }
        if slot.finished {
            return;
        }
        slot.orphaned = true;
        slot.waker = None;
        drop(slot);
        self.ring.cancel(self.key);
    }
}
