//! Notify handoffs across threads: every `notify_one` is consumed exactly once, none is lost.

use super::support::{scaled, with_watchdog};
use crate::sync::Notify;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn one_million_notify_one_handoffs_ping_pong() {
    let rounds = scaled(1_000_000);
    with_watchdog("notify ping-pong", move || {
        let ping = Arc::new((Notify::new(), Notify::new()));
        let pong = ping.clone();
        let other = std::thread::spawn(move || {
            for _ in 0..rounds {
                futures::executor::block_on(pong.0.notified());
                pong.1.notify_one();
            }
        });
        for _ in 0..rounds {
            ping.0.notify_one();
            futures::executor::block_on(ping.1.notified());
        }
        other.join().unwrap();
    });
}

#[test]
fn counted_notifications_with_many_waiters() {
    // Producers bump a counter then notify_one; consumers wait until they have taken all items.
    // A lost notification leaves a consumer asleep with items left: the watchdog fails the test.
    let items = scaled(200_000);
    with_watchdog("notify counted", move || {
        let shared = Arc::new((Notify::new(), AtomicUsize::new(0), AtomicUsize::new(0)));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let s = shared.clone();
                std::thread::spawn(move || {
                    let mut mine = 0;
                    loop {
                        // Take an item if one is available.
                        let avail = s.1.load(Ordering::SeqCst);
                        if avail > 0
                            && s.1
                                .compare_exchange(
                                    avail,
                                    avail - 1,
                                    Ordering::SeqCst,
                                    Ordering::SeqCst,
                                )
                                .is_ok()
                        {
                            mine += 1;
                            if s.2.fetch_add(1, Ordering::SeqCst) + 1 == items {
                                s.0.notify_waiters();
                            }
                            continue;
                        }
                        if s.2.load(Ordering::SeqCst) == items {
                            return mine;
                        }
                        let mut notified = std::pin::pin!(s.0.notified());
                        notified.as_mut().enable();
                        if s.1.load(Ordering::SeqCst) > 0 || s.2.load(Ordering::SeqCst) == items {
                            continue;
                        }
                        futures::executor::block_on(notified);
                    }
                })
            })
            .collect();
        for _ in 0..items {
            shared.1.fetch_add(1, Ordering::SeqCst);
            shared.0.notify_one();
        }
        let total: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(total, items);
        assert_eq!(shared.1.load(Ordering::SeqCst), 0);
    });
}
