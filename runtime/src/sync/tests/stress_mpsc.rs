//! mpsc across threads: every message arrives exactly once and in per-sender order.

use super::support::{scaled, with_watchdog};
use crate::sync::mpsc;

const PRODUCERS: u64 = 4;

/// Checks that `(producer, seq)` pairs arrive in per-producer order, all of them.
struct OrderCheck {
    next: Vec<u64>,
}

impl OrderCheck {
    fn new() -> Self {
        OrderCheck {
            next: vec![0; PRODUCERS as usize],
        }
    }

    fn see(&mut self, (p, seq): (u64, u64)) {
        assert_eq!(seq, self.next[p as usize], "producer {p} out of order");
        self.next[p as usize] += 1;
    }
}

#[test]
fn bounded_one_million_messages_four_producers() {
    let per = scaled(1_000_000) as u64 / PRODUCERS;
    with_watchdog("mpsc bounded", move || {
        let (tx, mut rx) = mpsc::channel(1024);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for seq in 0..per {
                        if seq % 2 == 0 {
                            futures::executor::block_on(tx.send((p, seq))).unwrap();
                        } else {
                            tx.blocking_send((p, seq)).unwrap();
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut check = OrderCheck::new();
        let mut total = 0;
        while let Some(m) = futures::executor::block_on(rx.recv()) {
            check.see(m);
            total += 1;
        }
        producers.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(total, per * PRODUCERS);
        assert_eq!(check.next, vec![per; PRODUCERS as usize]);
    });
}

#[test]
fn bounded_small_capacity_recv_many() {
    let per = scaled(200_000) as u64 / PRODUCERS;
    with_watchdog("mpsc bounded(2) recv_many", move || {
        let (tx, mut rx) = mpsc::channel(2);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    (0..per).for_each(|seq| tx.blocking_send((p, seq)).unwrap())
                })
            })
            .collect();
        drop(tx);
        let mut check = OrderCheck::new();
        let mut buf = Vec::new();
        let mut total = 0;
        while futures::executor::block_on(rx.recv_many(&mut buf, 16)) > 0 {
            total += buf.len() as u64;
            buf.drain(..).for_each(|m| check.see(m));
        }
        producers.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(total, per * PRODUCERS);
    });
}

#[test]
fn unbounded_one_million_messages_four_producers() {
    let per = scaled(1_000_000) as u64 / PRODUCERS;
    with_watchdog("mpsc unbounded", move || {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || (0..per).for_each(|seq| tx.send((p, seq)).unwrap()))
            })
            .collect();
        drop(tx);
        let mut check = OrderCheck::new();
        let mut total = 0;
        while let Some(m) = rx.blocking_recv() {
            check.see(m);
            total += 1;
        }
        producers.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(total, per * PRODUCERS);
        assert_eq!(check.next, vec![per; PRODUCERS as usize]);
    });
}
