//! [`Sleep`], [`sleep`] and [`sleep_until`].

use super::entry::{TimerEntry, FIRED, IDLE, RETIRED, SHUTDOWN};
use super::handle::TimerHandle;
use super::Instant;
use crate::runtime::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The message of the panic when `zokio::time` is used outside a runtime.
const NO_TIMER: &str =
    "there is no timer running: `zokio::time` must be used inside a Zokio runtime";

/// The shard field before the first registration.
const NO_SHARD: usize = usize::MAX;

/// Waits until `duration` has elapsed.
///
/// Equivalent to `sleep_until(Instant::now() + duration)`, except that a duration too large to
/// represent (such as [`Duration::MAX`]) saturates to a deadline about 30 years away instead of
/// panicking. The timer has a resolution of 1 ms and never completes early.
///
/// # Panics
///
/// Panics if called outside a Zokio runtime.
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(Instant::now().saturating_add(duration))
}

/// Waits until `deadline` is reached.
///
/// # Panics
///
/// Panics if called outside a Zokio runtime.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future returned by [`sleep`] and [`sleep_until`]: completes at its deadline.
///
/// The timer is registered on the first poll (which completes at once if the deadline already
/// passed) and removed from the timer as soon as the `Sleep` is dropped.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    timer: TimerHandle,
    /// The shard the entry registers in; `NO_SHARD` until the first poll chooses one.
    shard: usize,
    /// Structurally pinned: the wheel points to it once registered.
    entry: TimerEntry,
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(deadline: Instant) -> Sleep {
        let timer = crate::runtime::context::current_timer().expect(NO_TIMER);
        Sleep::new_with_timer(timer, deadline)
    }

    /// A sleep on an explicit timer (tests drive it with `process`).
    pub(crate) fn new_with_timer(timer: TimerHandle, deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            timer,
            shard: NO_SHARD,
            entry: TimerEntry::new(),
        }
    }

    /// Forces the shard to register in (tests of multi-shard timers).
    #[cfg(test)]
    pub(crate) fn set_shard(&mut self, shard: usize) {
        assert!(self.shard == NO_SHARD && shard < self.timer.shards());
        self.shard = shard;
    }

    /// The instant at which this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline was reached (as observed by the timer).
    pub fn is_elapsed(&self) -> bool {
        self.entry.is_elapsed()
    }

    /// Moves the deadline to `deadline`, whether or not the sleep already completed: it is pending
    /// again until the new deadline (completing on its next poll if that already passed).
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        // SAFETY: `entry` is never moved out of `this`; the other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        this.deadline = deadline;
        if this.entry.state() != IDLE {
            // SAFETY: `entry` is pinned inside the pinned `Sleep`; once registered it is in
            // `this.shard`, and `Drop` deregisters it before the memory goes.
            unsafe { this.register() };
        }
    }

    /// The timer's notion of now (the real clock in a runtime).
    pub(crate) fn timer_now(&self) -> Instant {
        Instant::from_std(self.timer.now())
    }

    /// Registers the entry for `self.deadline` (first poll or reset).
    ///
    /// # Safety
    ///
    /// `self` is pinned.
    unsafe fn register(&mut self) {
        if self.shard == NO_SHARD {
            self.shard = self.timer.pick_shard();
        }
        // SAFETY: `self` is pinned, so is its structurally pinned `entry`.
        let entry = unsafe { Pin::new_unchecked(&self.entry) };
        // SAFETY: if linked, the entry is in `self.shard` (it never changes once chosen); `Drop`
        // deregisters it before the memory is released.
        unsafe {
            self.timer
                .register(self.shard, entry, self.deadline.into_std())
        };
    }

    /// Polls without charging the cooperative budget.
    fn poll_elapsed(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `entry` is never moved out of `this`.
        let this = unsafe { self.get_unchecked_mut() };
        if this.entry.state() == IDLE {
            // SAFETY: `this` comes from a pinned `Sleep`.
            unsafe { this.register() };
        }
        match this.entry.state() {
            FIRED | RETIRED => return Poll::Ready(()),
            SHUTDOWN => return Poll::Pending,
            _ => {}
        }
        this.entry.register_waker(cx.waker());
        // Re-check: the wheel either saw our new waker or we see that it fired.
        if this.entry.is_elapsed() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        coop::poll_budgeted(cx, |cx| self.poll_elapsed(cx))
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if self.entry.state() != IDLE {
            // SAFETY: the entry is alive (we are dropping it after this) and, if linked, it is in
            // `self.shard`.
            unsafe { self.timer.deregister(self.shard, &self.entry) };
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("is_elapsed", &self.is_elapsed())
            .finish()
    }
}
