//! Runtime metrics against ground truth the test counts itself, over every flavor. Counters are
//! published by each worker every `event_interval` ticks and when it parks, so they are read
//! once the work is done and the expected completion count is visible
//! (`support::settled_metrics`, bounded by 10 s). Metric asserts run only with the `telemetry`
//! feature (`zokio::runtime::metrics::ENABLED`); the workloads' own counts always run.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use support::{settled_metrics, Watchdog};
use zokio::runtime::{Builder, Runtime, RuntimeMetrics};
use zokio::task::yield_now;

const ENABLED: bool = zokio::runtime::metrics::ENABLED;

/// N = 10,000 tasks: 4,999 plain tasks and one spawner spawned from outside the runtime (the
/// test thread, `Runtime::spawn`), and 5,000 spawned by the spawner from inside. All run exactly
/// once. Then: `total_spawned == total_completed == 10,000`, `spawned_remote == 5,000`, the
/// workers' `spawned_local` sum to 5,000, `total_polls >= 10,000`,
/// `total_histogram_count == total_polls`, `active_tasks == 0`.
fn spawned_equals_completed(rt: Runtime) {
    const OUTSIDE: usize = 5_000;
    const INSIDE: usize = 5_000;
    const N: usize = OUTSIDE + INSIDE;
    let _w = Watchdog::new("spawned_equals_completed", 60);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..OUTSIDE - 1 {
        let r = runs.clone();
        handles.push(rt.spawn(async move {
            r.fetch_add(1, SeqCst);
        }));
    }
    let r = runs.clone();
    let spawner = rt.spawn(async move {
        let hs: Vec<_> = (0..INSIDE)
            .map(|_| {
                let r = r.clone();
                zokio::spawn(async move {
                    r.fetch_add(1, SeqCst);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        r.fetch_add(1, SeqCst);
    });
    rt.block_on(async move {
        for h in handles {
            h.await.unwrap();
        }
        spawner.await.unwrap();
    });
    assert_eq!(runs.load(SeqCst), N);
    if ENABLED {
        let m = settled_metrics(&rt, "10,000 completed", |m| m.total_completed() == N as u64);
        assert_eq!(m.total_spawned(), N as u64, "{m:#?}");
        assert_eq!(m.total_completed(), N as u64, "{m:#?}");
        assert_eq!(m.spawned_remote, OUTSIDE as u64, "{m:#?}");
        assert_eq!(
            m.workers.iter().map(|w| w.spawned_local).sum::<u64>(),
            INSIDE as u64,
            "{m:#?}"
        );
        assert!(m.total_polls() >= N as u64, "{m:#?}");
        assert_eq!(m.total_histogram_count(), m.total_polls(), "{m:#?}");
    }
    // A task leaves the owned list just after its JoinHandle sees the output: wait for it.
    let m = settled_metrics(&rt, "no active task", |m| m.active_tasks == 0);
    assert_eq!(m.active_tasks, 0);
}

/// Checks the stealing counters' internal consistency: per worker, `stolen_from` sums to
/// `tasks_stolen` and never names the worker itself; over all workers it sums to
/// `total_stolen`; a worker that stole made at least one successful steal operation per
/// attempt-with-result and no more operations than attempts.
fn check_steal_accounting(m: &RuntimeMetrics) {
    let mut from_sum = 0;
    for w in &m.workers {
        assert_eq!(w.stolen_from.len(), m.num_workers, "{m:#?}");
        assert_eq!(
            w.stolen_from.iter().sum::<u64>(),
            w.tasks_stolen,
            "worker {}: {m:#?}",
            w.index
        );
        assert_eq!(
            w.stolen_from[w.index], 0,
            "worker {} stole from itself: {m:#?}",
            w.index
        );
        assert!(w.steal_operations <= w.steal_attempts, "{m:#?}");
        assert!(w.steal_operations <= w.tasks_stolen, "{m:#?}");
        assert_eq!(w.tasks_stolen > 0, w.steal_operations > 0, "{m:#?}");
        from_sum += w.stolen_from.iter().sum::<u64>();
    }
    assert_eq!(from_sum, m.total_stolen(), "{m:#?}");
}

/// Multi-thread, 4 workers: one task spawns 10,000 tasks onto its worker's queue, each does a
/// little work and yields 3 times. Ground truth: the tasks first polled on another thread than
/// the spawner's (they can only get there by being stolen, possibly twice). Then (telemetry):
/// 10,001 spawned and completed, the spawner's worker has `spawned_local == 10,000`,
/// `total_stolen > 0`, the stealing counters add up (`check_steal_accounting`), and the steals
/// from the spawner's worker are at least the tasks first polled elsewhere.
#[test]
fn stealing_workload_counts_add_up() {
    const N: usize = 10_000;
    const YIELDS: usize = 3;
    let _w = Watchdog::new("stealing_workload_counts_add_up", 60);
    let rt = Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let polls_done = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let elsewhere = rt.block_on({
        let (polls_done, threads) = (polls_done.clone(), threads.clone());
        async move {
            zokio::spawn(async move {
                let home = std::thread::current().id();
                let elsewhere = Arc::new(AtomicUsize::new(0));
                let hs: Vec<_> = (0..N)
                    .map(|i| {
                        let (elsewhere, polls_done, threads) =
                            (elsewhere.clone(), polls_done.clone(), threads.clone());
                        zokio::spawn(async move {
                            let first = std::thread::current().id();
                            if first != home {
                                elsewhere.fetch_add(1, SeqCst);
                            }
                            threads.lock().unwrap().insert(first);
                            let mut acc = i as u64;
                            for _ in 0..YIELDS {
                                for k in 0..200u64 {
                                    acc = acc.wrapping_mul(6364136223846793005).wrapping_add(k);
                                }
                                std::hint::black_box(acc);
                                yield_now().await;
                            }
                            polls_done.fetch_add(1, SeqCst);
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                elsewhere.load(SeqCst)
            })
            .await
            .unwrap()
        }
    });
    assert_eq!(polls_done.load(SeqCst), N);
    assert!(
        elsewhere > 0,
        "no task ever ran off the spawner's worker: nothing was stolen"
    );
    if ENABLED {
        let m = settled_metrics(&rt, "10,001 completed", |m| {
            m.total_completed() == N as u64 + 1
        });
        assert_eq!(m.total_spawned(), N as u64 + 1, "{m:#?}");
        assert_eq!(m.active_tasks, 0);
        let home = m
            .workers
            .iter()
            .position(|w| w.spawned_local == N as u64)
            .unwrap_or_else(|| panic!("no worker spawned the {N} tasks: {m:#?}"));
        assert!(m.total_stolen() > 0, "{m:#?}");
        check_steal_accounting(&m);
        let from_home: u64 = m.workers.iter().map(|w| w.stolen_from[home]).sum();
        assert!(
            from_home >= elsewhere as u64,
            "{elsewhere} tasks were first polled off worker {home}, but only {from_home} were \
             counted as stolen from it: {m:#?}"
        );
        assert!(m.total_polls() >= (N * (YIELDS + 1)) as u64, "{m:#?}");
        assert_eq!(m.total_histogram_count(), m.total_polls(), "{m:#?}");
    }
}

/// After some work (100 tasks) and an idle stretch (a 5 ms sleep in `block_on`), every worker
/// has parked at least once, and the stealing counters add up (`check_steal_accounting`; on the
/// one-worker flavors nothing can be stolen: `total_stolen == 0`).
fn workers_park_when_idle(rt: Runtime) {
    let _w = Watchdog::new("workers_park_when_idle", 60);
    rt.block_on(async {
        let hs: Vec<_> = (0..100).map(|i| zokio::spawn(async move { i })).collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        assert_eq!(s, 4950);
        zokio::time::sleep(std::time::Duration::from_millis(5)).await;
    });
    if ENABLED {
        let m = settled_metrics(&rt, "every worker parked", |m| {
            m.total_completed() == 100 && m.workers.iter().all(|w| w.parks > 0)
        });
        check_steal_accounting(&m);
        if m.num_workers == 1 {
            assert_eq!(m.total_stolen(), 0, "{m:#?}");
        }
        assert_eq!(m.active_tasks, 0);
    }
}

rt_test!(spawned_equals_completed, workers_park_when_idle);

/// Scheduling delays are timed for one wake in 128 of each waking thread: on the
/// current-thread runtime every wake comes from its one thread, so 2,560 wakes of a ping-pong
/// between two tasks give 20 timed delays (one either way: the count starts wherever the
/// thread's count was), in the worker's schedule histogram.
#[test]
fn one_wake_in_128_is_timed_into_the_schedule_histogram() {
    const ROUND_TRIPS: usize = 1_280;
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (to_b, mut b_rx) = zokio::sync::mpsc::channel::<usize>(1);
        let (to_a, mut a_rx) = zokio::sync::mpsc::channel::<usize>(1);
        let b = zokio::spawn(async move {
            while let Some(n) = b_rx.recv().await {
                to_a.send(n).await.unwrap();
            }
        });
        let a = zokio::spawn(async move {
            for i in 0..ROUND_TRIPS {
                to_b.send(i).await.unwrap();
                assert_eq!(a_rx.recv().await, Some(i));
            }
        });
        a.await.unwrap();
        b.await.unwrap();
    });
    if ENABLED {
        let m = rt.handle().metrics();
        let timed: u64 = m.workers[0].schedule_time_histogram.iter().sum();
        let expected = (2 * ROUND_TRIPS / 128) as u64;
        assert!(
            (expected - 1..=expected + 1).contains(&timed),
            "{timed} timed delays for about {} wakes: {:?}",
            2 * ROUND_TRIPS,
            m.workers[0].schedule_time_histogram
        );
    }
}
