//! Fixtures: a manual timer, counting wakers, one-shot polls.

use crate::time::{Instant, Sleep, TimerHandle};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Counts its wakes.
#[derive(Default)]
pub(super) struct Counter(AtomicUsize);

impl Counter {
    pub(super) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker and the counter of its wakes.
pub(super) fn counting_waker() -> (Waker, Arc<Counter>) {
    let counter = Arc::new(Counter::default());
    (Waker::from(counter.clone()), counter)
}

/// A one-shard timer on the manual clock, with a no-op unpark.
pub(super) fn manual_timer() -> TimerHandle {
    TimerHandle::manual(1, Arc::new(|| {}))
}

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// The timer's tick-0 instant plus `offset`.
pub(super) fn at(timer: &TimerHandle, offset: Duration) -> Instant {
    Instant::from_std(timer.start() + offset)
}

/// A boxed sleep due at `offset` after the timer's start.
pub(super) fn sleep_at(timer: &TimerHandle, offset: Duration) -> Pin<Box<Sleep>> {
    Box::pin(Sleep::new_with_timer(timer.clone(), at(timer, offset)))
}

/// Advances the manual clock to `offset` after start and fires what is due.
pub(super) fn advance(timer: &TimerHandle, offset: Duration) -> usize {
    timer.process(timer.start() + offset)
}

/// Polls once with `waker`.
pub(super) fn poll_with<F: Future + ?Sized>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}
