//! The task waker: the data pointer is the cell's header, each waker owns one reference.

use super::raw::{Header, RawTask};
use super::state::TransitionToNotified;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn raw(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE)
}

fn task(data: *const ()) -> RawTask {
    // SAFETY: every waker of this vtable is built from a non-null header pointer.
    RawTask::from_raw(unsafe { NonNull::new_unchecked(data.cast_mut().cast()) })
}

unsafe fn clone(data: *const ()) -> RawWaker {
    let t = task(data);
    t.state().ref_inc();
    raw(t.header_ptr())
}

unsafe fn wake(data: *const ()) {
    let t = task(data);
    match t.state().transition_to_notified_by_val() {
        // SAFETY: the waker's reference becomes the queue entry's.
        TransitionToNotified::Submit => unsafe { t.schedule() },
        // SAFETY: the waker held the last reference.
        TransitionToNotified::Dealloc => unsafe { t.dealloc() },
        TransitionToNotified::DoNothing => {}
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    let t = task(data);
    match t.state().transition_to_notified_by_ref() {
        // SAFETY: the transition took a new reference for the queue entry.
        TransitionToNotified::Submit => unsafe { t.schedule() },
        TransitionToNotified::Dealloc | TransitionToNotified::DoNothing => {}
    }
}

unsafe fn drop_waker(data: *const ()) {
    task(data).drop_reference();
}

/// A waker borrowed for one poll: it does not own a reference (the poller's keeps the cell alive).
pub(super) struct WakerRef(ManuallyDrop<Waker>);

impl Deref for WakerRef {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.0
    }
}

pub(super) fn waker_ref(ptr: NonNull<Header>) -> WakerRef {
    // SAFETY: the vtable's functions uphold the RawWaker contract; ManuallyDrop keeps this borrowed
    // waker from releasing a reference it does not own (clones take their own).
    WakerRef(ManuallyDrop::new(unsafe { Waker::from_raw(raw(ptr)) }))
}
