//! Timers filed in upper levels cascade down and fire exactly at their tick.

use super::support::*;
use std::task::Poll;
use std::time::Duration;

const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;

/// Registers one sleep per offset (ms), then for each offset in turn checks that processing up
/// to one microsecond before it fires nothing, and processing at it fires exactly that sleep.
fn fires_each_exactly_at(offsets_ms: &[u64]) {
    let timer = manual_timer();
    let mut sleeps: Vec<_> = offsets_ms
        .iter()
        .map(|&o| sleep_at(&timer, ms(o)))
        .collect();
    let wakers: Vec<_> = offsets_ms.iter().map(|_| counting_waker()).collect();
    for (s, (w, _)) in sleeps.iter_mut().zip(&wakers) {
        assert_eq!(poll_with(s.as_mut(), w), Poll::Pending);
    }
    for (i, &o) in offsets_ms.iter().enumerate() {
        assert_eq!(
            advance(&timer, ms(o) - us(1)),
            0,
            "nothing fires before {o} ms"
        );
        assert_eq!(wakers[i].1.get(), 0);
        let next = timer.next_deadline().expect("a timer is pending");
        assert!(
            next <= timer.start() + ms(o),
            "park timeout never overshoots {o} ms"
        );
        assert_eq!(
            advance(&timer, ms(o)),
            1,
            "the {o} ms sleep fires at {o} ms"
        );
        assert_eq!(wakers[i].1.get(), 1);
        assert_eq!(poll_with(sleeps[i].as_mut(), &wakers[i].0), Poll::Ready(()));
        assert_eq!(timer.registered(), offsets_ms.len() - i - 1);
        for (j, (w, count)) in wakers.iter().enumerate().skip(i + 1) {
            assert_eq!(count.get(), 0);
            assert_eq!(poll_with(sleeps[j].as_mut(), w), Poll::Pending);
        }
    }
    assert_eq!(timer.next_deadline(), None);
}

#[test]
fn cascading_from_every_level_is_exact() {
    fires_each_exactly_at(&[1, 63, 64, 4_095, 4_096, HOUR, 30 * DAY]);
}

#[test]
fn level_boundaries_are_exact() {
    fires_each_exactly_at(&[
        65, 127, 128, 129, 4_097, 262_143, 262_144, 262_145, 16_777_216,
    ]);
}

#[test]
fn stepping_every_millisecond_fires_each_timer_at_its_tick() {
    let timer = manual_timer();
    let mut sleeps = Vec::new();
    let (waker, _) = counting_waker();
    // Registered at tick 0 and again from tick 1000, so `elapsed` is not aligned.
    let offsets: Vec<u64> = vec![
        1, 2, 63, 64, 65, 127, 128, 129, 1_000, 4_095, 4_096, 4_097, 4_160,
    ];
    for &o in &offsets {
        sleeps.push((o, sleep_at(&timer, ms(o))));
    }
    let mut late: Vec<u64> = offsets.iter().map(|o| o + 1_000).collect();
    late.extend([1_063, 1_064, 5_096, 5_121, 1_000 + 64 * 64 * 2]);
    for s in sleeps.iter_mut() {
        assert_eq!(poll_with(s.1.as_mut(), &waker), Poll::Pending);
    }
    for tick in 1..=9_200u64 {
        if tick == 1_000 {
            for &o in &late {
                let mut s = sleep_at(&timer, ms(o));
                assert_eq!(poll_with(s.as_mut(), &waker), Poll::Pending);
                sleeps.push((o, s));
            }
        }
        let due = sleeps
            .iter()
            .filter(|(o, s)| *o == tick && !s.is_elapsed())
            .count();
        assert_eq!(advance(&timer, ms(tick)), due, "tick {tick}");
        for (o, s) in sleeps.iter_mut() {
            let expect = if *o <= tick {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
            assert_eq!(
                poll_with(s.as_mut(), &waker),
                expect,
                "sleep {o} at tick {tick}"
            );
        }
    }
    assert_eq!(timer.registered(), 0);
}

#[test]
fn a_duration_max_sleep_saturates_and_never_panics() {
    let now = crate::time::Instant::now();
    let deadline = now.saturating_add(Duration::MAX);
    assert!(deadline >= now + Duration::from_secs(29 * 365 * 86_400));
    assert_eq!(now.checked_add(Duration::MAX), None);

    let timer = manual_timer();
    let mut sleep = Box::pin(crate::time::Sleep::new_with_timer(timer.clone(), deadline));
    let (waker, wakes) = counting_waker();
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(timer.registered(), 1);
    // Beyond the wheel's span (about 2.2 years): refiled, never fired.
    for years in [1u64, 3, 5, 20] {
        assert_eq!(
            advance(&timer, Duration::from_secs(years * 365 * 86_400)),
            0
        );
        assert!(timer.next_deadline().is_some());
    }
    assert_eq!(wakes.get(), 0);
    assert_eq!(poll_with(sleep.as_mut(), &waker), Poll::Pending);
    assert_eq!(timer.registered(), 1);
    drop(sleep);
    assert_eq!(timer.registered(), 0);
}
