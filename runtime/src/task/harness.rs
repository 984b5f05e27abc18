//! The vtable functions: polling, completing, cancelling, reading the output and freeing a cell.
//! Each follows the protocol of `state.rs`; the comments name the bit that grants each access.

use super::id::IdGuard;
use super::raw::{Cell, Header, RawTask, Stage};
use super::span::Outcome;
use super::state::{TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{JoinError, Notified, Schedule, Task};
use crate::runtime::metrics::{timed_task_poll, timed_task_poll_ended, PollWorker, Telemetry};
use std::future::Future;
use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// The telemetry of one task poll: the task-table slot and the worker's current-poll words.
struct PollWatch<'a> {
    tel: Option<(&'a Telemetry, PollWorker<'a>)>,
    slot: u32,
    task: u64,
    started: Option<Instant>,
}

impl<'a> PollWatch<'a> {
    #[inline(always)]
    fn start(header: &Header, tel: Option<&'a Telemetry>) -> PollWatch<'a> {
        let Some(t) = tel else {
            return PollWatch {
                tel: None,
                slot: 0,
                task: 0,
                started: None,
            };
        };
        let task = header.id.as_u64();
        let w = t.poll_worker_here();
        // We hold RUNNING: the only writer of the slot field.
        let kept = header.tel_slot.load(Relaxed);
        let slot = t.first_poll(kept, task, w.index, header.location);
        if slot != kept {
            header.tel_slot.store(slot, Relaxed);
        }
        // We hold RUNNING: no waker stamps the task until this poll has ended, so a load and
        // a store take the stamp (no read-modify-write).
        let woken_ns = match header.woken_ns.load(Relaxed) {
            0 => 0,
            ns => {
                header.woken_ns.store(0, Relaxed);
                ns
            }
        };
        t.task_poll_started(slot, task, w, woken_ns);
        PollWatch {
            tel: Some((t, w)),
            slot,
            task,
            started: timed_task_poll(),
        }
    }

    /// How long a timed poll took (handed to the worker's sampler as well); `None` for the
    /// others.
    #[inline]
    fn elapsed_ns(&self) -> Option<u64> {
        let start = self.started?;
        let ns = start.elapsed().as_nanos() as u64;
        timed_task_poll_ended(start, ns);
        Some(ns)
    }

    /// The poll completed the task (whose slot is already released); `panicked` if it ended
    /// in a panic.
    #[inline(always)]
    fn completed(self, panicked: bool) {
        if let Some((t, w)) = self.tel {
            let ns = self.elapsed_ns();
            t.task_poll_ended(0, self.task, w, false, ns);
            t.ev_complete(w.index, self.task, panicked, false);
        }
    }

    /// The poll returned `Pending`; the task still holds RUNNING. Its record is written now:
    /// once the task leaves RUNNING, a waker may schedule it and write its state.
    #[inline(always)]
    fn returned_pending(&self) {
        if let Some((t, w)) = self.tel {
            t.task_poll_ending(self.slot, self.task, w, self.elapsed_ns());
        }
    }

    /// After the task left RUNNING (`notified`: it was woken meanwhile and runs again, queued
    /// by the caller after this; `lost`: it left no waker anywhere, so nothing can wake it
    /// again).
    #[inline(always)]
    fn end(self, notified: bool, lost: bool) {
        if let Some((t, w)) = self.tel {
            if notified {
                t.task_poll_notified(self.slot, self.task, w.index, self.started.is_some());
            }
            if lost {
                t.lost_waker(self.slot, self.task, w.index);
            }
        }
    }
}

/// # Safety
/// `ptr` heads a live `Cell<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the caller's contract; `Cell` is `repr(C)` with the header first.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

/// # Safety
/// The caller owns one queue reference of a `Cell<F, S>`.
pub(super) unsafe fn poll<F, S>(ptr: NonNull<Header>) -> bool
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the queue reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        TransitionToRunning::Success => {}
        TransitionToRunning::Cancelled => {
            // SAFETY: we hold RUNNING.
            unsafe { cancel_and_complete::<F, S>(ptr, 1, true) };
            return true;
        }
        TransitionToRunning::Failed { dealloc: last } => {
            if last {
                // SAFETY: that was the last reference.
                unsafe { dealloc::<F, S>(ptr) };
            }
            return false;
        }
    }
    let waker = waker_ref(ptr);
    let mut cx = Context::from_waker(&waker);
    let watch = PollWatch::start(&cell.header, cell.core.scheduler.telemetry());
    // SAFETY: we hold RUNNING, which grants the stage.
    if let Some(panicked) = unsafe { poll_and_store(cell, &mut cx) } {
        if let (true, Some((t, _))) = (panicked, watch.tel) {
            t.task_panicked();
        }
        let outcome = if panicked {
            Outcome::Panic
        } else {
            Outcome::Ok
        };
        // SAFETY: we hold RUNNING and the poll's span guard is gone.
        unsafe { cell.trailer.span.close(&cell.header.span, outcome) };
        // SAFETY: we hold RUNNING and one queue reference.
        unsafe { complete::<F, S>(ptr, 1) };
        watch.completed(panicked);
        return true;
    }
    watch.returned_pending();
    let transition = cell.header.state.transition_to_idle();
    // The slot is still ours where the transition leaves the task to us: woken meanwhile (we
    // queue it below), cancelled (we complete it), or with no waker left (nothing can schedule
    // it). A task that left no waker behind is a lost waker; one an `AbortHandle` could still
    // cancel is not counted.
    let (notified, lost) = match transition {
        TransitionToIdle::OkNotified => (true, false),
        TransitionToIdle::Ok { dealloc, no_waker } => (false, no_waker && !dealloc),
        TransitionToIdle::Cancelled => (false, false),
    };
    watch.end(notified, lost);
    match transition {
        TransitionToIdle::Ok { dealloc: last, .. } => {
            if last {
                // SAFETY: that was the last reference.
                unsafe { self::dealloc::<F, S>(ptr) };
            }
            false
        }
        TransitionToIdle::OkNotified => {
            // The reference we held becomes the new queue entry's.
            cell.core
                .scheduler
                .yield_now(Notified::from_raw(RawTask::from_raw(ptr)));
            false
        }
        TransitionToIdle::Cancelled => {
            // SAFETY: we still hold RUNNING.
            unsafe { cancel_and_complete::<F, S>(ptr, 1, true) };
            true
        }
    }
}

/// Polls the future inside the task's span (if it has one) and stores its output if it is ready:
/// `Some(panicked)` if it is, `None` if it returned `Pending`.
///
/// # Safety
/// The caller holds `RUNNING`.
unsafe fn poll_and_store<F: Future, S>(cell: &Cell<F, S>, cx: &mut Context<'_>) -> Option<bool> {
    // SAFETY: we hold RUNNING; the guard is dropped when this returns, before any `close`.
    let _span = unsafe { cell.trailer.span.enter_poll(&cell.header.span) };
    // SAFETY: we hold RUNNING, which grants the stage.
    let out = match unsafe { poll_future(cell, cx) } {
        Poll::Ready(out) => out,
        Poll::Pending => return None,
    };
    let panicked = out.is_err();
    // SAFETY: as above.
    unsafe { cell.core.stage.with_mut(|s| *s = Stage::Finished(out)) };
    Some(panicked)
}

/// Polls the future, catching a panic (and a panic from dropping the future after it).
///
/// # Safety
/// The caller holds `RUNNING`.
unsafe fn poll_future<F: Future, S>(
    cell: &Cell<F, S>,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, JoinError>> {
    let id = cell.header.id;
    let _id = IdGuard::enter(id);
    let res = catch_unwind(AssertUnwindSafe(|| {
        cell.core.stage.with_mut(|stage| {
            // SAFETY: RUNNING grants exclusive access to the stage; the cell is never moved, so
            // the future is pinned.
            let Stage::Running(fut) = (unsafe { &mut *stage }) else {
                unreachable!("polled a task that is not running")
            };
            // SAFETY: as above.
            unsafe { Pin::new_unchecked(fut) }.poll(cx)
        })
    }));
    match res {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
        Err(payload) => {
            // SAFETY: we hold RUNNING; dropping the panicked future.
            unsafe { drop_stage(cell) };
            Poll::Ready(Err(JoinError::panic(id, payload)))
        }
    }
}

/// Replaces the stage with `Consumed`, dropping the future or output; a panic in that drop is
/// swallowed (it has nowhere to go).
///
/// # Safety
/// The caller has exclusive access to the stage.
unsafe fn drop_stage<F: Future, S>(cell: &Cell<F, S>) {
    let _id = IdGuard::enter(cell.header.id);
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller's contract.
        cell.core
            .stage
            .with_mut(|s| unsafe { *s = Stage::Consumed });
    }));
}

/// Drops the future and completes with a cancellation error (`in_poll`: in place of a poll, so
/// the worker counts it as completed).
///
/// # Safety
/// The caller holds `RUNNING` and `refs` references that `complete` releases.
unsafe fn cancel_and_complete<F, S>(ptr: NonNull<Header>, refs: usize, in_poll: bool)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller's contract.
    let cell = unsafe { cell::<F, S>(ptr) };
    if let Some(tel) = cell.core.scheduler.telemetry() {
        let kept = cell.header.tel_slot.load(Relaxed);
        tel.ev_cancelled(cell.header.id.as_u64(), in_poll, kept, cell.header.location);
    }
    {
        // The future's drop runs inside the task's span, like its polls.
        // SAFETY: the caller holds RUNNING; the guard is dropped before `close`.
        let _span = unsafe { cell.trailer.span.enter_cancel(&cell.header.span) };
        // SAFETY: RUNNING grants the stage.
        unsafe { drop_stage(cell) };
    }
    let err = Err(JoinError::cancelled(cell.header.id));
    // SAFETY: as above.
    unsafe { cell.core.stage.with_mut(|s| *s = Stage::Finished(err)) };
    // SAFETY: the caller holds RUNNING and no span guard lives.
    unsafe {
        cell.trailer
            .span
            .close(&cell.header.span, Outcome::Cancelled)
    };
    // SAFETY: the caller's contract.
    unsafe { complete::<F, S>(ptr, refs) };
}

/// Publishes completion, notifies the `JoinHandle`, leaves the owned list, drops references.
///
/// # Safety
/// The caller holds `RUNNING`, the output is stored, and it owns `refs` references.
unsafe fn complete<F, S>(ptr: NonNull<Header>, refs: usize)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller's contract.
    let cell = unsafe { cell::<F, S>(ptr) };
    let prev = cell.header.state.transition_to_complete();
    if !prev.is_join_interested() {
        // Nobody will read the output: we own the stage now.
        // SAFETY: COMPLETE without JOIN_INTEREST leaves the stage to the completer.
        unsafe { drop_stage(cell) };
    } else if prev.is_join_waker_set() {
        cell.trailer.waker.with(|w| {
            // SAFETY: JOIN_WAKER set grants the completer read access to the slot.
            if let Some(w) = unsafe { &*w } {
                w.wake_by_ref();
            }
        });
        let prev = cell.header.state.unset_waker_after_complete();
        if !prev.is_join_interested() {
            // The handle left meanwhile: the slot is ours to clear.
            // SAFETY: both bits are now clear, so nobody else touches the slot.
            cell.trailer.waker.with_mut(|w| unsafe { *w = None });
        }
    }
    if let Some(tel) = cell.core.scheduler.telemetry() {
        // RUNNING makes us the only writer of the slot field: no read-modify-write needed.
        let slot = cell.header.tel_slot.load(Relaxed);
        if slot != 0 {
            cell.header.tel_slot.store(0, Relaxed);
            tel.task_released(slot);
        }
    }
    let task = Task::<S>::from_raw(RawTask::from_raw(ptr));
    let released = cell.core.scheduler.release(&task);
    mem::forget(task);
    let total = refs + usize::from(released.is_some());
    if let Some(t) = released {
        mem::forget(t);
    }
    let last = match total {
        1 => cell.header.state.ref_dec(),
        _ => cell.header.state.ref_dec_twice(),
    };
    if last {
        // SAFETY: that was the last reference.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

/// # Safety
/// The caller gives up one reference to a `Cell<F, S>` as a queue entry.
pub(super) unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // Woken from idle: the task's record shows it scheduled from now, and a timed wake leaves
    // its stamp for the poll to time the delay. Both before the task is queued (until then we
    // are the slot's only writer; the queue's hand-over publishes them to the poller).
    if let Some(t) = cell.core.scheduler.telemetry() {
        match t.task_woken(cell.header.tel_slot.load(Relaxed)) {
            0 => {}
            stamp => cell.header.woken_ns.store(stamp, Relaxed),
        }
    }
    cell.core
        .scheduler
        .schedule(Notified::from_raw(RawTask::from_raw(ptr)));
}

/// # Safety
/// The reference count is zero; nobody else can reach the cell.
pub(super) unsafe fn dealloc<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let cell = ptr.cast::<Cell<F, S>>();
    // SAFETY: the cell is live and unreachable by anyone else.
    let home = unsafe { cell.as_ref().header.home };
    // SAFETY: as above; each field is dropped once, then the memory is freed once.
    unsafe {
        let _ = catch_unwind(AssertUnwindSafe(|| std::ptr::drop_in_place(cell.as_ptr())));
        Cell::<F, S>::free(ptr, home);
    }
}

/// # Safety
/// The caller is the `JoinHandle`, `dst` points to `Poll<Result<F::Output, JoinError>>`.
pub(super) unsafe fn try_read_output<F, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the handle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if !can_read_output(&cell.header, &cell.trailer, waker) {
        return;
    }
    // SAFETY: COMPLETE with JOIN_INTEREST grants the handle the stage.
    let stage = cell
        .core
        .stage
        .with_mut(|s| unsafe { mem::replace(&mut *s, Stage::Consumed) });
    let Stage::Finished(out) = stage else {
        panic!("JoinHandle polled after completion")
    };
    // SAFETY: the caller's contract on `dst`.
    unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(out) };
}

/// True if the output is ready; otherwise makes sure `waker` will be woken on completion.
fn can_read_output(header: &Header, trailer: &super::raw::Trailer, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    if snapshot.is_complete() {
        return true;
    }
    if snapshot.is_join_waker_set() {
        // SAFETY: JOIN_WAKER set: the slot holds our waker and only the completer may read it.
        let same = trailer
            .waker
            .with(|w| unsafe { (*w).as_ref() }.is_some_and(|w| w.will_wake(waker)));
        if same {
            return false;
        }
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    // JOIN_WAKER is clear and the task was not complete: the slot is ours.
    // SAFETY: as just said.
    trailer
        .waker
        .with_mut(|w| unsafe { *w = Some(waker.clone()) });
    if header.state.set_join_waker().is_err() {
        // Completed meanwhile: the slot is still ours; clear it and read.
        // SAFETY: JOIN_WAKER was not published.
        trailer.waker.with_mut(|w| unsafe { *w = None });
        return true;
    }
    false
}

/// # Safety
/// Called once by the `JoinHandle` of a `Cell<F, S>`, which gives up its reference.
pub(super) unsafe fn drop_join_handle<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the handle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    let prev = cell.header.state.unset_join_interested();
    if prev.is_complete() {
        // SAFETY: COMPLETE with JOIN_INTEREST gave us the stage; we drop the unread output.
        unsafe { drop_stage(cell) };
    }
    if !prev.is_complete() || !prev.is_join_waker_set() {
        // Either we cleared JOIN_WAKER ourselves or the completer handed the slot back.
        // SAFETY: the slot is ours as just said.
        cell.trailer.waker.with_mut(|w| unsafe { *w = None });
    }
    RawTask::from_raw(ptr).drop_reference();
}

/// # Safety
/// Called once with the owned-list reference of a `Cell<F, S>` that the list already unlinked.
pub(super) unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the owned-list reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // SAFETY: we claimed RUNNING; `complete` releases the owned-list reference.
        unsafe { cancel_and_complete::<F, S>(ptr, 1, false) };
    } else {
        RawTask::from_raw(ptr).drop_reference();
    }
}
