//! Loom models of `Notify`: no interleaving loses a notification.

use crate::sync::park::block_on;
use crate::sync::Notify;
use loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

#[test]
fn notify_one_races_notified() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_one());
        block_on(notify.notified());
        t.join().unwrap();
    });
}

#[test]
fn notify_waiters_races_a_registering_waiter() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let n2 = notify.clone();
        // Created before the call: whatever the interleaving of its registration with
        // `notify_waiters`, it completes.
        let notified = notify.notified();
        let t = thread::spawn(move || n2.notify_waiters());
        block_on(notified);
        t.join().unwrap();
        // notify_waiters stores no permit.
        let mut late = pin!(notify.notified());
        assert!(late
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
    });
}

#[test]
fn cancelled_waiter_passes_its_notification_on() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let (n1, n2) = (notify.clone(), notify.clone());
        let canceller = thread::spawn(move || {
            let mut notified = pin!(n1.notified());
            // Ready here means it consumed the notification itself.
            notified
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_ready()
        });
        let waiter = thread::spawn(move || block_on(n2.notified()));
        notify.notify_one();
        if canceller.join().unwrap() {
            notify.notify_one();
        }
        // A lost notification leaves `waiter` blocked forever: loom reports the deadlock.
        waiter.join().unwrap();
    });
}
