//! One io_uring operation in flight: [`Op`], the future side, and [`OpCell`], the shared cell the
//! kernel's completion lands in.
//!
//! # Protocol
//! The cell is reference counted. Submitting an operation turns one reference into the SQE's
//! `user_data` (a pointer to the cell's [`OpHeader`]); that reference belongs to the kernel and is
//! released by the driver when the operation's last completion arrives (a completion without
//! `IORING_CQE_F_MORE`). The other reference is the [`Op`]. Everything the kernel may touch
//! (buffers, addresses, the descriptor) lives in the cell's `data`, so it outlives the operation
//! even when the `Op` is dropped first: such an operation is *orphaned*: the driver asks the
//! kernel to cancel it, and when its completion arrives the data's [`OpData::orphaned`] hook
//! releases what the result created (an accepted or opened descriptor is closed), then the cell
//! is freed. Fields behind the mutex are touched by the `Op` owner and the reaping thread only
//! under the lock; `data` is moved out only once the final completion has been recorded.

use super::ring::Uring;
use crate::io::driver::OpKind;
use std::collections::VecDeque;
use std::io;
use std::ptr::NonNull;
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

/// The start of every cell: what the driver needs to dispatch a completion by pointer.
#[repr(C)]
pub(crate) struct OpHeader {
    complete: unsafe fn(NonNull<OpHeader>, Cqe, &Uring),
}

impl OpHeader {
    /// The completion function of the cell this header starts.
    pub(super) fn complete_fn(&self) -> unsafe fn(NonNull<OpHeader>, Cqe, &Uring) {
        self.complete
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

/// The shared cell of one operation.
#[repr(C)]
pub(crate) struct OpCell<T: OpData> {
    header: OpHeader,
    kind: OpKind,
    submitted_at: Option<Instant>,
    slot: Mutex<Slot<T>>,
}

impl<T: OpData> OpCell<T> {
    /// Records a completion; runs on the reaping thread.
    ///
    /// # Safety
    /// `header` must be the `user_data` of a submission of an `OpCell<T>`, whose kernel reference
    /// has not been released yet.
    unsafe fn complete(header: NonNull<OpHeader>, cqe: Cqe, ring: &Uring) {
        let ptr = header.as_ptr() as *const OpCell<T>;
        // SAFETY: the kernel's reference keeps the cell alive (caller's contract); `OpCell` is
        // `repr(C)` with the header first, so the header pointer is the cell pointer.
        let cell = unsafe { &*ptr };
        let latency = cell.submitted_at.map(|t| t.elapsed().as_nanos() as u64);
        ring.stats().completed(cell.kind, cqe.result, latency);
        let waker = cell.record(cqe);
        if !cqe.more() {
            ring.stats().finished(cell.kind);
            ring.op_finished();
            // SAFETY: this is the final completion: release the kernel's reference, which was
            // made by `Arc::into_raw` in `Op::submit`.
            drop(unsafe { Arc::from_raw(ptr) });
        }
        if let Some(w) = waker {
            w.wake();
        }
    }

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
        let cell = Arc::new(OpCell {
            header: OpHeader {
                complete: OpCell::<T>::complete,
            },
            kind,
            submitted_at: ring.timing().then(Instant::now),
            slot: Mutex::new(Slot {
                waker: None,
                first: None,
                rest: VecDeque::new(),
                finished: false,
                orphaned: false,
                data: Some(data),
            }),
        });
        let entry = build(cell.slot.lock().unwrap().data.as_mut().unwrap());
        let user_data = Arc::into_raw(cell.clone()) as u64;
        if let Err(e) = ring.push(&entry.user_data(user_data), kind) {
            // SAFETY: the entry never reached the kernel: take its reference back.
            drop(unsafe { Arc::from_raw(user_data as *const OpCell<T>) });
            return Err(e);
        }
        Ok(Op {
            cell: Some(cell),
            ring: ring.clone(),
        })
    }

    /// Waits for the next completion; `None` once a multishot operation has finished.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Cqe>> {
        let Some(cell) = &self.cell else {
            return Poll::Ready(None);
        };
        let mut slot = cell.slot.lock().unwrap();
        if let Some(cqe) = slot.first.take() {
            slot.first = slot.rest.pop_front();
            return Poll::Ready(Some(cqe));
        }
        if slot.finished {
            return Poll::Ready(None);
        }
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Waits for a single-shot operation's completion and returns it with the data.
    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<(Cqe, T)> {
        let cqe = match self.poll_next(cx) {
            Poll::Ready(Some(cqe)) => cqe,
            Poll::Ready(None) => panic!("io operation polled after it completed"),
            Poll::Pending => return Poll::Pending,
        };
        let cell = self.cell.take().expect("completed op has its cell");
        let data = cell.slot.lock().unwrap().data.take().expect("op data");
        Poll::Ready((cqe, data))
    }

    /// Whether the kernel is done with this operation (no more completions will come).
    pub(crate) fn is_finished(&self) -> bool {
        self.cell
            .as_ref()
            .is_none_or(|c| c.slot.lock().unwrap().finished)
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
        let user_data = Arc::as_ptr(&cell) as u64;
        self.ring.cancel(user_data);
    }
}
