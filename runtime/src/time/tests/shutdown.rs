//! After `shutdown`, every pending timer was woken once and none ever fires.

use super::support::*;
use std::task::Poll;

#[test]
fn shutdown_wakes_every_pending_timer_once_and_they_stay_pending() {
    let timer = manual_timer();
    let offsets = [1u64, 70, 5_000, 3_600_000];
    let mut sleeps: Vec<_> = offsets.iter().map(|&o| sleep_at(&timer, ms(o))).collect();
    let wakers: Vec<_> = offsets.iter().map(|_| counting_waker()).collect();
    for (s, (w, _)) in sleeps.iter_mut().zip(&wakers) {
        assert_eq!(poll_with(s.as_mut(), w), Poll::Pending);
    }
    timer.shutdown();
    assert_eq!(timer.registered(), 0);
    assert_eq!(timer.next_deadline(), None);
    for (s, (w, count)) in sleeps.iter_mut().zip(&wakers) {
        assert_eq!(count.get(), 1);
        assert_eq!(poll_with(s.as_mut(), w), Poll::Pending);
        assert!(!s.is_elapsed());
    }
    assert_eq!(advance(&timer, ms(10_000_000)), 0);
    for (s, (w, count)) in sleeps.iter_mut().zip(&wakers) {
        assert_eq!(poll_with(s.as_mut(), w), Poll::Pending);
        assert_eq!(count.get(), 1);
    }
}

#[test]
fn sleeps_registered_after_shutdown_stay_pending_and_drop_cleanly() {
    let timer = manual_timer();
    timer.shutdown();
    let (waker, wakes) = counting_waker();
    let mut sleep = sleep_at(&timer, ms(5));
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(timer.registered(), 0);
    assert_eq!(advance(&timer, ms(10)), 0);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    sleep.as_mut().reset(at(&timer, ms(1)));
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    drop(sleep);
    assert_eq!(wakes.get(), 0);
}
