//! The timer entry, intrusive in its [`Sleep`](super::Sleep), and the intrusive list of entries.
//!
//! # Protocol
//!
//! An entry lives inside a pinned `Sleep` (no allocation per timer). While registered it is
//! linked into one list of one shard's wheel, which holds a raw pointer to it.
//!
//! - `links` (prev, next, `when`, location) is read and written only with that shard's lock held.
//! - `state` is written only with that shard's lock held, read anywhere without the lock:
//!   - `IDLE`: never registered; `WAITING`: linked (or about to be), not yet due;
//!   - `FIRED`: due; the wheel has unlinked it and may still be taking its waker;
//!   - `RETIRED`: due, and the wheel will never touch the entry again (its last access is the
//!     `Release` store of `RETIRED`), so the owner may free it without the lock;
//!   - `SHUTDOWN`: the runtime shut down; the entry is unlinked and never completes.
//! - `waker` follows the [`AtomicWaker`] protocol: the owner registers it without the lock, the
//!   wheel takes it under the lock *after* storing `FIRED`, and the owner re-reads `state` after
//!   registering, so either the wheel sees the new waker or the owner sees `FIRED`.
//! - The owner, before the memory goes away (drop) or before relinking (reset), takes the shard
//!   lock and unlinks the entry unless `state` is `RETIRED`. Hence every pointer in a list points to
//!   a live, pinned entry whenever the lock is held.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU8;
use crate::loom::sync::atomic::Ordering::{Acquire, Release};
use crate::sync::atomic_waker::AtomicWaker;
use std::marker::PhantomPinned;
use std::ptr::NonNull;
use std::task::Waker;

/// Never registered.
pub(crate) const IDLE: u8 = 0;
/// Linked into a wheel, not yet due.
pub(crate) const WAITING: u8 = 1;
/// Due and unlinked; the wheel may still be taking the waker.
pub(crate) const FIRED: u8 = 2;
/// Due, and the wheel is done with the entry.
pub(crate) const RETIRED: u8 = 3;
/// The timer shut down: the entry never completes.
pub(crate) const SHUTDOWN: u8 = 4;

/// A raw pointer to a pinned entry, as stored in the wheel's lists.
pub(crate) type EntryPtr = NonNull<TimerEntry>;

/// Where an entry is linked: `level * 64 + slot`, [`LOC_PENDING`] or [`LOC_NONE`].
pub(crate) type Location = u16;
/// Linked in the wheel's list of due entries.
pub(crate) const LOC_PENDING: Location = 6 * 64;
/// Not linked.
pub(crate) const LOC_NONE: Location = u16::MAX;

/// The list links and wheel position of an entry; guarded by the shard lock.
#[derive(Debug)]
pub(crate) struct Links {
    prev: Option<EntryPtr>,
    next: Option<EntryPtr>,
    /// The tick the entry is due at.
    pub(crate) when: u64,
    /// Which list holds it.
    pub(crate) location: Location,
}

/// One timer; see the module doc for who touches which field when.
#[derive(Debug)]
pub(crate) struct TimerEntry {
    state: AtomicU8,
    waker: AtomicWaker,
    links: UnsafeCell<Links>,
    _pinned: PhantomPinned,
}

// SAFETY: `links` is only accessed under the shard lock, `state` is atomic and `waker` follows
// the AtomicWaker protocol, so sharing or sending the entry across threads is sound.
unsafe impl Send for TimerEntry {}
// SAFETY: as above.
unsafe impl Sync for TimerEntry {}

impl TimerEntry {
    pub(crate) fn new() -> TimerEntry {
        TimerEntry {
            state: AtomicU8::new(IDLE),
            waker: AtomicWaker::new(),
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
                when: 0,
                location: LOC_NONE,
            }),
            _pinned: PhantomPinned,
        }
    }

    /// The state (see the module doc), read without the lock.
    pub(crate) fn state(&self) -> u8 {
        self.state.load(Acquire)
    }

    /// Sets the state. Only with the shard lock held (or before the entry was ever linked).
    pub(crate) fn set_state(&self, state: u8) {
        self.state.store(state, Release)
    }

    /// Whether the deadline was reached.
    pub(crate) fn is_elapsed(&self) -> bool {
        matches!(self.state(), FIRED | RETIRED)
    }

    /// Registers the owner's waker (owner only, no lock).
    pub(crate) fn register_waker(&self, waker: &Waker) {
        self.waker.register(waker)
    }

    /// Fires the entry: `FIRED`, take the waker, `RETIRED` (the wheel's last access).
    /// Called by the wheel's owner of the lock after unlinking the entry.
    pub(crate) fn fire(&self) -> Option<Waker> {
        self.set_state(FIRED);
        let waker = self.waker.take();
        self.set_state(RETIRED);
        waker
    }

    /// Marks the entry shut down and takes its waker. Under the lock, after unlinking.
    pub(crate) fn shut_down(&self) -> Option<Waker> {
        self.set_state(SHUTDOWN);
        self.waker.take()
    }

    /// Runs `f` on the links.
    ///
    /// # Safety
    ///
    /// The caller holds the lock of the shard the entry is (or is going to be) linked in, so no
    /// other access to the links runs concurrently, and `f` does not re-enter `with_links` on the
    /// same entry.
    pub(crate) unsafe fn with_links<R>(&self, f: impl FnOnce(&mut Links) -> R) -> R {
        // SAFETY: exclusive access per the caller's contract.
        self.links.with_mut(|links| f(unsafe { &mut *links }))
    }
}

/// Borrows the entry behind a list pointer.
///
/// # Safety
///
/// `ptr` is linked in a list of a wheel whose lock the caller holds (so the entry is alive, see
/// the module doc), or is otherwise known to be alive for `'a`.
pub(crate) unsafe fn entry<'a>(ptr: EntryPtr) -> &'a TimerEntry {
    // SAFETY: alive and pinned per the caller's contract; we only hand out a shared reference.
    unsafe { ptr.as_ref() }
}

/// An intrusive doubly linked list of entries, FIFO.
#[derive(Debug, Default)]
pub(crate) struct List {
    head: Option<EntryPtr>,
    tail: Option<EntryPtr>,
}

// SAFETY: the list only holds pointers to `Send + Sync` entries and is only used under its
// shard's lock.
unsafe impl Send for List {}

impl List {
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Appends `ptr`, recording `location` in its links.
    ///
    /// # Safety
    ///
    /// The caller holds the lock owning this list; `ptr` is alive, pinned and not linked anywhere.
    pub(crate) unsafe fn push_back(&mut self, ptr: EntryPtr, location: Location) {
        let tail = self.tail;
        // SAFETY: alive and under our lock per the contract.
        unsafe {
            entry(ptr).with_links(|l| {
                l.prev = tail;
                l.next = None;
                l.location = location;
            })
        };
        match tail {
            // SAFETY: `tail` is linked in this list, so alive; it is a different entry than `ptr`.
            Some(t) => unsafe { entry(t).with_links(|l| l.next = Some(ptr)) },
            None => self.head = Some(ptr),
        }
        self.tail = Some(ptr);
    }

    /// Unlinks and returns the first entry (its location becomes [`LOC_NONE`]).
    ///
    /// # Safety
    ///
    /// The caller holds the lock owning this list.
    pub(crate) unsafe fn pop_front(&mut self) -> Option<EntryPtr> {
        let head = self.head?;
        // SAFETY: `head` is linked in this list under our lock: alive.
        unsafe { self.remove(head) };
        Some(head)
    }

    /// Unlinks `ptr` (its location becomes [`LOC_NONE`]).
    ///
    /// # Safety
    ///
    /// The caller holds the lock owning this list and `ptr` is linked in this very list.
    pub(crate) unsafe fn remove(&mut self, ptr: EntryPtr) {
        // SAFETY: linked here under our lock: alive.
        let (prev, next) = unsafe {
            entry(ptr).with_links(|l| {
                l.location = LOC_NONE;
                (l.prev.take(), l.next.take())
            })
        };
        match prev {
            // SAFETY: a neighbour in this list: alive, and not `ptr`.
            Some(p) => unsafe { entry(p).with_links(|l| l.next = next) },
            None => self.head = next,
        }
        match next {
            // SAFETY: a neighbour in this list: alive, and not `ptr`.
            Some(n) => unsafe { entry(n).with_links(|l| l.prev = prev) },
            None => self.tail = prev,
        }
    }
}
