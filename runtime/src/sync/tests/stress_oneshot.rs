//! Oneshot ping-pong across two threads: every round trip completes, in order, with no hang.

use super::support::{scaled, with_watchdog};
use crate::sync::oneshot;

#[test]
fn ping_pong_round_trips_across_two_threads() {
    let rounds = scaled(100_000);
    with_watchdog("oneshot ping-pong", move || {
        let (to_pong, from_ping) = std::sync::mpsc::channel::<(u64, oneshot::Sender<u64>)>();
        let ponger = std::thread::spawn(move || {
            let mut served = 0u64;
            while let Ok((n, reply)) = from_ping.recv() {
                reply.send(n + 1).unwrap();
                served += 1;
            }
            served
        });
        // The std channel carries the sender; the oneshot carries the reply (the path under test).
        for i in 0..rounds as u64 {
            let (tx, rx) = oneshot::channel();
            to_pong.send((i, tx)).unwrap();
            assert_eq!(futures::executor::block_on(rx), Ok(i + 1));
        }
        drop(to_pong);
        assert_eq!(ponger.join().unwrap(), rounds as u64);
    });
}

#[test]
fn oneshot_ping_pong_both_directions() {
    let rounds = scaled(100_000);
    with_watchdog("oneshot ping-pong both ways", move || {
        // Each side hands the other a fresh oneshot sender through the previous oneshot.
        struct Msg(u64, oneshot::Sender<Msg>);
        let (tx0, rx0) = oneshot::channel::<Msg>();
        let pong = std::thread::spawn(move || {
            let mut rx = rx0;
            let mut last = 0;
            while let Ok(Msg(n, reply)) = futures::executor::block_on(rx) {
                let (tx, next) = oneshot::channel();
                last = n;
                if reply.send(Msg(n + 1, tx)).is_err() {
                    break;
                }
                rx = next;
            }
            last
        });
        let (mut tx, mut n) = (tx0, 0u64);
        for _ in 0..rounds {
            let (reply_tx, reply_rx) = oneshot::channel();
            assert!(tx.send(Msg(n, reply_tx)).is_ok());
            let Ok(Msg(m, next)) = futures::executor::block_on(reply_rx) else {
                panic!("pong hung up")
            };
            assert_eq!(m, n + 1);
            n = m + 1;
            tx = next;
        }
        drop(tx);
        assert_eq!(pong.join().unwrap(), n - 2);
    });
}
