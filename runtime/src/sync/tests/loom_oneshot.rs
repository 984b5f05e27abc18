//! Loom models of the oneshot channel: send, receive, drop and close in every interleaving.

use crate::sync::oneshot::{self, error::TryRecvError};
use crate::sync::park::block_on;
use loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

#[test]
fn send_races_recv_with_a_replaced_waker() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(1u8).unwrap());
        // First poll with one waker, then block with another: exercises waker replacement.
        let first = Pin::new(&mut rx).poll(&mut Context::from_waker(Waker::noop()));
        let got = match first {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => block_on(rx),
        };
        assert_eq!(got, Ok(1));
        t.join().unwrap();
    });
}

#[test]
fn sender_drop_races_recv() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        t.join().unwrap();
    });
}

#[test]
fn receiver_drop_races_send_value_dropped_once() {
    loom::model(|| {
        let value = Arc::new(());
        let (tx, rx) = oneshot::channel();
        let v2 = value.clone();
        let t = thread::spawn(move || tx.send(v2).is_ok());
        drop(rx);
        let _sent = t.join().unwrap();
        // Sent or returned, the value was dropped exactly once (loom checks Arc leaks too).
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

#[test]
fn close_races_send() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(5u8));
        rx.close();
        let sent = t.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(rx.try_recv(), Ok(5)),
            Err(v) => {
                assert_eq!(v, 5);
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            }
        }
    });
}

#[test]
fn sender_closed_wakes_on_receiver_drop() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        t.join().unwrap();
    });
}
