//! `zokio::time` from the outside, over every flavor: sleep order and bounds, `timeout`,
//! `interval` and its missed-tick behaviours, `sleep(Duration::MAX)`, shutdown with pending
//! sleeps. Real time only gives lower bounds; upper bounds are loose (500 ms slack, the machine
//! is shared). Interval ticks are checked as the instants `tick()` returns, relative to the
//! first tick, never by wall-clock ordering guesses.

mod support;

use std::time::Duration;
use support::{DropCounter, Watchdog};
use zokio::runtime::{Runtime, RuntimeFlavor};
use zokio::sync::mpsc;
use zokio::time::{self, Instant, MissedTickBehavior};

const SLACK: Duration = Duration::from_millis(500);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn is_current_thread(rt: &Runtime) -> bool {
    rt.handle().runtime_flavor() == RuntimeFlavor::CurrentThread
}

/// 17 sleeps with deadlines start + 1, 4, ..., 49 ms (3 ms apart), spawned in a scrambled order,
/// each reporting `(index, woke_at)` on a channel after `sleep_until`. Every sleep wakes no
/// earlier than its deadline and less than 500 ms after it, and all 17 report exactly once. On
/// the current-thread runtime the report order is exactly the deadline order (one thread, FIFO
/// queue). On the multi-thread flavors two sleeps that a late timer pass fires together race
/// (on four workers they run in parallel; on one, see `same_pass_timers_complete_in_deadline_order`),
/// so there only the bounds and exactly-once are checked.
fn sleeps_fire_in_deadline_order(rt: Runtime) {
    const N: u64 = 17;
    let _w = Watchdog::new("sleeps_fire_in_deadline_order", 60);
    let ct = is_current_thread(&rt);
    let (start, reports) = rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Instant)>();
        let start = Instant::now();
        for j in 0..N {
            let k = (j * 7) % N; // scrambled spawn order
            let tx = tx.clone();
            zokio::spawn(async move {
                time::sleep_until(start + ms(1 + 3 * k)).await;
                tx.send((k, Instant::now())).unwrap();
            });
        }
        drop(tx);
        let mut reports = Vec::new();
        while let Some(r) = rx.recv().await {
            reports.push(r);
        }
        (start, reports)
    });
    assert_eq!(reports.len(), N as usize);
    let mut seen = vec![false; N as usize];
    for &(k, woke) in &reports {
        assert!(!seen[k as usize], "sleep {k} reported twice");
        seen[k as usize] = true;
        let deadline = start + ms(1 + 3 * k);
        assert!(
            woke >= deadline,
            "sleep {k} woke {:?} early",
            deadline - woke
        );
        assert!(
            woke - deadline < SLACK,
            "sleep {k} woke {:?} late",
            woke - deadline
        );
    }
    let order: Vec<u64> = reports.iter().map(|r| r.0).collect();
    if ct {
        assert_eq!(order, (0..N).collect::<Vec<_>>(), "reports: {reports:?}");
    }
}

/// Single-threaded flavors (current-thread, multi-thread with one worker; with more workers the
/// others would fire the sleeps one by one): the only worker is blocked (inside a task, the
/// blocking being the setup) past the deadlines of three sleeps 1 ms apart, so they all fire in
/// the same timer pass. They must still complete in deadline order: 0, 1, 2.
fn same_pass_timers_complete_in_deadline_order(rt: Runtime) {
    let _w = Watchdog::new("same_pass_timers_complete_in_deadline_order", 60);
    let order = rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
        let start = Instant::now();
        for k in [2u64, 0, 1] {
            let tx = tx.clone();
            zokio::spawn(async move {
                time::sleep_until(start + ms(10 + k)).await;
                tx.send(k).unwrap();
            });
        }
        drop(tx);
        // Let the three register, then block the only thread past all three deadlines.
        zokio::spawn(async move {
            for _ in 0..3 {
                zokio::task::yield_now().await;
            }
            std::thread::sleep(ms(40));
        })
        .await
        .unwrap();
        let mut order = Vec::new();
        while let Some(k) = rx.recv().await {
            order.push(k);
        }
        order
    });
    assert_eq!(order, vec![0, 1, 2]);
}

/// `timeout`: a never-ready future gives `Err(Elapsed)` no earlier than the limit; a ready
/// future, a 5 ms sleep and a value sent by another task all give `Ok` with their value.
fn timeout_elapses_or_passes_through(rt: Runtime) {
    let _w = Watchdog::new("timeout_elapses_or_passes_through", 60);
    rt.block_on(async {
        let t = Instant::now();
        let r = time::timeout(ms(20), std::future::pending::<()>()).await;
        let took = t.elapsed();
        assert!(r.is_err());
        assert!(took >= ms(20), "{took:?}");
        assert!(took < ms(20) + SLACK, "{took:?}");

        assert_eq!(time::timeout(ms(1_000), async { 5 }).await.unwrap(), 5);
        time::timeout(Duration::from_secs(10), time::sleep(ms(5)))
            .await
            .unwrap();

        let (tx, rx) = zokio::sync::oneshot::channel();
        zokio::spawn(async move { tx.send(9).unwrap() });
        assert_eq!(
            time::timeout(Duration::from_secs(10), rx)
                .await
                .unwrap()
                .unwrap(),
            9
        );

        // A deadline already in the past still lets a ready future through, and elapses a
        // pending one.
        let past = Instant::now() - ms(1);
        assert_eq!(time::timeout_at(past, async { 1 }).await.unwrap(), 1);
        assert!(time::timeout_at(past, std::future::pending::<()>())
            .await
            .is_err());
    });
}

/// `interval(10 ms)`: the first tick is immediate (returns the creation instant, within 500 ms of
/// wall time), and the next five return exactly first + k * 10 ms, each returned no earlier than
/// that instant.
fn interval_ticks_at_period(rt: Runtime) {
    let _w = Watchdog::new("interval_ticks_at_period", 60);
    rt.block_on(async {
        let before = Instant::now();
        let mut iv = time::interval(ms(10));
        let t0 = iv.tick().await;
        assert!(t0 >= before);
        assert!(Instant::now() - before < SLACK, "first tick not immediate");
        for k in 1..=5u32 {
            let t = iv.tick().await;
            let now = Instant::now();
            assert_eq!(t, t0 + ms(10) * k, "tick {k}");
            assert!(now >= t, "tick {k} returned {:?} early", t - now);
        }
    });
}

/// After a tick at t0 the interval (10 ms) is not polled until t0 + 35 ms, then ticked 5 times.
/// `tick()` returns the scheduled instants:
/// - Burst (default): exactly t0 + 10, 20, 30, 40, 50 ms (missed ticks are caught up).
/// - Delay: t0 + 10 ms, then the schedule restarts from the late poll: the second tick is at
///   least 10 ms after the stretch ended (>= t0 + 45 ms) and each next one at least 10 ms later.
/// - Skip: t0 + 10 ms, then only instants on the original grid (t0 + k * 10 ms exactly), the
///   first of them after the stretch (>= t0 + 40 ms), strictly increasing.
fn interval_missed_tick_behaviors(rt: Runtime) {
    let _w = Watchdog::new("interval_missed_tick_behaviors", 60);
    for behavior in [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ] {
        let (t0, end, ticks) = rt.block_on(async move {
            let mut iv = time::interval(ms(10));
            iv.set_missed_tick_behavior(behavior);
            assert_eq!(iv.missed_tick_behavior(), behavior);
            let t0 = iv.tick().await;
            time::sleep_until(t0 + ms(35)).await;
            let end = Instant::now();
            let mut ticks = Vec::new();
            for _ in 0..5 {
                ticks.push(iv.tick().await);
            }
            (t0, end, ticks)
        });
        assert!(end >= t0 + ms(35));
        let rel: Vec<Duration> = ticks.iter().map(|&t| t - t0).collect();
        assert_eq!(rel[0], ms(10), "{behavior:?}: {rel:?}");
        match behavior {
            MissedTickBehavior::Burst => {
                assert_eq!(rel, [10, 20, 30, 40, 50].map(ms).to_vec(), "{behavior:?}");
            }
            MissedTickBehavior::Delay => {
                assert!(
                    ticks[1] >= end + ms(10),
                    "{behavior:?}: {rel:?}, stretch ended at {:?}",
                    end - t0
                );
                for w in ticks[1..].windows(2) {
                    assert!(w[1] - w[0] >= ms(10), "{behavior:?}: {rel:?}");
                }
            }
            MissedTickBehavior::Skip => {
                assert!(
                    ticks[1] >= t0 + ms(40) && ticks[1] > end,
                    "{behavior:?}: {rel:?}"
                );
                for w in ticks.windows(2) {
                    assert!(w[1] > w[0], "{behavior:?}: {rel:?}");
                }
                for r in &rel {
                    assert_eq!(
                        r.as_nanos() % ms(10).as_nanos(),
                        0,
                        "{behavior:?}: off the grid: {rel:?}"
                    );
                }
            }
        }
    }
}

/// `sleep(Duration::MAX)` saturates instead of panicking: its deadline is decades away, it
/// is pending when polled (and after a yield), not elapsed, and dropping it is fine; the
/// runtime then still serves a short sleep.
fn sleep_max_is_pending(rt: Runtime) {
    let _w = Watchdog::new("sleep_max_is_pending", 60);
    rt.block_on(async {
        let mut s = Box::pin(time::sleep(Duration::MAX));
        // Saturated to the timer's far future (about 30 years away).
        assert!(s.deadline() > Instant::now() + Duration::from_secs(20 * 365 * 24 * 3600));
        assert!(futures::poll!(s.as_mut()).is_pending());
        zokio::task::yield_now().await;
        assert!(futures::poll!(s.as_mut()).is_pending());
        assert!(!s.is_elapsed());
        drop(s);
        let t = Instant::now();
        time::sleep(ms(2)).await;
        assert!(t.elapsed() >= ms(2));
    });
}

/// Dropping a runtime with 1,000 tasks parked on 1-hour sleeps (and 1,000 registered-then-dropped
/// sleeps) drops every task's future exactly once and returns within 10 s (the watchdog
/// would catch a hang; the bound is checked).
fn shutdown_with_pending_sleeps_is_prompt(rt: Runtime) {
    const N: usize = 1_000;
    let _w = Watchdog::new("shutdown_with_pending_sleeps_is_prompt", 60);
    let drops = DropCounter::new();
    let d = drops.clone();
    rt.block_on(async move {
        let (tx, mut rx) = mpsc::unbounded_channel::<()>();
        for _ in 0..N {
            let (t, tx) = (d.token(), tx.clone());
            zokio::spawn(async move {
                let _t = t;
                // Register and drop one sleep, then park on another.
                let mut short = Box::pin(time::sleep(Duration::from_secs(3_600)));
                assert!(futures::poll!(short.as_mut()).is_pending());
                drop(short);
                let long = time::sleep(Duration::from_secs(3_600));
                tx.send(()).unwrap();
                long.await;
            });
        }
        for _ in 0..N {
            rx.recv().await.unwrap();
        }
    });
    assert_eq!(drops.count(), 0);
    let t = std::time::Instant::now();
    drop(rt);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "shutdown took {:?}",
        t.elapsed()
    );
    assert_eq!(drops.count(), N);
}

mod same_pass {
    use super::support::FLAVORS;

    #[test]
    fn current_thread() {
        super::same_pass_timers_complete_in_deadline_order(FLAVORS[0].1())
    }

    /// Timer wakes from the driver go to the back of the queue (not the LIFO slot), so sleeps
    /// fired in one pass run in deadline order.
    #[test]
    fn multi_thread_1() {
        super::same_pass_timers_complete_in_deadline_order(FLAVORS[1].1())
    }
}

rt_test!(
    sleeps_fire_in_deadline_order,
    timeout_elapses_or_passes_through,
    interval_ticks_at_period,
    interval_missed_tick_behaviors,
    sleep_max_is_pending,
    shutdown_with_pending_sleeps_is_prompt,
);
