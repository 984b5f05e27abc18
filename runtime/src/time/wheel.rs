//! The hierarchical timing wheel of one shard (Varghese & Lauck's hashed hierarchical wheel,
//! laid out as in the Linux kernel's and tokio's timer wheels).
//!
//! Time is counted in ticks of 1 ms since the timer's start. Level `L` has 64 slots of `64^L`
//! ticks each, so six levels span `64^6` ms (about 2.2 years); a timer further away is filed in
//! the top level and refiled each time its slot comes round, until it is in range.
//!
//! An entry due at `when` is filed in the lowest level where `when` and `elapsed` (the last
//! tick processed) fall in the same slot of the level above. When a slot of a level above 0 comes
//! due its entries are refiled against the new `elapsed` ("cascading"): they move down and
//! eventually reach the list of due entries, `pending`. Insert and removal are O(1); finding the
//! next due slot is O(levels) with one `u64` occupancy bitmap per level.
//!
//! All methods run with the shard lock held (they take `&mut self` of the wheel in the mutex).

use super::entry::{self, EntryPtr, List, Location, LOC_NONE, LOC_PENDING};

/// Slots per level.
const SLOTS: usize = 64;
/// Levels.
pub(crate) const LEVELS: usize = 6;
/// Ticks covered by the whole wheel: `64^6`.
const WHEEL_SPAN: u64 = 1 << (6 * LEVELS);

/// One level: 64 lists and the bitmap of non-empty ones.
#[derive(Debug)]
struct Level {
    occupied: u64,
    slots: [List; SLOTS],
}

impl Level {
    fn new() -> Level {
        Level {
            occupied: 0,
            slots: std::array::from_fn(|_| List::default()),
        }
    }
}

/// The next slot to come due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expiration {
    level: usize,
    slot: usize,
    deadline: u64,
}

/// A timing wheel; see the module doc.
#[derive(Debug)]
pub(crate) struct Wheel {
    /// The last tick processed: every entry due at or before it has been moved to `pending`.
    elapsed: u64,
    levels: Box<[Level; LEVELS]>,
    /// Due entries not yet fired.
    pending: List,
    /// Entries linked (levels and pending).
    len: usize,
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: Box::new(std::array::from_fn(|_| Level::new())),
            pending: List::default(),
            len: 0,
        }
    }

    /// Entries linked.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The last tick processed.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Links `ptr` to come due at tick `when`; `Err(())` if `when` already passed (not linked).
    ///
    /// # Safety
    ///
    /// `ptr` is alive, pinned, not linked anywhere, and stays alive until it is unlinked under
    /// this wheel's lock (see the protocol in [`entry`](super::entry)).
    pub(crate) unsafe fn insert(&mut self, ptr: EntryPtr, when: u64) -> Result<(), ()> {
        if when <= self.elapsed {
            return Err(());
        }
        // SAFETY: alive and ours per the contract.
        unsafe {
            entry::entry(ptr).with_links(|l| l.when = when);
            self.file(ptr, when);
        }
        self.len += 1;
        Ok(())
    }

    /// Unlinks `ptr` if it is linked; returns whether it was.
    ///
    /// # Safety
    ///
    /// `ptr` is alive, and if linked, it is linked in this wheel.
    pub(crate) unsafe fn remove(&mut self, ptr: EntryPtr) -> bool {
        // SAFETY: alive per the contract, links guarded by our lock.
        let location = unsafe { entry::entry(ptr).with_links(|l| l.location) };
        if location == LOC_NONE {
            return false;
        }
        // SAFETY: linked in the list `location` names, in this wheel.
        unsafe { self.list_at(location).remove(ptr) };
        self.clear_if_empty(location);
        self.len -= 1;
        true
    }

    /// The tick at which [`pop_expired`](Self::pop_expired) next has work: a timer's deadline, or
    /// the start of an upper-level slot to cascade. `None` if nothing is linked.
    pub(crate) fn next_expiration_tick(&self) -> Option<u64> {
        if !self.pending.is_empty() {
            return Some(self.elapsed);
        }
        self.next_expiration().map(|e| e.deadline)
    }

    /// Unlinks and returns one entry due at or before tick `now`, cascading upper slots as time
    /// advances to `now`; `None` when none is left (then `elapsed` is `now`).
    pub(crate) fn pop_expired(&mut self, now: u64) -> Option<EntryPtr> {
        loop {
            // SAFETY: `pending` belongs to this wheel and we hold its lock.
            if let Some(ptr) = unsafe { self.pending.pop_front() } {
                self.len -= 1;
                return Some(ptr);
            }
            match self.next_expiration() {
                Some(exp) if exp.deadline <= now => self.cascade(exp),
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// Unlinks and returns any linked entry (for shutdown).
    pub(crate) fn pop_any(&mut self) -> Option<EntryPtr> {
        // SAFETY: all lists are this wheel's, under our lock.
        let ptr = unsafe { self.pending.pop_front() }.or_else(|| {
            let exp = self.next_expiration()?;
            let location = (exp.level * SLOTS + exp.slot) as Location;
            // SAFETY: as above.
            let ptr = unsafe { self.levels[exp.level].slots[exp.slot].pop_front() };
            self.clear_if_empty(location);
            ptr
        })?;
        self.len -= 1;
        Some(ptr)
    }

    /// Advances `elapsed` to the slot's start and refiles its entries (due ones to `pending`).
    fn cascade(&mut self, exp: Expiration) {
        debug_assert!(exp.deadline >= self.elapsed);
        self.elapsed = exp.deadline;
        let mut list = std::mem::take(&mut self.levels[exp.level].slots[exp.slot]);
        self.levels[exp.level].occupied &= !(1 << exp.slot);
        // SAFETY: the entries were linked in this wheel (now in `list`), alive under our lock.
        while let Some(ptr) = unsafe { list.pop_front() } {
            // SAFETY: as above.
            unsafe {
                let when = entry::entry(ptr).with_links(|l| l.when);
                if when <= self.elapsed {
                    self.pending.push_back(ptr, LOC_PENDING);
                } else {
                    self.file(ptr, when);
                }
            }
        }
    }

    /// Files `ptr` in the slot for `when` (which is after `elapsed`).
    ///
    /// # Safety
    ///
    /// `ptr` is alive, pinned and unlinked.
    unsafe fn file(&mut self, ptr: EntryPtr, when: u64) {
        let level = level_for(self.elapsed, when);
        let slot = slot_for(when, level);
        let location = (level * SLOTS + slot) as Location;
        // SAFETY: per the contract.
        unsafe { self.levels[level].slots[slot].push_back(ptr, location) };
        self.levels[level].occupied |= 1 << slot;
    }

    fn list_at(&mut self, location: Location) -> &mut List {
        if location == LOC_PENDING {
            return &mut self.pending;
        }
        let (level, slot) = (location as usize / SLOTS, location as usize % SLOTS);
        &mut self.levels[level].slots[slot]
    }

    fn clear_if_empty(&mut self, location: Location) {
        if location == LOC_PENDING {
            return;
        }
        let (level, slot) = (location as usize / SLOTS, location as usize % SLOTS);
        if self.levels[level].slots[slot].is_empty() {
            self.levels[level].occupied &= !(1 << slot);
        }
    }

    /// The first non-empty slot to come due, scanning levels upwards: every entry of a lower
    /// level is due before any slot of a higher level starts.
    fn next_expiration(&self) -> Option<Expiration> {
        self.levels.iter().enumerate().find_map(|(level, l)| {
            (l.occupied != 0).then(|| next_in_level(level, l.occupied, self.elapsed))
        })
    }
}

/// The next occupied slot of `level` at or after `now`, and the tick it starts at.
fn next_in_level(level: usize, occupied: u64, now: u64) -> Expiration {
    let slot_span = 1u64 << (6 * level);
    let level_span = slot_span << 6;
    let now_slot = (now / slot_span) % SLOTS as u64;
    let slot = (occupied.rotate_right(now_slot as u32).trailing_zeros() as u64 + now_slot) % 64;
    let mut deadline = (now & !(level_span - 1)) + slot * slot_span;
    if deadline <= now {
        // The slot comes round in the next revolution of this level (only far, clamped timers).
        deadline += level_span;
    }
    Expiration {
        level,
        slot: slot as usize,
        deadline,
    }
}

/// The level where `when` is filed, seen from `elapsed`.
fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = ((elapsed ^ when) | (SLOTS as u64 - 1)).min(WHEEL_SPAN - 2);
    let significant = 63 - masked.leading_zeros() as usize;
    significant / 6
}

/// The slot of `when` in `level`.
fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (6 * level)) % SLOTS as u64) as usize
}

// SAFETY: the wheel's raw pointers are to `Send + Sync` entries, only followed under the lock
// that owns the wheel.
unsafe impl Send for Wheel {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn levels_split_on_64_tick_boundaries() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, 3_600_000), 3);
        assert_eq!(level_for(0, 30 * 86_400_000), 5);
        assert_eq!(level_for(0, u64::MAX / 4), 5);
        assert_eq!(level_for(64, 100), 0);
    }

    #[test]
    fn next_slot_wraps_to_next_revolution() {
        let exp = next_in_level(1, 1 << 2, 200);
        assert_eq!(exp.deadline, 64 * 64 + 128);
        assert_eq!(next_in_level(0, 1 << 5, 0).deadline, 5);
    }
}
