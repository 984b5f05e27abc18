//! [`TimerHandle`]: the runtime's timer, shared by the scheduler (which drives it) and every
//! [`Sleep`](super::Sleep) (which registers in it).
//!
//! The timer is split in shards, one per worker, each a [`Wheel`] behind its own lock plus two
//! atomics published after every change under that lock: the shard's next expiration tick (so
//! `next_deadline` and `process` read it without locking) and its count of linked timers.
//! Wakers are taken out under the lock and woken after it is released, at most
//! [`WAKE_BATCH`] at a time.

use super::entry::{self, TimerEntry, RETIRED, SHUTDOWN, WAITING};
use super::wheel::Wheel;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use crate::loom::sync::{Arc, Mutex};
/// The unpark callback is plain `std` (no atomics of ours inside), as the contract spells it.
type Unpark = std::sync::Arc<dyn Fn() + Send + Sync>;
use std::fmt;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::Waker;
use std::time::{Duration, Instant};

/// Wakers collected under a shard lock before it is released to wake them.
const WAKE_BATCH: usize = 32;
/// Ticks are clamped below this, far from any overflow in the wheel's arithmetic.
const MAX_TICK: u64 = u64::MAX / 4;
/// The published "no timer" expiration.
const NO_EXPIRATION: u64 = u64::MAX;

/// A cheap, cloneable handle on the timer of one runtime.
#[derive(Clone)]
pub(crate) struct TimerHandle {
    inner: Arc<Inner>,
}

struct Inner {
    /// Tick 0.
    start: Instant,
    clock: Clock,
    shards: Box<[Shard]>,
    unpark: Unpark,
    is_shutdown: AtomicBool,
}

/// Where "now" comes from when a timer is registered or an interval is late.
enum Clock {
    /// `Instant::now()`.
    Real,
    /// The latest `now` given to `process`, in nanoseconds since `start` (tests drive time).
    Manual(AtomicU64),
}

/// One wheel and the atomics published from it.
#[repr(align(128))]
struct Shard {
    wheel: Mutex<Wheel>,
    /// `Wheel::next_expiration_tick`, or `NO_EXPIRATION`.
    next: AtomicU64,
    /// `Wheel::len`.
    registered: AtomicUsize,
}

impl Shard {
    fn new() -> Shard {
        Shard {
            wheel: Mutex::new(Wheel::new()),
            next: AtomicU64::new(NO_EXPIRATION),
            registered: AtomicUsize::new(0),
        }
    }

    /// Publishes the wheel's next expiration and size; called under the lock after any change.
    fn publish(&self, wheel: &Wheel) -> u64 {
        let next = wheel.next_expiration_tick().unwrap_or(NO_EXPIRATION);
        self.next.store(next, Release);
        self.registered.store(wheel.len(), Relaxed);
        next
    }
}

impl TimerHandle {
    /// A timer with `shards` wheels (one per worker, at least one) on the real clock. `unpark`
    /// wakes the thread parked on the driver when a timer is registered earlier than any before.
    pub(crate) fn new(shards: usize, unpark: Unpark) -> TimerHandle {
        TimerHandle::with_clock(shards, unpark, Clock::Real)
    }

    /// A timer whose "now" only moves when `process(now)` is called: for deterministic tests.
    #[cfg(test)]
    pub(crate) fn manual(shards: usize, unpark: Unpark) -> TimerHandle {
        TimerHandle::with_clock(shards, unpark, Clock::Manual(AtomicU64::new(0)))
    }

    fn with_clock(shards: usize, unpark: Unpark, clock: Clock) -> TimerHandle {
        let inner = Inner {
            start: Instant::now(),
            clock,
            shards: (0..shards.max(1)).map(|_| Shard::new()).collect(),
            unpark,
            is_shutdown: AtomicBool::new(false),
        };
        TimerHandle {
            inner: Arc::new(inner),
        }
    }

    /// The instant of tick 0.
    pub(crate) fn start(&self) -> Instant {
        self.inner.start
    }

    /// The timer's notion of now: the real clock, or the last processed instant if manual.
    pub(crate) fn now(&self) -> Instant {
        match &self.inner.clock {
            Clock::Real => Instant::now(),
            Clock::Manual(nanos) => self.inner.start + Duration::from_nanos(nanos.load(Acquire)),
        }
    }

    /// Earliest pending deadline over all shards (atomics only, no lock).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let tick = self.earliest_tick(usize::MAX);
        if tick == NO_EXPIRATION {
            return None;
        }
        self.inner.start.checked_add(Duration::from_millis(tick))
    }

    /// Fires every timer due at or before `now`; returns how many fired. Shards with nothing
    /// due are skipped without locking.
    pub(crate) fn process(&self, now: Instant) -> usize {
        if let Clock::Manual(nanos) = &self.inner.clock {
            let since = now.saturating_duration_since(self.inner.start).as_nanos();
            nanos.fetch_max(u64::try_from(since).unwrap_or(u64::MAX), AcqRel);
        }
        let now_tick = self.tick_floor(now);
        let shards = self.inner.shards.iter();
        shards
            .filter(|s| s.next.load(Acquire) <= now_tick)
            .map(|s| process_shard(s, now_tick))
            .sum()
    }

    /// Wakes every pending timer; from now on timers never fire (they stay pending).
    pub(crate) fn shutdown(&self) {
        self.inner.is_shutdown.store(true, Release);
        for shard in self.inner.shards.iter() {
            drain_shard(shard);
        }
    }

    /// Timers currently linked in the wheels.
    pub(crate) fn registered(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| s.registered.load(Relaxed))
            .sum()
    }

    /// The shard a timer registered from this thread goes to.
    pub(crate) fn pick_shard(&self) -> usize {
        crate::runtime::context::worker_index().map_or(0, |i| i % self.inner.shards.len())
    }

    /// Number of shards.
    pub(crate) fn shards(&self) -> usize {
        self.inner.shards.len()
    }

    /// (Re)registers `entry` to fire at `deadline` in shard `shard`: unlinks it if linked, then
    /// links it, or marks it `RETIRED` at once if the deadline already passed, or `SHUTDOWN`.
    ///
    /// # Safety
    ///
    /// If `entry` is linked, it is linked in shard `shard` of this timer; and `entry` stays at
    /// this address until [`deregister`](Self::deregister) was called for it (the owner's drop).
    pub(crate) unsafe fn register(&self, shard: usize, entry: Pin<&TimerEntry>, deadline: Instant) {
        let when = self.tick_ceil(deadline);
        let due = deadline <= self.now();
        let ptr = NonNull::from(entry.get_ref());
        let shard_ref = &self.inner.shards[shard];
        let mut wheel = shard_ref.wheel.lock();
        let before = shard_ref.next.load(Relaxed);
        // SAFETY: `entry` is alive, and if linked it is in this shard, per our contract.
        unsafe { wheel.remove(ptr) };
        let linked = if self.inner.is_shutdown.load(Acquire) {
            entry.set_state(SHUTDOWN);
            false
        } else if due {
            entry.set_state(RETIRED);
            false
        } else {
            entry.set_state(WAITING);
            // SAFETY: unlinked just above, pinned, and kept alive until `deregister`.
            let inserted = unsafe { wheel.insert(ptr, when) }.is_ok();
            if !inserted {
                entry.set_state(RETIRED);
            }
            inserted
        };
        let next = shard_ref.publish(&wheel);
        drop(wheel);
        if linked && next < before && next < self.earliest_tick(shard) {
            (self.inner.unpark)();
        }
    }

    /// Unlinks `entry` if the wheel may still hold it; after this the wheel never touches it.
    ///
    /// # Safety
    ///
    /// `entry` is alive, and if linked, linked in shard `shard` of this timer.
    pub(crate) unsafe fn deregister(&self, shard: usize, entry: &TimerEntry) {
        if entry.state() == RETIRED {
            // The wheel's last access to the entry was that `Release` store.
            return;
        }
        let shard = &self.inner.shards[shard];
        let mut wheel = shard.wheel.lock();
        // SAFETY: alive, and if linked then in this shard, per our contract.
        if unsafe { wheel.remove(NonNull::from(entry)) } {
            shard.publish(&wheel);
        }
    }

    /// The earliest published expiration tick over all shards but `except`.
    fn earliest_tick(&self, except: usize) -> u64 {
        let shards = self.inner.shards.iter().enumerate();
        shards
            .filter(|(i, _)| *i != except)
            .map(|(_, s)| s.next.load(Acquire))
            .min()
            .unwrap_or(NO_EXPIRATION)
    }

    /// The tick of `deadline`, rounded up so that a timer never fires early.
    fn tick_ceil(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.inner.start);
        let ms = since.as_nanos().div_ceil(1_000_000);
        u64::try_from(ms).unwrap_or(MAX_TICK).min(MAX_TICK)
    }

    /// The last tick that has fully passed at `now`.
    fn tick_floor(&self, now: Instant) -> u64 {
        let ms = now.saturating_duration_since(self.inner.start).as_millis();
        u64::try_from(ms).unwrap_or(MAX_TICK).min(MAX_TICK)
    }
}

/// Fires the due entries of one shard, waking in batches outside the lock.
fn process_shard(shard: &Shard, now_tick: u64) -> usize {
    let mut fired = 0;
    loop {
        let mut batch = WakeBatch::new();
        let mut wheel = shard.wheel.lock();
        let more = batch.fill(&mut fired, || {
            let ptr = wheel.pop_expired(now_tick)?;
            // SAFETY: just unlinked under the lock we hold: alive (the owner unlinks before
            // freeing, under this lock); `fire` ends with the wheel's last access to it.
            Some(unsafe { entry::entry(ptr) }.fire())
        });
        shard.publish(&wheel);
        drop(wheel);
        batch.wake_all();
        if !more {
            return fired;
        }
    }
}

/// Unlinks every entry of one shard as shut down, waking them in batches outside the lock.
fn drain_shard(shard: &Shard) {
    loop {
        let mut batch = WakeBatch::new();
        let mut wheel = shard.wheel.lock();
        let more = batch.fill(&mut 0, || {
            let ptr = wheel.pop_any()?;
            // SAFETY: just unlinked under the lock we hold: alive. The owner of a SHUTDOWN entry
            // takes this lock before freeing it.
            Some(unsafe { entry::entry(ptr) }.shut_down())
        });
        shard.publish(&wheel);
        drop(wheel);
        batch.wake_all();
        if !more {
            return;
        }
    }
}

/// Wakers to wake once the lock is released.
struct WakeBatch {
    wakers: [Option<Waker>; WAKE_BATCH],
    len: usize,
}

impl WakeBatch {
    fn new() -> WakeBatch {
        WakeBatch {
            wakers: [const { None }; WAKE_BATCH],
            len: 0,
        }
    }

    /// Pulls entries' wakers from `next` until it is exhausted (returns false) or the batch is
    /// full (returns true: call again). Counts the entries in `count`.
    fn fill(&mut self, count: &mut usize, mut next: impl FnMut() -> Option<Option<Waker>>) -> bool {
        while self.len < WAKE_BATCH {
            let Some(waker) = next() else { return false };
            *count += 1;
            if waker.is_some() {
                self.wakers[self.len] = waker;
                self.len += 1;
            }
        }
        true
    }

    fn wake_all(&mut self) {
        for waker in self.wakers[..self.len].iter_mut() {
            if let Some(w) = waker.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("shards", &self.inner.shards.len())
            .field("registered", &self.registered())
            .field("next_deadline", &self.next_deadline())
            .finish()
    }
}
