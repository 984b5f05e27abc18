//! `Interval` ticks: first at once, then every period, and each `MissedTickBehavior` when late.

use super::support::*;
use crate::time::{Instant, Interval, MissedTickBehavior, TimerHandle};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

fn tick(interval: &mut Interval, waker: &Waker) -> Poll<Instant> {
    interval.poll_tick(&mut Context::from_waker(waker))
}

/// Ticks at 0 and 10 ms, then misses 20 and 30 ms (processed at 35 ms): returns the timer and
/// the interval positioned right after yielding the late 20 ms tick.
fn late_interval(behavior: MissedTickBehavior) -> (TimerHandle, Interval, Waker) {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    let mut interval = Interval::new_with_timer(timer.clone(), at(&timer, ms(0)), ms(10));
    interval.set_missed_tick_behavior(behavior);
    assert_eq!(interval.missed_tick_behavior(), behavior);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(0))));
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(10)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(10))));
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(35)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(20))));
    (timer, interval, waker)
}

#[test]
fn burst_yields_missed_ticks_at_once_then_keeps_the_schedule() {
    let (timer, mut interval, waker) = late_interval(MissedTickBehavior::Burst);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(30))));
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(39)), 0);
    assert_eq!(advance(&timer, ms(40)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(40))));
    assert_eq!(advance(&timer, ms(50)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(50))));
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    let (timer, mut interval, waker) = late_interval(MissedTickBehavior::Delay);
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(44)), 0);
    assert_eq!(advance(&timer, ms(45)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(45))));
    assert_eq!(advance(&timer, ms(55)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(55))));
}

#[test]
fn skip_drops_missed_ticks_and_stays_on_the_original_grid() {
    let (timer, mut interval, waker) = late_interval(MissedTickBehavior::Skip);
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(39)), 0);
    assert_eq!(advance(&timer, ms(40)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(40))));
    assert_eq!(advance(&timer, ms(50)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(50))));
}

#[test]
fn a_tick_a_little_late_keeps_the_schedule_whatever_the_behavior() {
    for behavior in [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ] {
        let timer = manual_timer();
        let (waker, _) = counting_waker();
        let mut interval = Interval::new_with_timer(timer.clone(), at(&timer, ms(0)), ms(100));
        interval.set_missed_tick_behavior(behavior);
        assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(0))));
        assert_eq!(advance(&timer, ms(103)), 1);
        assert_eq!(
            tick(&mut interval, &waker),
            Poll::Ready(at(&timer, ms(100)))
        );
        assert_eq!(advance(&timer, ms(199)), 0);
        assert_eq!(advance(&timer, ms(200)), 1);
        assert_eq!(
            tick(&mut interval, &waker),
            Poll::Ready(at(&timer, ms(200))),
            "{behavior:?}"
        );
    }
}

#[test]
fn first_tick_is_immediate_and_reset_restarts_from_now() {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    advance(&timer, ms(7));
    let mut interval = Interval::new_with_timer(timer.clone(), at(&timer, ms(7)), ms(10));
    assert_eq!(interval.period(), ms(10));
    assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(7))));
    advance(&timer, ms(12));
    interval.reset();
    assert_eq!(advance(&timer, ms(21)), 0);
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(22)), 1);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(22))));
    interval.reset_immediately();
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(22))));
}

#[test]
fn an_interval_of_duration_max_saturates() {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    let mut interval = Interval::new_with_timer(timer.clone(), at(&timer, ms(0)), Duration::MAX);
    assert_eq!(tick(&mut interval, &waker), Poll::Ready(at(&timer, ms(0))));
    assert_eq!(tick(&mut interval, &waker), Poll::Pending);
    assert_eq!(timer.registered(), 1);
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn a_zero_period_panics() {
    drop(crate::time::interval(Duration::ZERO));
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn a_zero_period_panics_in_interval_at() {
    drop(crate::time::interval_at(Instant::now(), Duration::ZERO));
}
