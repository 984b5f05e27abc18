//! A FIFO list of waiters, linked by slot index, kept behind the owning primitive's mutex.
//!
//! # Protocol
//!
//! Every waiting future owns one *slot*, identified by a [`Key`], from the moment it first
//! registers until it completes or is dropped. A slot is *linked* (in the FIFO order) while the
//! waiter still waits, and *unlinked* once a notifier has picked it (`pop_front`) or the waiter
//! left. Unlinking never frees the slot: only the owner frees it ([`WaitList::free`]), so a
//! notifier can leave a result in the slot (a permit, a notification) for the owner to collect,
//! and a dropped owner finds that result and passes it on. This gives O(1) enqueue, dequeue and
//! removal of a cancelled waiter, without any `unsafe`.
//!
//! All methods take `&mut self`: callers hold the primitive's mutex.

use std::fmt;

/// Identifies a slot of a [`WaitList`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Key(usize);

const NIL: usize = usize::MAX;

struct Slot<T> {
    value: Option<T>,
    prev: usize,
    next: usize,
    linked: bool,
}

/// An index-linked FIFO of waiter records.
pub(crate) struct WaitList<T> {
    slots: Vec<Slot<T>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    len: usize,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for WaitList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("linked", &self.len)
            .finish()
    }
}

impl<T> WaitList<T> {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// Number of linked (still waiting) entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is linked.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Allocates a slot for `value` and links it at the back.
    pub(crate) fn push_back(&mut self, value: T) -> Key {
        let slot = Slot {
            value: Some(value),
            prev: self.tail,
            next: NIL,
            linked: true,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        match self.tail {
            NIL => self.head = idx,
            t => self.slots[t].next = idx,
        }
        self.tail = idx;
        self.len += 1;
        Key(idx)
    }

    /// The key of the first linked entry.
    pub(crate) fn front(&self) -> Option<Key> {
        (self.head != NIL).then_some(Key(self.head))
    }

    /// Unlinks the first entry (its slot stays allocated for its owner) and returns its key.
    pub(crate) fn pop_front(&mut self) -> Option<Key> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Whether the entry still waits in the FIFO.
    pub(crate) fn is_linked(&self, key: Key) -> bool {
        self.slots[key.0].linked
    }

    /// Removes the entry from the FIFO order if it is there; returns whether it was.
    pub(crate) fn unlink(&mut self, key: Key) -> bool {
        let Slot {
            prev, next, linked, ..
        } = self.slots[key.0];
        if !linked {
            return false;
        }
        match prev {
            NIL => self.head = next,
            p => self.slots[p].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.slots[n].prev = prev,
        }
        let slot = &mut self.slots[key.0];
        slot.linked = false;
        slot.prev = NIL;
        slot.next = NIL;
        self.len -= 1;
        true
    }

    /// Unlinks (if needed) and frees the slot, returning its record.
    pub(crate) fn free(&mut self, key: Key) -> T {
        self.unlink(key);
        self.free.push(key.0);
        self.slots[key.0]
            .value
            .take()
            .expect("wait list slot freed twice")
    }

    /// The record of an allocated slot.
    pub(crate) fn get_mut(&mut self, key: Key) -> &mut T {
        self.slots[key.0]
            .value
            .as_mut()
            .expect("wait list slot not allocated")
    }

    /// The record of an allocated slot.
    pub(crate) fn get(&self, key: Key) -> &T {
        self.slots[key.0]
            .value
            .as_ref()
            .expect("wait list slot not allocated")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut list = WaitList::new();
        let a = list.push_back('a');
        let b = list.push_back('b');
        let c = list.push_back('c');
        assert!(list.unlink(b));
        assert!(!list.unlink(b));
        assert_eq!(list.len(), 2);
        assert_eq!(list.pop_front(), Some(a));
        assert_eq!(*list.get(a), 'a');
        assert!(!list.is_linked(a));
        assert_eq!(list.pop_front(), Some(c));
        assert_eq!(list.pop_front(), None);
        assert_eq!(list.free(a), 'a');
        assert_eq!(list.free(b), 'b');
        assert_eq!(list.free(c), 'c');
        // Freed slots are reused.
        let d = list.push_back('d');
        assert!(d == a || d == b || d == c);
        assert_eq!(list.front(), Some(d));
        assert!(list.is_linked(d));
    }

    #[test]
    fn removing_head_and_tail_keeps_links() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..5).map(|i| list.push_back(i)).collect();
        list.unlink(keys[0]);
        list.unlink(keys[4]);
        list.unlink(keys[2]);
        let mut order = Vec::new();
        while let Some(k) = list.pop_front() {
            order.push(*list.get(k));
        }
        assert_eq!(order, vec![1, 3]);
        assert!(list.is_empty());
    }
}
