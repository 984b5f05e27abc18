//! `Timeout` yields `Elapsed` only once the deadline passed, the inner value otherwise.

use super::support::*;
use crate::time::error::Elapsed;
use crate::time::Timeout;
use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Ready with 5 once its flag is set.
struct Flagged(Arc<AtomicBool>);

impl Future for Flagged {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        if self.0.load(Ordering::SeqCst) {
            Poll::Ready(5)
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn elapses_only_when_the_deadline_passes() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let mut t = Box::pin(Timeout::new_with_timer(
        timer.clone(),
        pending::<u32>(),
        at(&timer, ms(20)),
    ));
    assert_eq!(poll_with(t.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(19)), 0);
    assert_eq!(poll_with(t.as_mut(), &waker), Poll::Pending);
    assert_eq!(wakes.get(), 0);
    assert_eq!(advance(&timer, ms(20)), 1);
    assert_eq!(wakes.get(), 1);
    assert_eq!(
        poll_with(t.as_mut(), &waker),
        Poll::Ready(Err(Elapsed::new()))
    );
    assert_eq!(Elapsed::new().to_string(), "deadline has elapsed");
}

#[test]
fn returns_the_inner_value_before_the_deadline() {
    let timer = manual_timer();
    let (waker, wakes) = counting_waker();
    let flag = Arc::new(AtomicBool::new(false));
    let mut t = Box::pin(Timeout::new_with_timer(
        timer.clone(),
        Flagged(flag.clone()),
        at(&timer, ms(20)),
    ));
    assert_eq!(poll_with(t.as_mut(), &waker), Poll::Pending);
    assert_eq!(timer.registered(), 1);
    assert_eq!(advance(&timer, ms(10)), 0);
    flag.store(true, Ordering::SeqCst);
    assert_eq!(poll_with(t.as_mut(), &waker), Poll::Ready(Ok(5)));
    assert!(t.get_ref().0.load(Ordering::SeqCst));
    drop(t);
    assert_eq!(timer.registered(), 0);
    assert_eq!(advance(&timer, ms(30)), 0);
    assert_eq!(wakes.get(), 0);
}

#[test]
fn a_ready_inner_future_wins_even_past_the_deadline() {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    advance(&timer, ms(50));
    let mut t = Box::pin(Timeout::new_with_timer(
        timer.clone(),
        ready(8),
        at(&timer, ms(20)),
    ));
    assert_eq!(poll_with(t.as_mut(), &waker), Poll::Ready(Ok(8)));
    let mut late = Box::pin(Timeout::new_with_timer(
        timer.clone(),
        pending::<()>(),
        at(&timer, ms(20)),
    ));
    assert_eq!(
        poll_with(late.as_mut(), &waker),
        Poll::Ready(Err(Elapsed::new()))
    );
}

#[test]
fn the_deadline_fires_even_when_the_inner_future_spent_the_budget() {
    use crate::runtime::coop;
    /// Spends the whole budget and stays pending.
    struct Greedy;
    impl Future for Greedy {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            for _ in 0..=coop::BUDGET {
                if coop::poll_budgeted(cx, |_| Poll::Ready(())).is_pending() {
                    break;
                }
            }
            Poll::Pending
        }
    }
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    let mut t = Box::pin(Timeout::new_with_timer(
        timer.clone(),
        Greedy,
        at(&timer, ms(5)),
    ));
    assert_eq!(poll_with(t.as_mut(), &waker), Poll::Pending);
    assert_eq!(advance(&timer, ms(5)), 1);
    let (out, _) = coop::budget(|| poll_with(t.as_mut(), &waker));
    assert_eq!(out, Poll::Ready(Err(Elapsed::new())));
}

#[test]
fn into_inner_and_get_mut_give_back_the_future() {
    let timer = manual_timer();
    let (waker, _) = counting_waker();
    let mut t = Timeout::new_with_timer(timer.clone(), ready(3), at(&timer, ms(20)));
    assert_eq!(poll_with(Pin::new(t.get_mut()), &waker), Poll::Ready(3));
    let t = Timeout::new_with_timer(timer.clone(), ready(4), at(&timer, ms(20)));
    assert_eq!(t.into_inner().into_inner(), 4);
    assert_eq!(timer.registered(), 0);
}
