//! The scheduler's side: `next_deadline`, `unpark`, shards.

use super::support::*;
use crate::time::{Sleep, TimerHandle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

fn counting_unpark() -> (Arc<dyn Fn() + Send + Sync>, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    (
        Arc::new(move || _ = c.fetch_add(1, Ordering::SeqCst)),
        count,
    )
}

#[test]
fn unpark_is_called_only_for_a_new_earliest_timer() {
    let (unpark, unparks) = counting_unpark();
    let timer = TimerHandle::manual(1, unpark);
    let (waker, _) = counting_waker();
    assert_eq!(timer.next_deadline(), None);
    let mut a = sleep_at(&timer, ms(50));
    assert_eq!(poll_with(a.as_mut(), &waker), Poll::Pending);
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(50)));
    let mut b = sleep_at(&timer, ms(60));
    assert_eq!(poll_with(b.as_mut(), &waker), Poll::Pending);
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
    let mut c = sleep_at(&timer, ms(20));
    assert_eq!(poll_with(c.as_mut(), &waker), Poll::Pending);
    assert_eq!(unparks.load(Ordering::SeqCst), 2);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(20)));
    assert_eq!(advance(&timer, ms(20)), 1);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(50)));
}

#[test]
fn shards_are_independent_and_summed() {
    let (unpark, unparks) = counting_unpark();
    let timer = TimerHandle::manual(4, unpark);
    let (waker, wakes) = counting_waker();
    let mut sleeps = Vec::new();
    for (shard, offset) in [(0, 40u64), (1, 30), (2, 10), (3, 20), (2, 50), (1, 5_000)] {
        let mut s = Box::pin(Sleep::new_with_timer(timer.clone(), at(&timer, ms(offset))));
        // SAFETY: not yet registered, and `Sleep` fields other than the entry are not pinned.
        unsafe { s.as_mut().get_unchecked_mut() }.set_shard(shard);
        assert_eq!(poll_with(s.as_mut(), &waker), Poll::Pending);
        sleeps.push(s);
    }
    // A new earliest timer on shards 0, 1 (30 < 40) and 2 (10 < 30); not 3 (20 > 10) nor later.
    assert_eq!(unparks.load(Ordering::SeqCst), 3);
    assert_eq!(timer.registered(), 6);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(10)));
    assert_eq!(advance(&timer, ms(30)), 3);
    assert_eq!(wakes.get(), 3);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(40)));
    assert_eq!(advance(&timer, ms(5_000)), 3);
    assert_eq!(timer.registered(), 0);
    assert!(sleeps.iter().all(|s| s.is_elapsed()));
}

#[test]
fn process_with_nothing_due_fires_nothing() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut s = sleep_at(&timer, ms(100));
    assert_eq!(poll_with(s.as_mut(), &waker), Poll::Pending);
    for t in 0..64 {
        assert_eq!(advance(&timer, ms(t)), 0);
    }
    assert_eq!(wakes.get(), 0);
    assert_eq!(timer.registered(), 1);
}

#[test]
fn a_real_clock_timer_completes_past_deadlines_on_first_poll() {
    let timer = TimerHandle::new(2, Arc::new(|| {}));
    let (waker, _) = counting_waker();
    let past = crate::time::Instant::now();
    let mut s = Box::pin(Sleep::new_with_timer(timer.clone(), past));
    assert_eq!(poll_with(s.as_mut(), &waker), Poll::Ready(()));
    let far = crate::time::Instant::now() + ms(3_600_000);
    let mut f = Box::pin(Sleep::new_with_timer(timer.clone(), far));
    assert_eq!(poll_with(f.as_mut(), &waker), Poll::Pending);
    assert_eq!(timer.registered(), 1);
    assert_eq!(timer.process(std::time::Instant::now()), 0);
    assert_eq!(timer.process((far - ms(1)).into_std()), 0);
    // The park timeout never overshoots (upper levels report their cascade point, earlier).
    assert!(timer.next_deadline().unwrap() <= far.into_std());
    // The deadline is rounded up to the next whole millisecond since the timer's start.
    assert_eq!(timer.process((far + ms(1)).into_std()), 1);
    assert!(f.is_elapsed());
}
