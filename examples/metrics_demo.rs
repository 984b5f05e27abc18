//! A small service with metrics on, watched while it runs.
//!
//! It runs a mixed workload on a 2-worker runtime — bursts of spawned tasks, a producer/consumer
//! pipeline over a bounded channel, timers, and a blocking hot spot — and prints the runtime's
//! per-worker counters once a second, the way `zokio-console` will show them.
//!
//! ```text
//! cargo run --release --example metrics_demo            # runs 5 seconds
//! cargo run --release --example metrics_demo -- 30      # runs 30 seconds
//! ```

use std::time::Duration;
use zokio::runtime::{Builder, RuntimeMetrics};
use zokio::sync::mpsc;
use zokio::time::{interval, sleep};

fn main() {
    let seconds = match std::env::args().nth(1) {
        None => 5,
        Some(s) => s.parse::<u64>().unwrap_or_else(|_| {
            eprintln!("usage: metrics_demo [SECONDS]  (a whole number of seconds, got {s:?})");
            std::process::exit(2);
        }),
    };
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .service_name("metrics-demo")
        .build()
        .expect("failed to build the runtime");
    let handle = rt.handle().clone();
    println!(
        "service {:?}: {} workers, {seconds} s",
        handle.service_name(),
        rt.metrics().num_workers
    );
    rt.block_on(async move {
        let work = zokio::spawn(workload());
        let mut tick = interval(Duration::from_secs(1));
        tick.tick().await;
        let mut prev = handle.metrics();
        for second in 1..=seconds {
            tick.tick().await;
            let now = handle.metrics();
            print_second(second, &prev, &now);
            prev = now;
        }
        work.abort();
        let _ = work.await;
    });
    let m = rt.metrics();
    println!(
        "total: {} tasks spawned, {} completed, {} polls, {} stolen",
        m.total_spawned(),
        m.total_completed(),
        m.total_polls(),
        m.total_stolen()
    );
}

/// One line per worker: what it did during the last second.
fn print_second(second: u64, prev: &RuntimeMetrics, now: &RuntimeMetrics) {
    println!(
        "[{second:>3}s] live tasks {:>6}  global queue {:>4}  blocking threads {}",
        now.active_tasks, now.global_queue_depth, now.blocking_threads
    );
    for (p, w) in prev.workers.iter().zip(&now.workers) {
        let busy_ms = (w.busy_ns - p.busy_ns) / 1_000_000;
        println!(
            "        worker {}: polls/s {:>8}  stolen/s {:>6}  parks/s {:>5}  queue {:>4}  busy {:>3}%",
            w.index,
            w.polls - p.polls,
            w.tasks_stolen - p.tasks_stolen,
            w.parks - p.parks,
            w.local_queue_depth,
            busy_ms.min(1000) / 10
        );
    }
}

/// Runs until aborted: every part loops forever.
async fn workload() {
    let (tx, mut rx) = mpsc::channel::<u64>(256);
    for producer in 0..3u64 {
        let tx = tx.clone();
        zokio::spawn(async move {
            let mut n = 0u64;
            loop {
                if tx.send(producer * 1_000_000 + n).await.is_err() {
                    return;
                }
                n += 1;
                if n.is_multiple_of(1_000) {
                    sleep(Duration::from_millis(5)).await;
                }
            }
        });
    }
    zokio::spawn(async move {
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum = sum.wrapping_add(v);
        }
        sum
    });
    let mut burst = interval(Duration::from_millis(50));
    let mut round = 0u64;
    loop {
        burst.tick().await;
        round += 1;
        let tasks: Vec<_> = (0..500u64)
            .map(|i| {
                zokio::spawn(async move {
                    zokio::task::yield_now().await;
                    i * 2
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        if round.is_multiple_of(10) {
            // The blocking hot spot: CPU work moved off the workers.
            let _ = zokio::task::spawn_blocking(|| {
                (0..200_000u64).fold(0u64, |a, b| a ^ b.wrapping_mul(31))
            })
            .await;
        }
    }
}
