//! `zokio::sync` under real schedulers, over every flavor: no lost wake-up across threads (every
//! message received exactly once, every hand-off counted), mutual exclusion and FIFO fairness,
//! semaphore bounds, broadcast delivery and watch's last value.
//!
//! Counts: the lost-wake-up tests move 1,000,000 messages / hand-offs in every build (about
//! 0.6 s per test in debug, so no scaling). A lost wake-up hangs, so every test runs under a
//! 60 s watchdog that aborts the process.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use support::Watchdog;
use zokio::runtime::{Runtime, RuntimeFlavor};
use zokio::sync::{broadcast, mpsc, oneshot, watch, Mutex, Notify, Semaphore};
use zokio::task::yield_now;

/// Messages / hand-offs per lost-wake-up test.
const MESSAGES: usize = 1_000_000;
const PRODUCERS: usize = 4;

fn is_current_thread(rt: &Runtime) -> bool {
    rt.handle().runtime_flavor() == RuntimeFlavor::CurrentThread
}

/// Checks that every producer's messages arrived exactly once and in order; returns the total.
fn check_per_producer_order(next: &mut [usize], (p, seq): (usize, usize)) {
    assert_eq!(
        seq, next[p],
        "producer {p}: got {seq}, expected {}",
        next[p]
    );
    next[p] += 1;
}

/// `mpsc::channel(1024)`, 4 producer tasks sending MESSAGES / 4 each, one consumer task: every
/// message received exactly once, each producer's in order, then `None` once all senders left.
fn mpsc_bounded_4_producers_every_message_once(rt: Runtime) {
    let _w = Watchdog::new("mpsc_bounded_4_producers_every_message_once", 60);
    let per = MESSAGES / PRODUCERS;
    let (received, next) = rt.block_on(async move {
        let (tx, mut rx) = mpsc::channel::<(usize, usize)>(1024);
        for p in 0..PRODUCERS {
            let tx = tx.clone();
            zokio::spawn(async move {
                for seq in 0..per {
                    tx.send((p, seq)).await.unwrap();
                }
            });
        }
        drop(tx);
        zokio::spawn(async move {
            let mut next = vec![0usize; PRODUCERS];
            let mut n = 0;
            while let Some(m) = rx.recv().await {
                check_per_producer_order(&mut next, m);
                n += 1;
            }
            (n, next)
        })
        .await
        .unwrap()
    });
    assert_eq!(received, per * PRODUCERS);
    assert_eq!(next, vec![per; PRODUCERS]);
}

/// `mpsc::unbounded_channel`, likewise: 4 producers (yielding every 64 sends so the consumer
/// interleaves), every message once, per-producer order kept.
fn mpsc_unbounded_4_producers_every_message_once(rt: Runtime) {
    let _w = Watchdog::new("mpsc_unbounded_4_producers_every_message_once", 60);
    let per = MESSAGES / PRODUCERS;
    let (received, next) = rt.block_on(async move {
        let (tx, mut rx) = mpsc::unbounded_channel::<(usize, usize)>();
        for p in 0..PRODUCERS {
            let tx = tx.clone();
            zokio::spawn(async move {
                for seq in 0..per {
                    tx.send((p, seq)).unwrap();
                    if seq % 64 == 63 {
                        yield_now().await;
                    }
                }
            });
        }
        drop(tx);
        zokio::spawn(async move {
            let mut next = vec![0usize; PRODUCERS];
            let mut n = 0;
            while let Some(m) = rx.recv().await {
                check_per_producer_order(&mut next, m);
                n += 1;
            }
            (n, next)
        })
        .await
        .unwrap()
    });
    assert_eq!(received, per * PRODUCERS);
    assert_eq!(next, vec![per; PRODUCERS]);
}

/// A ball passed back and forth over fresh oneshot channels: each message carries the sender
/// of the next hop.
struct Ball {
    hop: usize,
    next: oneshot::Sender<Ball>,
}

/// 1,000 pairs of tasks each pass a ball 1,000 hops over fresh oneshot channels,
/// MESSAGES oneshot sends in all. Every hop arrives with the expected count; each side makes
/// exactly half the hops.
fn oneshot_relay_every_send_received(rt: Runtime) {
    let _w = Watchdog::new("oneshot_relay_every_send_received", 60);
    const HOPS: usize = 1_000;
    let pairs = MESSAGES / HOPS;
    let sends = Arc::new(AtomicUsize::new(0));
    let per_side = rt.block_on({
        let sends = sends.clone();
        async move {
            let mut handles = Vec::new();
            for _ in 0..pairs {
                let (first_tx, first_rx) = oneshot::channel::<Ball>();
                let (a_tx, a_rx) = oneshot::channel::<Ball>();
                // Side B: waits on `first_rx`; side A on `a_rx`; A starts by sending hop 0 to B.
                let side = |mut rx: oneshot::Receiver<Ball>,
                            sends: Arc<AtomicUsize>,
                            parity: usize| async move {
                    let mut mine = 0usize;
                    loop {
                        let Ball { hop, next } = rx.await.unwrap();
                        assert_eq!(hop % 2, parity, "hop {hop} arrived at the wrong side");
                        if hop + 1 == HOPS {
                            return mine;
                        }
                        let (tx, new_rx) = oneshot::channel();
                        next.send(Ball {
                            hop: hop + 1,
                            next: tx,
                        })
                        .map_err(|_| ())
                        .unwrap();
                        sends.fetch_add(1, SeqCst);
                        mine += 1;
                        if hop + 2 == HOPS {
                            // That was the last hop: nobody will answer.
                            return mine;
                        }
                        rx = new_rx;
                    }
                };
                handles.push(zokio::spawn(side(first_rx, sends.clone(), 0)));
                handles.push(zokio::spawn(side(a_rx, sends.clone(), 1)));
                first_tx
                    .send(Ball { hop: 0, next: a_tx })
                    .map_err(|_| ())
                    .unwrap();
                sends.fetch_add(1, SeqCst);
            }
            let mut per_side = Vec::new();
            for h in handles {
                per_side.push(h.await.unwrap());
            }
            per_side
        }
    });
    assert_eq!(sends.load(SeqCst), pairs * HOPS);
    // HOPS - 1 forwarded hops per pair, split evenly (hop 0 came from the spawner).
    for pair in per_side.chunks(2) {
        assert_eq!(pair[0] + pair[1], HOPS - 1);
        assert_eq!(pair[0], HOPS / 2);
    }
}

/// Two tasks hand a turn back and forth with `notify_one` / `notified` MESSAGES times: each
/// side counts exactly MESSAGES turns (a lost notification hangs and trips the watchdog).
fn notify_hand_offs_exact(rt: Runtime) {
    let _w = Watchdog::new("notify_hand_offs_exact", 60);
    let (a, b) = rt.block_on(async {
        let to_a = Arc::new(Notify::new());
        let to_b = Arc::new(Notify::new());
        let turn = Arc::new(AtomicUsize::new(0));
        let b = zokio::spawn({
            let (to_a, to_b, turn) = (to_a.clone(), to_b.clone(), turn.clone());
            async move {
                let mut n = 0;
                for i in 0..MESSAGES {
                    to_b.notified().await;
                    assert_eq!(turn.load(SeqCst), 2 * i + 1, "B ran out of turn");
                    turn.fetch_add(1, SeqCst);
                    n += 1;
                    to_a.notify_one();
                }
                n
            }
        });
        let a = zokio::spawn(async move {
            let mut n = 0;
            for i in 0..MESSAGES {
                assert_eq!(turn.load(SeqCst), 2 * i, "A ran out of turn");
                turn.fetch_add(1, SeqCst);
                to_b.notify_one();
                to_a.notified().await;
                n += 1;
            }
            n
        });
        (a.await.unwrap(), b.await.unwrap())
    });
    assert_eq!((a, b), (MESSAGES, MESSAGES));
}

/// 4 tasks x 10,000 increments of a plain counter under `Mutex`, yielding while holding the
/// lock every 100 increments: the final value is exactly 40,000 and no two guards ever coexist.
fn mutex_excludes_and_counts_exactly(rt: Runtime) {
    let _w = Watchdog::new("mutex_excludes_and_counts_exactly", 60);
    const TASKS: usize = 4;
    const INCS: usize = 10_000;
    let (value, overlaps) = rt.block_on(async {
        let m = Arc::new(Mutex::new(0usize));
        let inside = Arc::new(AtomicBool::new(false));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..TASKS)
            .map(|_| {
                let (m, inside, overlaps) = (m.clone(), inside.clone(), overlaps.clone());
                zokio::spawn(async move {
                    for i in 0..INCS {
                        let mut g = m.lock().await;
                        if inside.swap(true, SeqCst) {
                            overlaps.fetch_add(1, SeqCst);
                        }
                        let v = *g;
                        if i % 100 == 0 {
                            yield_now().await;
                        }
                        *g = v + 1;
                        inside.store(false, SeqCst);
                        drop(g);
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        let v = *m.lock().await;
        (v, overlaps.load(SeqCst))
    });
    assert_eq!(value, TASKS * INCS);
    assert_eq!(overlaps, 0);
}

/// FIFO fairness: while the test holds the lock, 10 tasks start waiting one after another (each
/// polls its `lock()` once, so it is queued, before the next is spawned); on release they get
/// the lock in exactly that order.
fn mutex_is_fifo_fair(rt: Runtime) {
    let _w = Watchdog::new("mutex_is_fifo_fair", 60);
    const WAITERS: usize = 10;
    let order = rt.block_on(async {
        let m = Arc::new(Mutex::new(Vec::new()));
        let guard = m.lock().await;
        let mut hs = Vec::new();
        for i in 0..WAITERS {
            let (queued_tx, queued_rx) = oneshot::channel::<()>();
            let m2 = m.clone();
            hs.push(zokio::spawn(async move {
                let mut fut = std::pin::pin!(m2.lock());
                assert!(futures::poll!(fut.as_mut()).is_pending());
                queued_tx.send(()).unwrap();
                fut.await.push(i);
            }));
            queued_rx.await.unwrap();
        }
        drop(guard);
        for h in hs {
            h.await.unwrap();
        }
        let v = m.lock().await.clone();
        v
    });
    assert_eq!(order, (0..WAITERS).collect::<Vec<_>>());
}

/// `Semaphore::new(5)`, 50 tasks x 20 acquisitions each, holding the permit across 2 yields:
/// the number of holders never exceeds 5 (exactly 5 on the current-thread runtime, where the
/// first five all acquire before any releases), every acquisition happens (1,000), and all 5
/// permits are back at the end.
fn semaphore_never_exceeds_its_permits(rt: Runtime) {
    let _w = Watchdog::new("semaphore_never_exceeds_its_permits", 60);
    const PERMITS: usize = 5;
    const TASKS: usize = 50;
    const ROUNDS: usize = 20;
    let ct = is_current_thread(&rt);
    let (max, acquisitions, available) = rt.block_on(async {
        let sem = Arc::new(Semaphore::new(PERMITS));
        let holders = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let acq = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..TASKS)
            .map(|_| {
                let (sem, holders, max, acq) =
                    (sem.clone(), holders.clone(), max.clone(), acq.clone());
                zokio::spawn(async move {
                    for _ in 0..ROUNDS {
                        let _p = sem.acquire().await.unwrap();
                        let now = holders.fetch_add(1, SeqCst) + 1;
                        max.fetch_max(now, SeqCst);
                        acq.fetch_add(1, SeqCst);
                        yield_now().await;
                        yield_now().await;
                        holders.fetch_sub(1, SeqCst);
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        (max.load(SeqCst), acq.load(SeqCst), sem.available_permits())
    });
    assert!(
        (1..=PERMITS).contains(&max),
        "max concurrent holders {max} > {PERMITS}"
    );
    if ct {
        assert_eq!(max, PERMITS);
    }
    assert_eq!(acquisitions, TASKS * ROUNDS);
    assert_eq!(available, PERMITS);
}

/// `broadcast::channel(1024)`, 4 receiver tasks subscribed before a sender task sends 1,000
/// values (yielding every 10): no receiver lags, each gets exactly 0..1000 in order, then
/// `Closed`.
fn broadcast_every_receiver_gets_every_message(rt: Runtime) {
    let _w = Watchdog::new("broadcast_every_receiver_gets_every_message", 60);
    const RECEIVERS: usize = 4;
    const N: usize = 1_000;
    let got = rt.block_on(async {
        let (tx, rx) = broadcast::channel::<usize>(1024);
        let hs: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let mut rx = rx.resubscribe();
                zokio::spawn(async move {
                    let mut seen = Vec::new();
                    loop {
                        match rx.recv().await {
                            Ok(v) => seen.push(v),
                            Err(broadcast::error::RecvError::Closed) => return seen,
                            Err(e) => panic!("receiver lagged: {e}"),
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        let sender = zokio::spawn(async move {
            for i in 0..N {
                assert_eq!(tx.send(i).unwrap(), RECEIVERS);
                if i % 10 == 9 {
                    yield_now().await;
                }
            }
        });
        sender.await.unwrap();
        let mut got = Vec::new();
        for h in hs {
            got.push(h.await.unwrap());
        }
        got
    });
    for seen in got {
        assert_eq!(seen, (0..N).collect::<Vec<_>>());
    }
}

/// `watch`: a sender task sends 1..=10,000 (yielding every 7); a receiver task loops on
/// `changed()` + `borrow_and_update()`: the values it sees strictly increase, the last one is
/// exactly 10,000, and `changed()` returns `Err` once the sender is gone.
fn watch_receiver_sees_the_last_value(rt: Runtime) {
    let _w = Watchdog::new("watch_receiver_sees_the_last_value", 60);
    const N: usize = 10_000;
    let (last, seen, closed_err) = rt.block_on(async {
        let (tx, mut rx) = watch::channel(0usize);
        let r = zokio::spawn(async move {
            let mut last = 0;
            let mut seen = 0;
            let closed_err = loop {
                match rx.changed().await {
                    Ok(()) => {
                        let v = *rx.borrow_and_update();
                        assert!(v > last, "watch went backwards: {v} after {last}");
                        last = v;
                        seen += 1;
                    }
                    Err(_) => break true,
                }
            };
            assert_eq!(*rx.borrow(), N);
            (last, seen, closed_err)
        });
        zokio::spawn(async move {
            for i in 1..=N {
                tx.send(i).unwrap();
                if i % 7 == 0 {
                    yield_now().await;
                }
            }
        })
        .await
        .unwrap();
        r.await.unwrap()
    });
    assert_eq!(last, N);
    assert!((1..=N).contains(&seen));
    assert!(closed_err);
}

rt_test!(
    mpsc_bounded_4_producers_every_message_once,
    mpsc_unbounded_4_producers_every_message_once,
    oneshot_relay_every_send_received,
    notify_hand_offs_exact,
    mutex_excludes_and_counts_exactly,
    mutex_is_fifo_fair,
    semaphore_never_exceeds_its_permits,
    broadcast_every_receiver_gets_every_message,
    watch_receiver_sees_the_last_value,
);

/// `JoinError` is `Send + Sync`, so `?` turns it into `Box<dyn Error + Send + Sync>`.
#[test]
fn join_error_is_send_sync_and_keeps_the_message() {
    fn send_sync<T: Send + Sync + std::error::Error>() {}
    send_sync::<zokio::task::JoinError>();
    let rt = zokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt
        .block_on(async { zokio::spawn(async { panic!("boom") }).await })
        .unwrap_err();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert!(
        boxed
            .to_string()
            .ends_with("panicked with message \"boom\""),
        "{boxed}"
    );
}

/// `wait_for` returns at once when the current value matches, else after the matching send;
/// it fails once the sender is gone without a match.
#[test]
fn watch_wait_for_sees_the_matching_value() {
    let rt = zokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = zokio::sync::watch::channel(1);
        assert_eq!(*rx.wait_for(|v| *v == 1).await.unwrap(), 1);
        let waiter = zokio::spawn(async move {
            let got = *rx.wait_for(|v| *v >= 4).await.unwrap();
            (got, rx)
        });
        for v in 2..=4 {
            tx.send(v).unwrap();
            zokio::task::yield_now().await;
        }
        let (got, mut rx) = waiter.await.unwrap();
        assert_eq!(got, 4);
        drop(tx);
        assert!(rx.wait_for(|v| *v == 99).await.is_err());
    });
}
