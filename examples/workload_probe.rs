//! Runs one of the scheduler bench's workloads (`benches/support/workloads.rs`) a fixed number
//! of times and prints the time per iteration: the same work in every run, so two builds (say,
//! telemetry on and compiled out) or two profiles (`perf record`, `perf stat`) compare directly,
//! which criterion's time-boxed runs do not allow. With telemetry on it also prints the polls,
//! parks and steals per iteration.
//!
//! ```text
//! cargo run --release --example workload_probe -- chained_spawn 3000
//! cargo run --release --example workload_probe -- yield_many 100 --current-thread
//! cargo run --release --no-default-features --example workload_probe -- mpsc 20   # compiled out
//! ```
//!
//! Workloads (the bench's sizes): spawn_many, spawn_remote, yield_many, ping_pong, chained_spawn,
//! mpsc, timers. The runtime is the bench's (multi-thread, two workers) unless `--current-thread`.

#![allow(dead_code)] // each run uses one of the included workloads

mod w {
    use zokio as rt;
    include!("../benches/support/workloads.rs");
}

use std::process::exit;
use std::time::Instant;

const WORKLOADS: [&str; 7] = [
    "spawn_many",
    "spawn_remote",
    "yield_many",
    "ping_pong",
    "chained_spawn",
    "mpsc",
    "timers",
];

fn usage(problem: &str) -> ! {
    eprintln!("workload_probe: {problem}");
    eprintln!("usage: workload_probe <workload> <iterations> [--current-thread]");
    eprintln!("workloads: {}", WORKLOADS.join(", "));
    exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| usage("no workload named"));
    if !WORKLOADS.contains(&name.as_str()) {
        usage(&format!("unknown workload {name:?}"));
    }
    let iterations: u32 = match args.next() {
        None => usage("no iteration count"),
        Some(n) => match n.parse() {
            Ok(n) if n > 0 => n,
            _ => usage(&format!(
                "the iteration count must be a positive integer, not {n:?}"
            )),
        },
    };
    let current_thread = match args.next().as_deref() {
        None => false,
        Some("--current-thread") => true,
        Some(other) => usage(&format!("unknown option {other:?}")),
    };
    let rt = if current_thread {
        zokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
    } else {
        w::runtime()
    };
    let before = rt.handle().metrics();
    let start = Instant::now();
    for _ in 0..iterations {
        let done = match name.as_str() {
            "spawn_many" => w::spawn_many(&rt, 10_000) == 10_000,
            "spawn_remote" => w::spawn_remote(&rt, 10_000) == 10_000,
            "yield_many" => w::yield_many(&rt, 200, 1_000) == 200 * 1_000,
            "ping_pong" => w::ping_pong(&rt, 1_000, 10) == 1_000 * 10,
            "chained_spawn" => w::chained_spawn(&rt, 1_000) == 1_000,
            "mpsc" => w::mpsc(&rt, 4, 100_000, 1_024) == 4 * 100_000,
            "timers" => {
                let survivors = w::timers(&rt, 100_000);
                let n = survivors.len();
                w::drop_survivors(&rt, survivors);
                n == 50_000
            }
            _ => unreachable!("checked above"),
        };
        assert!(done, "{name}: an iteration did not do all its work");
    }
    let per_iteration = start.elapsed() / iterations;
    println!("{name}: {per_iteration:?} per iteration ({iterations} iterations)");
    if zokio::runtime::metrics::ENABLED {
        let after = rt.handle().metrics();
        let per = |f: fn(&zokio::runtime::metrics::WorkerMetrics) -> u64| {
            let sum = |m: &zokio::runtime::RuntimeMetrics| m.workers.iter().map(f).sum::<u64>();
            (sum(&after) - sum(&before)) as f64 / f64::from(iterations)
        };
        println!(
            "per iteration: {:.1} polls, {:.1} parks, {:.1} steals",
            per(|w| w.polls),
            per(|w| w.parks),
            per(|w| w.steal_operations)
        );
    }
}
