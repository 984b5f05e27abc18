//! [`Interval`], [`interval`] and [`interval_at`].

use super::sleep::Sleep;
use super::Instant;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// How late a tick may be yielded before it counts as missed and [`MissedTickBehavior`] applies.
const LATENESS_SLACK: Duration = Duration::from_millis(5);

/// Creates an [`Interval`] whose first tick completes immediately and then every `period`.
///
/// # Panics
///
/// Panics if `period` is zero, or if called outside a Zokio runtime.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    interval_at(Instant::now(), period)
}

/// Creates an [`Interval`] whose first tick completes at `start` and then every `period`.
///
/// # Panics
///
/// Panics if `period` is zero, or if called outside a Zokio runtime.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval::from_sleep(Sleep::new(start), period)
}

/// What an [`Interval`] does when ticks were missed (yielded more than a few ms late).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Yield the missed ticks at once, one per `tick()`, until back on the original schedule
    /// (`start + n * period`). The default.
    #[default]
    Burst,
    /// Restart the schedule from the late tick: the next tick is `period` after it was yielded.
    Delay,
    /// Drop the missed ticks: the next tick is the next multiple of `period` on the original
    /// schedule that is still in the future.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick scheduled at `timeout` was yielded late at `now`.
    fn next_timeout(self, timeout: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => timeout.saturating_add(period),
            MissedTickBehavior::Delay => now.saturating_add(period),
            MissedTickBehavior::Skip => {
                let late = now.saturating_duration_since(timeout).as_nanos();
                let into_period = late % period.as_nanos();
                let rest = period - Duration::from_nanos(into_period as u64);
                now.saturating_add(rest)
            }
        }
    }
}

/// A stream of ticks, `period` apart; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    fn from_sleep(delay: Sleep, period: Duration) -> Interval {
        let missed_tick_behavior = MissedTickBehavior::default();
        Interval {
            delay: Box::pin(delay),
            period,
            missed_tick_behavior,
        }
    }

    /// An interval on an explicit timer (tests).
    #[cfg(test)]
    pub(crate) fn new_with_timer(
        timer: super::TimerHandle,
        start: Instant,
        period: Duration,
    ) -> Self {
        assert!(period > Duration::ZERO, "`period` must be non-zero.");
        Interval::from_sleep(Sleep::new_with_timer(timer, start), period)
    }

    /// Completes at the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; `Ready(scheduled instant)` when it is due.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(self.delay.as_mut().poll(cx));
        let timeout = self.delay.deadline();
        let now = self.delay.timer_now();
        let next = if now > timeout.saturating_add(LATENESS_SLACK) {
            self.missed_tick_behavior
                .next_timeout(timeout, now, self.period)
        } else {
            timeout.saturating_add(self.period)
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(timeout)
    }

    /// Restarts the schedule: the next tick is one `period` from now.
    pub fn reset(&mut self) {
        let next = self.delay.timer_now().saturating_add(self.period);
        self.delay.as_mut().reset(next);
    }

    /// Restarts the schedule: the next tick completes immediately.
    pub fn reset_immediately(&mut self) {
        let now = self.delay.timer_now();
        self.delay.as_mut().reset(now);
    }

    /// Restarts the schedule: the next tick is at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// The behaviour when ticks are missed.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the behaviour when ticks are missed.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
