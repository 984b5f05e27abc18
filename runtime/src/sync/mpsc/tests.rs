//! Unit tests of the mpsc channels, polled by hand with counting wakers.

use super::error::{TryRecvError, TrySendError};
use super::*;
use crate::sync::tests::support::{counting_waker, poll_once};
use futures::executor::block_on;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll};

#[test]
fn bounded_delivers_in_order_and_ends_when_senders_leave() {
    let (tx, mut rx) = channel(4);
    let tx2 = tx.clone();
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    tx2.try_send(3).unwrap();
    assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
    assert_eq!((rx.len(), tx.capacity(), tx.max_capacity()), (4, 0, 4));
    drop((tx, tx2));
    let got: Vec<_> = std::iter::from_fn(|| rx.blocking_recv()).collect();
    assert_eq!(got, vec![0, 1, 2, 3]);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn receiver_is_woken_once_per_park() {
    let (tx, mut rx) = channel::<u32>(8);
    let (w, c) = counting_waker();
    let mut cx = Context::from_waker(&w);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(c.count(), 1);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(2)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    drop(tx);
    assert_eq!(c.count(), 2);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
}

#[test]
fn full_sender_waits_and_is_woken_by_recv() {
    let (tx, mut rx) = channel(1);
    tx.try_send(1).unwrap();
    let (w, c) = counting_waker();
    let mut send = pin!(tx.send(2));
    assert!(poll_once(send.as_mut(), &w).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(c.count(), 1);
    assert_eq!(poll_once(send, &w), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn close_rejects_sends_but_keeps_buffered_and_reserved_messages() {
    let (tx, mut rx) = channel(4);
    tx.try_send(1).unwrap();
    let permit = tx.try_reserve().unwrap();
    let (w, c) = counting_waker();
    let mut closed = pin!(tx.closed());
    assert!(poll_once(closed.as_mut(), &w).is_pending());
    rx.close();
    assert_eq!(c.count(), 1);
    assert!(poll_once(closed, &w).is_ready());
    assert!(tx.is_closed());
    assert!(matches!(tx.try_send(5), Err(TrySendError::Closed(5))));
    assert_eq!(block_on(tx.send(6)).unwrap_err().0, 6);
    permit.send(2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    // Closed and idle: the stream ended even though a sender is alive.
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn unused_permit_after_close_ends_the_stream_and_wakes() {
    let (tx, mut rx) = channel::<u8>(2);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let (w, c) = counting_waker();
    let mut cx = Context::from_waker(&w);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    drop(permit);
    assert_eq!(c.count(), 1);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
}

#[test]
fn owned_permit_and_reserve() {
    let (tx, mut rx) = channel(1);
    let permit = block_on(tx.clone().reserve_owned()).unwrap();
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    let tx2 = permit.send(7);
    assert!(tx2.same_channel(&tx));
    assert_eq!(rx.try_recv(), Ok(7));
    let p = block_on(tx.reserve()).unwrap();
    drop(p);
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn buffered_messages_are_dropped_with_the_receiver() {
    let item = StdArc::new(());
    let (tx, rx) = channel(4);
    let (utx, urx) = unbounded_channel();
    tx.try_send(item.clone()).unwrap();
    utx.send(item.clone()).unwrap();
    assert_eq!(StdArc::strong_count(&item), 3);
    drop((rx, urx));
    assert_eq!(StdArc::strong_count(&item), 1);
    assert!(utx.send(item.clone()).is_err());
    assert_eq!(StdArc::strong_count(&item), 1);
}

#[test]
fn unbounded_send_recv_close() {
    let (tx, mut rx) = unbounded_channel();
    for i in 0..100 {
        tx.send(i).unwrap();
    }
    let mut buf = Vec::new();
    assert_eq!(block_on(rx.recv_many(&mut buf, 60)), 60);
    assert_eq!(block_on(rx.recv_many(&mut buf, 60)), 40);
    assert_eq!(buf, (0..100).collect::<Vec<_>>());
    rx.close();
    assert_eq!(tx.send(1).unwrap_err().0, 1);
    assert!(tx.is_closed());
    assert_eq!(block_on(rx.recv()), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn cancelled_send_passes_its_slot_on() {
    let (tx, mut rx) = channel(1);
    tx.try_send(0).unwrap();
    let (w, c) = counting_waker();
    let mut first = Box::pin(tx.send(1));
    let mut second = pin!(tx.send(2));
    assert!(poll_once(first.as_mut(), &w).is_pending());
    assert!(poll_once(second.as_mut(), &w).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(c.count(), 1);
    drop(first);
    assert_eq!(c.count(), 2);
    assert_eq!(poll_once(second, &w), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}
