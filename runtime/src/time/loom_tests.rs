//! Loom models of the lock-free parts of a timer entry: the fire/poll wake-up handshake and
//! drop racing with `process`. Run with `RUSTFLAGS="--cfg loom" cargo test --release --lib time::loom`.

use super::{Instant, Sleep, TimerHandle};
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Waker, std::sync::Arc<Counter>) {
    let counter = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
    (Waker::from(counter.clone()), counter)
}

fn poll(sleep: Pin<&mut Sleep>, waker: &Waker) -> Poll<()> {
    sleep.poll(&mut Context::from_waker(waker))
}

fn timer_and_sleep() -> (TimerHandle, Pin<Box<Sleep>>, std::time::Instant) {
    let timer = TimerHandle::manual(1, std::sync::Arc::new(|| {}));
    let due = timer.start() + Duration::from_millis(10);
    let sleep = Box::pin(Sleep::new_with_timer(timer.clone(), Instant::from_std(due)));
    (timer, sleep, due)
}

/// Re-registering a new waker while the timer fires: a `Pending` poll means the new waker is
/// (or will be) woken; no wake-up is lost.
#[test]
fn repoll_with_new_waker_races_fire() {
    loom::model(|| {
        let (timer, mut sleep, due) = timer_and_sleep();
        let (first, _) = counting_waker();
        assert_eq!(poll(sleep.as_mut(), &first), Poll::Pending);
        let t = timer.clone();
        let driver = loom::thread::spawn(move || t.process(due));
        let (second, second_wakes) = counting_waker();
        let outcome = poll(sleep.as_mut(), &second);
        assert_eq!(driver.join().unwrap(), 1);
        if outcome.is_pending() {
            assert_eq!(second_wakes.0.load(Ordering::SeqCst), 1);
        }
        assert_eq!(poll(sleep.as_mut(), &second), Poll::Ready(()));
    });
}

/// Dropping a sleep while the timer fires it: no use after free (loom tracks the cells) and
/// the wheel ends empty.
#[test]
fn drop_races_fire() {
    loom::model(|| {
        let (timer, mut sleep, due) = timer_and_sleep();
        let (waker, _) = counting_waker();
        assert_eq!(poll(sleep.as_mut(), &waker), Poll::Pending);
        let t = timer.clone();
        let driver = loom::thread::spawn(move || t.process(due));
        drop(sleep);
        let fired = driver.join().unwrap();
        assert!(fired <= 1);
        assert_eq!(timer.registered(), 0);
    });
}
