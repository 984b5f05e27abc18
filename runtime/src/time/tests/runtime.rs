//! `zokio::time` inside real runtimes, over every scheduler flavor. Only lower bounds on real
//! time are asserted (a timer never fires early), never an ordering that depends on the clock.

use crate::runtime::{Builder, Runtime};
use crate::time::{self, Instant, MissedTickBehavior};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn flavors() -> Vec<(&'static str, Runtime)> {
    vec![
        (
            "current_thread",
            Builder::new_current_thread().enable_all().build().unwrap(),
        ),
        (
            "multi_thread(1)",
            Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
        ),
        (
            "multi_thread(4)",
            Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .unwrap(),
        ),
    ]
}

#[test]
fn sleep_completes_no_earlier_than_its_deadline() {
    for (name, rt) in flavors() {
        let (start, end) = rt.block_on(async {
            let start = Instant::now();
            time::sleep(Duration::from_millis(15)).await;
            (start, Instant::now())
        });
        assert!(end - start >= Duration::from_millis(15), "{name}");
    }
}

#[test]
fn many_spawned_sleeps_all_complete_and_half_cancelled_never_do() {
    for (name, rt) in flavors() {
        let done = Arc::new(AtomicUsize::new(0));
        let (timer_left, completed) = rt.block_on({
            let done = done.clone();
            async move {
                let mut handles = Vec::new();
                for i in 0..2_000u64 {
                    let done = done.clone();
                    let d =
                        Duration::from_millis(1 + i % 20) + Duration::from_secs(3_600 * (i % 2));
                    handles.push(crate::spawn(async move {
                        time::sleep(d).await;
                        done.fetch_add(1, Ordering::SeqCst);
                    }));
                }
                let mut completed = 0;
                for (i, h) in handles.into_iter().enumerate() {
                    if i % 2 == 1 {
                        h.abort();
                        assert!(h.await.is_err());
                    } else {
                        h.await.unwrap();
                        completed += 1;
                    }
                }
                (
                    crate::runtime::context::current_timer()
                        .unwrap()
                        .registered(),
                    completed,
                )
            }
        });
        assert_eq!(completed, 1_000, "{name}");
        assert_eq!(done.load(Ordering::SeqCst), 1_000, "{name}");
        assert_eq!(timer_left, 0, "{name}: aborted sleeps left the wheel");
    }
}

#[test]
fn timeout_elapses_on_a_pending_future_and_passes_a_ready_one() {
    for (name, rt) in flavors() {
        rt.block_on(async {
            let start = Instant::now();
            let r = time::timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
            assert!(r.is_err(), "{name}");
            assert!(start.elapsed() >= Duration::from_millis(10), "{name}");
            let r = time::timeout(Duration::MAX, async { 7 }).await;
            assert_eq!(r, Ok(7), "{name}");
        });
    }
}

#[test]
fn interval_ticks_on_its_schedule() {
    for (name, rt) in flavors() {
        rt.block_on(async {
            let start = Instant::now();
            let mut interval = time::interval_at(start, Duration::from_millis(3));
            assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
            for k in 0..4 {
                assert_eq!(
                    interval.tick().await,
                    start + Duration::from_millis(3 * k),
                    "{name}"
                );
            }
            assert!(start.elapsed() >= Duration::from_millis(9), "{name}");
        });
    }
}

#[test]
fn dropping_a_runtime_with_pending_sleeps_is_clean() {
    for (name, rt) in flavors() {
        let started = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            for _ in 0..10 {
                let started = started.clone();
                crate::spawn(async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    time::sleep(Duration::from_secs(3_600)).await;
                    unreachable!("an hour passed in a test");
                });
            }
            while started.load(Ordering::SeqCst) < 10 {
                time::sleep(Duration::from_millis(1)).await;
            }
        });
        let timer = rt.block_on(async { crate::runtime::context::current_timer().unwrap() });
        assert_eq!(timer.registered(), 10, "{name}");
        drop(rt);
        assert_eq!(timer.registered(), 0, "{name}");
        assert_eq!(timer.next_deadline(), None, "{name}");
    }
}
