//! Sleeps fire in deadline order, never before the deadline, and within one tick of it.

use super::support::*;
use std::task::Poll;

#[test]
fn sleeps_fire_at_their_deadline_rounded_up_to_the_next_millisecond() {
    let timer = manual_timer();
    let offsets_us = [
        2_500u64, 1_000, 7_000, 64_000, 63_250, 100, 150_000, 1_000, 4_096_001,
    ];
    let mut sleeps: Vec<_> = offsets_us
        .iter()
        .map(|&o| sleep_at(&timer, us(o)))
        .collect();
    let wakers: Vec<_> = offsets_us.iter().map(|_| counting_waker()).collect();
    for (s, (w, _)) in sleeps.iter_mut().zip(&wakers) {
        assert_eq!(poll_with(s.as_mut(), w), Poll::Pending);
    }
    assert_eq!(timer.registered(), offsets_us.len());

    let mut fired_at = vec![None; offsets_us.len()];
    let mut order = Vec::new();
    let mut total = 0;
    for step in 1..=(4_200_000 / 250) {
        let now_us = step * 250;
        total += advance(&timer, us(now_us));
        for (i, s) in sleeps.iter_mut().enumerate() {
            let (w, count) = &wakers[i];
            if fired_at[i].is_none() && count.get() == 1 {
                assert_eq!(poll_with(s.as_mut(), w), Poll::Ready(()));
                fired_at[i] = Some(now_us);
                order.push(i);
            } else if fired_at[i].is_none() {
                assert_eq!(
                    poll_with(s.as_mut(), w),
                    Poll::Pending,
                    "sleep {i} ready without a wake"
                );
            }
        }
    }
    for (i, &o) in offsets_us.iter().enumerate() {
        let expected = o.div_ceil(1_000) * 1_000;
        assert_eq!(fired_at[i], Some(expected), "sleep {i} due at {o} us");
        assert!(expected >= o && expected - o < 1_000);
        assert_eq!(wakers[i].1.get(), 1, "sleep {i} woken exactly once");
    }
    assert_eq!(order, vec![1, 5, 7, 0, 2, 3, 4, 6, 8]);
    assert_eq!(total, offsets_us.len());
    assert_eq!(timer.registered(), 0);
}

#[test]
fn first_poll_of_a_passed_deadline_completes_on_that_poll() {
    let timer = manual_timer();
    advance(&timer, ms(50));
    let mut sleep = sleep_at(&timer, ms(10));
    let (waker, wakes) = counting_waker();
    assert!(!sleep.is_elapsed());
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
    assert!(sleep.is_elapsed());
    assert_eq!(timer.registered(), 0);
    assert_eq!(wakes.get(), 0);
    assert_eq!(advance(&timer, ms(100)), 0);
}

#[test]
fn a_sleep_due_exactly_now_completes_on_first_poll() {
    let timer = manual_timer();
    let mut sleep = sleep_at(&timer, ms(0));
    let (waker, _) = counting_waker();
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
    assert_eq!(timer.registered(), 0);
}

#[test]
fn an_exhausted_budget_delays_an_elapsed_sleep() {
    use crate::runtime::coop;
    let timer = manual_timer();
    let mut sleep = sleep_at(&timer, ms(5));
    let (waker, wakes) = counting_waker();
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(5)), 1);
    assert_eq!(wakes.get(), 1);
    let ((), exhausted) = coop::budget(|| {
        let mut cx = std::task::Context::from_waker(&waker);
        while coop::poll_budgeted(&mut cx, |_| Poll::Ready(())).is_ready() {}
        assert_eq!(wakes.get(), 2, "the budget check wakes the task to yield");
        assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
        assert_eq!(wakes.get(), 3);
    });
    assert!(exhausted);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Ready(()));
}

#[test]
#[should_panic(expected = "there is no timer running")]
fn sleep_outside_a_runtime_panics_with_a_clear_message() {
    drop(crate::time::sleep(ms(1)));
}

#[test]
fn time_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<crate::time::Sleep>();
    send_sync::<crate::time::Timeout<std::future::Ready<u8>>>();
    send_sync::<crate::time::Interval>();
    send_sync::<crate::time::TimerHandle>();
    send_sync::<crate::time::error::Elapsed>();
    send_sync::<crate::time::Instant>();
}
