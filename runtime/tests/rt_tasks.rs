//! Spawning, joining, panics, aborts and shutdown, over every scheduler flavor.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use support::{DropCounter, Forever};
use zokio::runtime::Runtime;
use zokio::sync::oneshot;

fn spawn_100k_all_complete_once(rt: Runtime) {
    const N: usize = 100_000;
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let sum = rt.block_on(async move {
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let r = r.clone();
                zokio::spawn(async move {
                    r.fetch_add(1, SeqCst);
                    i
                })
            })
            .collect();
        let mut sum = 0usize;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(runs.load(SeqCst), N);
    assert_eq!(sum, N * (N - 1) / 2);
    // A JoinHandle sees the output just before the task leaves the owned list, and workers
    // publish counters when they park: wait (bounded) until both settled.
    let m = support::settled_metrics(&rt, "all tasks released and counted", |m| {
        m.active_tasks == 0
            && (!zokio::runtime::metrics::ENABLED || m.total_completed() == N as u64)
    });
    if zokio::runtime::metrics::ENABLED {
        assert_eq!(m.total_spawned(), N as u64);
        assert_eq!(m.total_completed(), N as u64, "{m:?}");
        assert!(m.total_polls() >= N as u64);
        assert_eq!(m.total_histogram_count(), m.total_polls());
    }
    assert_eq!(m.active_tasks, 0);
}

fn panic_is_reported_and_runtime_keeps_serving(rt: Runtime) {
    rt.block_on(async {
        let err = zokio::spawn(async { panic!("boom") }).await.unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        assert_eq!(zokio::spawn(async { 5 }).await.unwrap(), 5);
    });
}

fn abort_before_first_poll(rt: Runtime) {
    // A task spawned from a task waits in its worker's queue (or the current-thread queue) until
    // that worker gets to it, but on a multi-thread runtime an idle worker may steal and run it
    // before the abort lands. Each round therefore ends one of two ways, and each is checked
    // exactly: aborted before its first poll (never polled, cancelled) or run to completion
    // (polled once, Ok); either way its future is dropped exactly once. Rounds repeat until the
    // abort came first 20 times (bounded: 10,000 rounds).
    let mut aborted_first = 0;
    for _ in 0..10_000 {
        let polled = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::new();
        let p = polled.clone();
        let token = drops.token();
        let cancelled = rt.block_on(async move {
            zokio::spawn(async move {
                let h = zokio::spawn(async move {
                    let _t = token;
                    p.fetch_add(1, SeqCst);
                });
                h.abort();
                match h.await {
                    Ok(()) => false,
                    Err(e) => {
                        assert!(e.is_cancelled());
                        true
                    }
                }
            })
            .await
            .unwrap()
        });
        let polled = polled.load(SeqCst);
        assert_eq!(
            polled,
            usize::from(!cancelled),
            "an aborted task is never polled"
        );
        assert_eq!(drops.count(), 1, "its future is dropped exactly once");
        aborted_first += usize::from(cancelled);
        if aborted_first == 20 {
            return;
        }
    }
    panic!("the abort came first in only {aborted_first} of 10,000 rounds");
}

fn abort_while_pending(rt: Runtime) {
    let drops = DropCounter::new();
    let token = drops.token();
    rt.block_on(async move {
        let (started_tx, started_rx) = oneshot::channel();
        let h = zokio::spawn(async move {
            let _t = token;
            started_tx.send(()).unwrap();
            Forever(DropCounter::new().token()).await;
        });
        started_rx.await.unwrap();
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.count(), 1);
}

fn abort_after_completion_keeps_output(rt: Runtime) {
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        let h = zokio::spawn(async move {
            tx.send(()).unwrap();
            7
        });
        rx.await.unwrap();
        while !h.is_finished() {
            zokio::task::yield_now().await;
        }
        h.abort();
        assert_eq!(h.await.unwrap(), 7);
    });
}

fn dropping_join_handle_does_not_cancel(rt: Runtime) {
    rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        drop(zokio::spawn(async move {
            go_rx.await.unwrap();
            tx.send(99).unwrap();
        }));
        go_tx.send(()).unwrap();
        assert_eq!(rx.await.unwrap(), 99);
    });
}

fn shutdown_drops_pending_futures_exactly_once(rt: Runtime) {
    const N: usize = 1_000;
    let drops = DropCounter::new();
    let d = drops.clone();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        for _ in 0..N {
            zokio::spawn(Forever(d.token()));
        }
        // A task parked on a channel whose sender lives in another pending task.
        let (tx, rx) = oneshot::channel::<()>();
        let t = d.token();
        zokio::spawn(async move {
            let _t = t;
            let _ = rx.await;
        });
        let t = d.token();
        zokio::spawn(async move {
            let _t = t;
            let _tx = tx;
            Forever(DropCounter::new().token()).await
        });
        zokio::task::yield_now().await;
    });
    drop(rt);
    assert_eq!(drops.count(), N + 2);
    // Spawning after shutdown gives a cancelled handle and does not hang.
    let late = DropCounter::new();
    let h = handle.spawn(Forever(late.token()));
    assert_eq!(late.count(), 1, "the late future is dropped at once");
    let err = futures::executor::block_on(h).unwrap_err();
    assert!(err.is_cancelled());
}

fn join_set_yields_every_output(rt: Runtime) {
    rt.block_on(async {
        let mut set = zokio::task::JoinSet::new();
        for i in 0..100u64 {
            set.spawn(async move {
                zokio::task::yield_now().await;
                i
            });
        }
        let mut seen = [false; 100];
        while let Some(r) = set.join_next().await {
            let i = r.unwrap() as usize;
            assert!(!seen[i]);
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s));
    });
}

fn named_task_and_ids(rt: Runtime) {
    rt.block_on(async {
        let h = zokio::task::Builder::new()
            .name("named")
            .spawn(async { zokio::task::id() })
            .unwrap();
        let id = h.id();
        assert_eq!(h.await.unwrap(), id);
        let a = zokio::spawn(async {}).id();
        let b = zokio::spawn(async {}).id();
        assert_ne!(a, b);
    });
}

fn spawn_blocking_runs_and_returns(rt: Runtime) {
    let v = rt.block_on(async {
        let hs: Vec<_> = (0..16u64)
            .map(|i| zokio::task::spawn_blocking(move || i * i))
            .collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(v, (0..16u64).map(|i| i * i).sum::<u64>());
}

rt_test!(
    spawn_100k_all_complete_once,
    panic_is_reported_and_runtime_keeps_serving,
    abort_before_first_poll,
    abort_while_pending,
    abort_after_completion_keeps_output,
    dropping_join_handle_does_not_cancel,
    shutdown_drops_pending_futures_exactly_once,
    join_set_yields_every_output,
    named_task_and_ids,
    spawn_blocking_runs_and_returns,
);
