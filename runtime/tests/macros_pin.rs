//! `pin!`: both forms pin locals on the stack, and a pinned future keeps its progress when polled
//! again through `&mut`. Driven by `futures::executor::block_on`.

mod macros_fixtures;

use futures::executor::block_on;
use macros_fixtures::Countdown;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::Poll;

/// An `!Unpin` future: only pollable once pinned.
async fn not_unpin(n: u32) -> u32 {
    let _pinned = PhantomPinned;
    std::future::ready(()).await;
    n
}

fn is_pinned<F: Future>(_: &Pin<&mut F>) {}

#[test]
fn pins_existing_locals() {
    let sum = block_on(async {
        let a = not_unpin(1);
        let b = not_unpin(2);
        zokio::pin!(a, b);
        is_pinned(&a);
        is_pinned(&b);
        (&mut a).await + b.as_mut().await
    });
    assert_eq!(sum, 3);
}

#[test]
fn pins_new_locals() {
    let sum = block_on(async {
        zokio::pin! {
            let a = not_unpin(10);
            let b = not_unpin(20);
        }
        is_pinned(&a);
        a.as_mut().await + b.as_mut().await
    });
    assert_eq!(sum, 30);
}

#[test]
fn a_pinned_future_keeps_its_progress() {
    let countdown = Countdown::new(2, 5u8);
    let probe = countdown.probe.clone();
    let polls = block_on(async {
        zokio::pin!(countdown);
        let first = futures::poll!(countdown.as_mut());
        let second = futures::poll!(countdown.as_mut());
        let third = futures::poll!(countdown.as_mut());
        [first, second, third]
    });
    assert_eq!(polls, [Poll::Pending, Poll::Pending, Poll::Ready(5)]);
    assert_eq!((probe.polls(), probe.drops()), (3, 1));
}
