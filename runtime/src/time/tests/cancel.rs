//! A dropped sleep leaves the wheel at once and never fires.

use super::support::*;
use std::task::Poll;

#[test]
fn hundred_thousand_sleeps_half_dropped_fire_exactly_half() {
    const N: u64 = 100_000;
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut sleeps: Vec<_> = (0..N)
        .map(|i| Some(sleep_at(&timer, us(1_000 + i * 97 % 10_000_000))))
        .collect();
    for s in sleeps.iter_mut().flatten() {
        assert_eq!(poll_with(s.as_mut(), &waker), Poll::Pending);
    }
    assert_eq!(timer.registered(), N as usize);
    for s in sleeps.iter_mut().skip(1).step_by(2) {
        *s = None;
    }
    assert_eq!(timer.registered(), N as usize / 2);
    assert_eq!(advance(&timer, ms(11_000)), N as usize / 2);
    assert_eq!(wakes.get(), N as usize / 2);
    assert_eq!(timer.registered(), 0);
    assert_eq!(timer.next_deadline(), None);
    for s in sleeps.iter_mut().flatten() {
        assert_eq!(poll_with(s.as_mut(), &waker), Poll::Ready(()));
    }
    assert_eq!(sleeps.iter().flatten().count(), N as usize / 2);
}

#[test]
fn a_dropped_sleep_is_removed_at_once_and_never_woken() {
    let timer = manual_timer();
    let (kept_waker, kept_wakes) = counting_waker();
    let (dropped_waker, dropped_wakes) = counting_waker();
    let mut kept = sleep_at(&timer, ms(10));
    let mut dropped = sleep_at(&timer, ms(10));
    assert_eq!(poll_with(kept.as_mut(), &kept_waker), Poll::Pending);
    assert_eq!(poll_with(dropped.as_mut(), &dropped_waker), Poll::Pending);
    assert_eq!(timer.registered(), 2);
    drop(dropped);
    assert_eq!(timer.registered(), 1);
    assert_eq!(advance(&timer, ms(10)), 1);
    assert_eq!(kept_wakes.get(), 1);
    assert_eq!(dropped_wakes.get(), 0);
    assert_eq!(timer.registered(), 0);
}

#[test]
fn dropping_the_earliest_sleep_moves_the_next_deadline() {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    let mut early = sleep_at(&timer, ms(5));
    let mut late = sleep_at(&timer, ms(40));
    assert_eq!(poll_with(early.as_mut(), &waker), Poll::Pending);
    assert_eq!(poll_with(late.as_mut(), &waker), Poll::Pending);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(5)));
    drop(early);
    assert_eq!(timer.next_deadline(), Some(timer.start() + ms(40)));
    drop(late);
    assert_eq!(timer.next_deadline(), None);
}

#[test]
fn dropping_fired_unpolled_and_never_polled_sleeps_is_clean() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut fired = sleep_at(&timer, ms(3));
    let never_polled = sleep_at(&timer, ms(1));
    assert_eq!(poll_with(fired.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(3)), 1);
    assert!(fired.is_elapsed());
    assert!(!never_polled.is_elapsed());
    drop(fired);
    drop(never_polled);
    assert_eq!(wakes.get(), 1);
    assert_eq!(timer.registered(), 0);
}
