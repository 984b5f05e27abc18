//! `Sleep::reset` moves a timer, before or after it fired.

use super::support::*;
use std::task::Poll;

#[test]
fn reset_to_an_earlier_deadline_fires_there_only() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut sleep = sleep_at(&timer, ms(100));
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    sleep.as_mut().reset(at(&timer, ms(10)));
    assert_eq!(sleep.deadline(), at(&timer, ms(10)));
    assert_eq!(timer.registered(), 1);
    assert_eq!(advance(&timer, ms(9)), 0);
    assert_eq!(advance(&timer, ms(10)), 1);
    assert_eq!(wakes.get(), 1);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
    assert_eq!(advance(&timer, ms(200)), 0);
    assert_eq!(wakes.get(), 1);
}

#[test]
fn reset_to_a_later_deadline_does_not_fire_at_the_old_one() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut sleep = sleep_at(&timer, ms(100));
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    sleep.as_mut().reset(at(&timer, ms(5_000)));
    assert_eq!(advance(&timer, ms(150)), 0);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(4_999)), 0);
    assert_eq!(advance(&timer, ms(5_000)), 1);
    assert_eq!(wakes.get(), 1);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
}

#[test]
fn reset_after_completion_makes_the_sleep_pending_again() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut sleep = sleep_at(&timer, ms(10));
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(10)), 1);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
    sleep.as_mut().reset(at(&timer, ms(50)));
    assert!(!sleep.is_elapsed());
    assert_eq!(timer.registered(), 1);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(49)), 0);
    assert_eq!(advance(&timer, ms(50)), 1);
    assert_eq!(wakes.get(), 2);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
}

#[test]
fn reset_into_the_past_completes_on_the_next_poll() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut sleep = sleep_at(&timer, ms(100));
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(20)), 0);
    sleep.as_mut().reset(at(&timer, ms(10)));
    assert_eq!(timer.registered(), 0);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
    assert_eq!(wakes.get(), 0);
}

#[test]
fn reset_before_the_first_poll_only_moves_the_deadline() {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    let mut sleep = sleep_at(&timer, ms(100));
    sleep.as_mut().reset(at(&timer, ms(7)));
    assert_eq!(timer.registered(), 0);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(7)), 1);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
}
