//! Scheduling guarantees: the LIFO slot cannot starve the queue, a blocked worker's queue is
//! stolen, `block_in_place` hands the queue over, the cooperative budget forces yields, and a
//! `block_on` future that yields lets spawned tasks run. Over every flavor unless noted.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{settled_metrics, Watchdog};
use zokio::runtime::{Builder, Runtime, RuntimeFlavor};
use zokio::sync::mpsc;
use zokio::task::yield_now;

fn is_current_thread(rt: &Runtime) -> bool {
    rt.handle().runtime_flavor() == RuntimeFlavor::CurrentThread
}

/// Two tasks ping-pong up to 1,000,000 round trips over two `mpsc::channel(1)`s (on the
/// multi-thread runtime each wake puts the other in the LIFO slot). A third task, released by the
/// first round trip, yields 100 times, then stops the ping-pong. It must finish while the
/// ping-pong still runs: the round trips done at that point are < 1,000,000, and on the
/// one-worker flavors (where the LIFO chain competes with the queue) at most 4 per yield of the
/// third task. With 4 workers on fewer cores the third task's worker thread can lose its core to
/// the OS for a while: 300 runs on 2 cores stopped after a median of 85 round trips, a 99th
/// percentile of 5,863 and a maximum of 13,188, hence the large cap (a starving scheduler would
/// still run into it, in well under a second). Also: every
/// echo is the value sent, the third task yields exactly 100 times, and with telemetry the
/// multi-thread flavors show LIFO hits.
fn lifo_ping_pong_does_not_starve_a_third_task(rt: Runtime) {
    const ROUNDS: usize = 1_000_000;
    const YIELDS: usize = 100;
    let _w = Watchdog::new("lifo_ping_pong_does_not_starve_a_third_task", 60);
    let single = is_current_thread(&rt) || rt.metrics().num_workers == 1;
    let rounds = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (rounds_at_stop, third_yields, final_rounds) = rt.block_on({
        let (rounds, stop) = (rounds.clone(), stop.clone());
        async move {
            let (go_tx, go_rx) = zokio::sync::oneshot::channel::<()>();
            let third = zokio::spawn({
                let (rounds, stop) = (rounds.clone(), stop.clone());
                async move {
                    go_rx.await.unwrap();
                    let mut yields = 0;
                    for _ in 0..YIELDS {
                        yield_now().await;
                        yields += 1;
                    }
                    // Stop first, then read: a pinger that checked `stop` before the store
                    // finishes at most the one round it is in, so the final count is `r` or
                    // `r + 1`. (Read first and, on another worker, the pinger could add any
                    // number of rounds between the read and the store.)
                    stop.store(true, SeqCst);
                    let r = rounds.load(SeqCst);
                    (r, yields)
                }
            });
            let (ab_tx, mut ab_rx) = mpsc::channel::<usize>(1);
            let (ba_tx, mut ba_rx) = mpsc::channel::<usize>(1);
            let echo = zokio::spawn(async move {
                let mut n = 0;
                while let Some(i) = ab_rx.recv().await {
                    ba_tx.send(i).await.unwrap();
                    n += 1;
                }
                n
            });
            let pinger = zokio::spawn(async move {
                let mut go = Some(go_tx);
                for i in 0..ROUNDS {
                    if stop.load(SeqCst) {
                        break;
                    }
                    ab_tx.send(i).await.unwrap();
                    assert_eq!(ba_rx.recv().await, Some(i));
                    rounds.fetch_add(1, SeqCst);
                    if let Some(go) = go.take() {
                        go.send(()).unwrap();
                    }
                }
                rounds.load(SeqCst)
            });
            let (r, y) = third.await.unwrap();
            let done = pinger.await.unwrap();
            assert_eq!(echo.await.unwrap(), done, "echo count = round trips");
            (r, y, done)
        }
    });
    assert_eq!(third_yields, YIELDS);
    assert!(
        rounds_at_stop >= 1,
        "the third task starts after the first round trip"
    );
    assert!(
        final_rounds < ROUNDS,
        "the ping-pong finished all {ROUNDS} round trips before the third task's {YIELDS} yields \
         (stopped at {rounds_at_stop}): the LIFO chain starved the queue"
    );
    assert!(
        final_rounds >= rounds_at_stop && final_rounds <= rounds_at_stop + 1,
        "{final_rounds} round trips in all, {rounds_at_stop} when the third task stopped the \
         ping-pong: at most the round in flight may finish after the stop"
    );
    if single {
        // Each yield of the third task waits behind at most one LIFO chain (3 polls) plus a
        // queued pair, i.e. a couple of round trips; 4 per yield is a generous bound.
        assert!(
            rounds_at_stop <= 4 * YIELDS + 1,
            "{rounds_at_stop} round trips while the third task yielded {YIELDS} times"
        );
    }
    if zokio::runtime::metrics::ENABLED {
        let m = settled_metrics(&rt, "3 tasks completed", |m| m.total_completed() == 3);
        if !is_current_thread(&rt) && m.num_workers == 1 {
            let lifo: u64 = m.workers.iter().map(|w| w.lifo_hits).sum();
            assert!(
                lifo > 0,
                "the ping-pong never ran from the LIFO slot: {m:#?}"
            );
        }
        assert_eq!(m.active_tasks, 0);
    }
}

/// Multi-thread, 2 workers. A task spawns 100 tasks onto its own worker's queue, then blocks
/// that worker's thread, spinning (bounded: 10 s) until all 100 have run. Only the other worker
/// can run them, by stealing: all 100 ran while the spawner was blocked, and (telemetry) the
/// victim spawned exactly 100 locally, the thief's `steal_operations > 0`, it stole exactly the
/// 100 tasks (`total_stolen == 100`), all of them from the victim
/// (`stolen_from[victim] == tasks_stolen`).
///
#[test]
fn blocked_worker_has_its_queue_stolen() {
    const N: usize = 100;
    let _w = Watchdog::new("blocked_worker_has_its_queue_stolen", 60);
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let (ran_while_blocked, ran_on) = rt.block_on({
        let ran = ran.clone();
        async move {
            zokio::spawn(async move {
                let me = std::thread::current().id();
                let others = Arc::new(AtomicUsize::new(0));
                for _ in 0..N {
                    let (ran, others) = (ran.clone(), others.clone());
                    zokio::spawn(async move {
                        if std::thread::current().id() != me {
                            others.fetch_add(1, SeqCst);
                        }
                        ran.fetch_add(1, SeqCst);
                    });
                }
                // Block this worker (the blocking is what is under test).
                let deadline = Instant::now() + Duration::from_secs(10);
                while ran.load(SeqCst) < N && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                (ran.load(SeqCst), others.load(SeqCst))
            })
            .await
            .unwrap()
        }
    });
    assert_eq!(
        ran_while_blocked, N,
        "the blocked worker's queue was not stolen"
    );
    assert_eq!(ran_on, N, "every task ran on the other worker's thread");
    if zokio::runtime::metrics::ENABLED {
        let m = settled_metrics(&rt, "101 tasks completed", |m| {
            m.total_completed() == N as u64 + 1
        });
        let victim = m
            .workers
            .iter()
            .position(|w| w.spawned_local == N as u64)
            .unwrap_or_else(|| panic!("no worker spawned the {N} tasks: {m:#?}"));
        let thief = 1 - victim;
        let t = &m.workers[thief];
        assert!(t.steal_operations > 0, "{m:#?}");
        assert_eq!(m.total_stolen(), N as u64, "{m:#?}");
        assert_eq!(t.tasks_stolen, N as u64, "{m:#?}");
        assert_eq!(t.stolen_from[victim], N as u64, "{m:#?}");
        assert_eq!(t.stolen_from[thief], 0, "{m:#?}");
        assert_eq!(m.workers[victim].tasks_stolen, 0, "{m:#?}");
        assert_eq!(m.active_tasks, 0);
    }
}

/// The minimal shape of `blocked_worker_has_its_queue_stolen`: the 100 spawned tasks only set
/// a flag, so the thief empties the victim's queue faster than the victim fills it. Expected:
/// all 100 run while the victim is blocked (spinning, bounded: 2 s).
///
/// Spawned tasks go to the stealable queue, never to the worker's private LIFO slot, so the
/// last one spawned before the block is stolen too (when spawns took the slot, task 99 waited
/// for its blocked worker).
#[test]
fn blocked_worker_queue_stolen_when_thief_outpaces_spawner() {
    const N: usize = 100;
    let _w = Watchdog::new(
        "blocked_worker_queue_stolen_when_thief_outpaces_spawner",
        60,
    );
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let missing = rt.block_on({
        let ran = ran.clone();
        async move {
            zokio::spawn(async move {
                let flags: Arc<Vec<AtomicBool>> =
                    Arc::new((0..N).map(|_| AtomicBool::new(false)).collect());
                for i in 0..N {
                    let (f, r) = (flags.clone(), ran.clone());
                    zokio::spawn(async move {
                        f[i].store(true, SeqCst);
                        r.fetch_add(1, SeqCst);
                    });
                }
                let deadline = Instant::now() + Duration::from_secs(2);
                while ran.load(SeqCst) < N && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                (0..N)
                    .filter(|&i| !flags[i].load(SeqCst))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap()
        }
    });
    assert_eq!(
        missing,
        Vec::<usize>::new(),
        "tasks left in the blocked worker's queue"
    );
    // Once unblocked, the victim runs what was left.
    settled_metrics(&rt, "no active task", |m| m.active_tasks == 0);
    assert_eq!(ran.load(SeqCst), N);
}

/// `block_in_place` on the multi-thread runtime: a task spawns 10 tasks onto its worker's queue
/// and then blocks inside `block_in_place` until all 10 ran (bounded: 10 s). On one worker only
/// the queue's hand-over to a new thread lets them run: all 10 ran, the closure's value comes
/// back, and the task can spawn and await again afterwards. On the current-thread runtime it
/// panics, both in the `block_on` future and in a spawned task.
fn block_in_place_keeps_the_queue_running(rt: Runtime) {
    const N: usize = 10;
    let _w = Watchdog::new("block_in_place_keeps_the_queue_running", 60);
    if is_current_thread(&rt) {
        rt.block_on(async {
            let r = std::panic::catch_unwind(|| zokio::task::block_in_place(|| 1));
            let msg = r.unwrap_err();
            let msg = msg
                .downcast_ref::<&str>()
                .copied()
                .map(str::to_owned)
                .or(msg.downcast_ref::<String>().cloned());
            assert!(msg.unwrap().contains("multi-threaded runtime"));
            let e = zokio::spawn(async { zokio::task::block_in_place(|| 1) })
                .await
                .unwrap_err();
            assert!(e.is_panic());
            // The runtime still serves.
            assert_eq!(zokio::spawn(async { 3 }).await.unwrap(), 3);
        });
        return;
    }
    let ran = Arc::new(AtomicUsize::new(0));
    let (seen, value, after) = rt.block_on({
        let ran = ran.clone();
        async move {
            zokio::spawn(async move {
                for _ in 0..N {
                    let ran = ran.clone();
                    zokio::spawn(async move {
                        yield_now().await;
                        ran.fetch_add(1, SeqCst);
                    });
                }
                let (seen, value) = zokio::task::block_in_place(|| {
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while ran.load(SeqCst) < N && Instant::now() < deadline {
                        std::thread::yield_now();
                    }
                    (ran.load(SeqCst), 42)
                });
                let after = zokio::spawn(async { 7 }).await.unwrap();
                (seen, value, after)
            })
            .await
            .unwrap()
        }
    });
    assert_eq!(seen, N, "tasks queued behind block_in_place did not run");
    assert_eq!(value, 42);
    assert_eq!(after, 7);
    assert_eq!(ran.load(SeqCst), N);
}

/// A task receives 10,000 pre-buffered messages from an unbounded channel in a loop that never
/// yields by itself: every `recv` is ready. The budget (128 operations) forces it to yield
/// exactly floor(10,000 / 128) = 78 times (`budget_forced_yields == 78` with telemetry), and a
/// second task that counts its `yield_now`s makes progress meanwhile: on the one-thread flavors
/// it steps exactly once per forced yield (78 steps between the receiver's first and last poll).
fn budget_forces_a_busy_receiver_to_yield(rt: Runtime) {
    const MSGS: usize = 10_000;
    const FORCED: u64 = (MSGS / 128) as u64;
    let _w = Watchdog::new("budget_forces_a_busy_receiver_to_yield", 60);
    let single = is_current_thread(&rt) || rt.metrics().num_workers == 1;
    let steps = Arc::new(AtomicUsize::new(0));
    let (received, delta, b_steps) = rt.block_on({
        let steps = steps.clone();
        async move {
            let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
            for i in 0..MSGS {
                tx.send(i).unwrap();
            }
            let done = Arc::new(AtomicBool::new(false));
            let (b_started_tx, b_started_rx) = zokio::sync::oneshot::channel::<()>();
            let b = zokio::spawn({
                let (steps, done) = (steps.clone(), done.clone());
                async move {
                    let mut started = Some(b_started_tx);
                    let mut n = 0usize;
                    while !done.load(SeqCst) && n < 100_000_000 {
                        steps.fetch_add(1, SeqCst);
                        n += 1;
                        if let Some(s) = started.take() {
                            s.send(()).unwrap();
                        }
                        yield_now().await;
                    }
                    n
                }
            });
            b_started_rx.await.unwrap();
            let r = zokio::spawn({
                let steps = steps.clone();
                async move {
                    let start = steps.load(SeqCst);
                    let mut got = 0;
                    for i in 0..MSGS {
                        assert_eq!(rx.recv().await, Some(i));
                        got += 1;
                    }
                    let end = steps.load(SeqCst);
                    done.store(true, SeqCst);
                    (got, end - start)
                }
            });
            let (got, delta) = r.await.unwrap();
            (got, delta, b.await.unwrap())
        }
    });
    assert_eq!(received, MSGS);
    assert_eq!(b_steps, steps.load(SeqCst));
    if single {
        assert_eq!(
            delta, FORCED as usize,
            "the other task steps once per forced yield"
        );
    }
    if zokio::runtime::metrics::ENABLED {
        let m = settled_metrics(&rt, "2 tasks completed", |m| m.total_completed() == 2);
        let forced: u64 = m.workers.iter().map(|w| w.budget_forced_yields).sum();
        assert_eq!(forced, FORCED, "{m:#?}");
    }
}

/// On the current-thread runtime a `block_on` future looping on `yield_now` lets exactly one
/// spawned task run per yield: with 10 spawned tasks that each set their flag, the loop sees all
/// 10 set after exactly 10 yields. On the multi-thread runtime (`block_on` off the workers) it
/// sees them all while it yields; there the count of yields is the OS's business (it said how
/// soon the woken workers got a core: under a loaded test run, more than 100,000 yields now and
/// then), so the bound is the watchdog's minute.
fn yield_now_in_block_on_does_not_starve_spawned_tasks(rt: Runtime) {
    const TASKS: usize = 10;
    let _w = Watchdog::new("yield_now_in_block_on_does_not_starve_spawned_tasks", 60);
    let ct = is_current_thread(&rt);
    // Current-thread: exact (one task per yield), so a small bound; multi-thread: unbounded.
    let bound = if ct { 100_000 } else { usize::MAX };
    let set = Arc::new(AtomicUsize::new(0));
    let iterations = rt.block_on({
        let set = set.clone();
        async move {
            for _ in 0..TASKS {
                let set = set.clone();
                zokio::spawn(async move {
                    set.fetch_add(1, SeqCst);
                });
            }
            for i in 0..bound {
                if set.load(SeqCst) == TASKS {
                    return i;
                }
                yield_now().await;
            }
            bound
        }
    });
    assert_eq!(set.load(SeqCst), TASKS);
    assert!(
        iterations < bound,
        "spawned tasks starved by a yielding block_on future"
    );
    if ct {
        assert_eq!(iterations, TASKS, "one task per yield of the main future");
    }
}

rt_test!(
    lifo_ping_pong_does_not_starve_a_third_task,
    block_in_place_keeps_the_queue_running,
    budget_forces_a_busy_receiver_to_yield,
    yield_now_in_block_on_does_not_starve_spawned_tasks,
);
