//! The owned-task list: every live task of a runtime, so shutdown can cancel them all, including
//! idle tasks that only a waker refers to.
//!
//! An intrusive doubly linked list through each cell's trailer, split into shards by task id, each
//! behind its own lock. The list holds one reference per task (the `Task<S>`). `bind` refuses new
//! tasks once the list is closed; the check happens under the shard lock, so a task is either
//! refused or seen by `close_and_shutdown_all`.

use super::raw::{Header, RawTask};
use super::{Notified, Schedule, Task};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// Links of a cell in the list; guarded by the shard lock of the task's shard.
pub(crate) struct Pointers {
    inner: UnsafeCell<Links>,
}

#[derive(Clone, Copy)]
struct Links {
    prev: Option<NonNull<Header>>,
    next: Option<NonNull<Header>>,
    linked: bool,
}

impl Pointers {
    pub(crate) fn new() -> Pointers {
        Pointers {
            inner: UnsafeCell::new(Links {
                prev: None,
                next: None,
                linked: false,
            }),
        }
    }
}

/// # Safety
/// The caller holds the lock of the shard `t` belongs to, and `t` is live.
unsafe fn links(t: NonNull<Header>) -> *mut Links {
    // SAFETY: the caller's contract.
    unsafe { Header::trailer(t) }.owned.inner.with_mut(|p| p)
}

struct Shard {
    head: Option<NonNull<Header>>,
    len: usize,
}

// SAFETY: the raw pointers are only followed under the shard's lock.
unsafe impl Send for Shard {}

/// The list of every live task of one runtime.
pub(crate) struct OwnedTasks<S: 'static> {
    /// Each shard on its own cache line: workers lock different shards at once.
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    mask: usize,
    closed: AtomicBool,
    _p: PhantomData<S>,
}

/// Task ids are handed to threads in blocks of this many (see `id.rs`); dividing by it maps a
/// thread's spawns to one shard, so the spawning worker mostly locks a shard nobody else uses.
const ID_BLOCK_SHIFT: u32 = 10;

impl<S: Schedule> OwnedTasks<S> {
    /// A list with at least `shards` shards (rounded up to a power of two).
    pub(crate) fn new(shards: usize) -> Self {
        let n = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..n)
                .map(|_| CachePadded::new(Mutex::new(Shard { head: None, len: 0 })))
                .collect(),
            mask: n - 1,
            closed: AtomicBool::new(false),
            _p: PhantomData,
        }
    }

    fn shard_of(&self, t: &RawTask) -> &Mutex<Shard> {
        &self.shards[(t.header().id.as_u64() >> ID_BLOCK_SHIFT) as usize & self.mask]
    }

    /// Adds a new task. If the list is closed, the task is cancelled at once and `None` returned
    /// (its `JoinHandle` then resolves to a cancellation error).
    pub(crate) fn bind(&self, task: Task<S>, notified: Notified<S>) -> Option<Notified<S>> {
        let raw = task.raw();
        {
            let mut shard = self.shard_of(&raw).lock();
            if !self.closed.load(Acquire) {
                // SAFETY: we hold the shard lock; the task is new and unlinked.
                unsafe { push_front(&mut shard, raw.header_ptr()) };
                shard.len += 1;
                std::mem::forget(task);
                return Some(notified);
            }
        }
        drop(notified);
        // SAFETY: the list never linked it; we pass the owned reference to shutdown.
        unsafe { task.into_raw().shutdown() };
        None
    }

    /// Unlinks a task that completed; returns the list's reference if it was still linked.
    pub(crate) fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let raw = task.raw();
        let mut shard = self.shard_of(&raw).lock();
        // SAFETY: we hold the shard lock.
        if !unsafe { unlink(&mut shard, raw.header_ptr()) } {
            return None;
        }
        shard.len -= 1;
        drop(shard);
        Some(Task::from_raw(raw))
    }

    /// Closes the list to new tasks and cancels every task in it.
    pub(crate) fn close_and_shutdown_all(&self) {
        self.closed.store(true, Release);
        for shard in self.shards.iter() {
            loop {
                let next = {
                    let mut s = shard.lock();
                    let Some(head) = s.head else { break };
                    // SAFETY: we hold the lock and `head` is linked in this shard.
                    unsafe { unlink(&mut s, head) };
                    s.len -= 1;
                    head
                };
                // SAFETY: we took the list's reference by unlinking.
                unsafe { RawTask::from_raw(next).shutdown() };
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks in the list (takes each shard's lock in turn: for metrics, not hot paths).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }
}

/// # Safety
/// The shard lock is held and `t` is live and unlinked.
unsafe fn push_front(shard: &mut Shard, t: NonNull<Header>) {
    // SAFETY: the caller's contract.
    unsafe {
        let l = links(t);
        (*l).prev = None;
        (*l).next = shard.head;
        (*l).linked = true;
        if let Some(h) = shard.head {
            (*links(h)).prev = Some(t);
        }
    }
    shard.head = Some(t);
}

/// # Safety
/// The shard lock is held and `t` is live. Returns false if `t` was not linked.
unsafe fn unlink(shard: &mut Shard, t: NonNull<Header>) -> bool {
    // SAFETY: the caller's contract; neighbours are linked in the same shard.
    unsafe {
        let l = links(t);
        if !(*l).linked {
            return false;
        }
        let Links { prev, next, .. } = *l;
        match prev {
            Some(p) => (*links(p)).next = next,
            None => shard.head = next,
        }
        if let Some(n) = next {
            (*links(n)).prev = prev;
        }
        *l = Links {
            prev: None,
            next: None,
            linked: false,
        };
    }
    true
}
