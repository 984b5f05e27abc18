//! Scheduler workloads, zokio against tokio in the same run.
//!
//! Each workload is one criterion group with two functions, `zokio` and `tokio`, running the same
//! code (`support/workloads.rs`, compiled once per runtime) on a multi-thread runtime with exactly
//! two workers, built once outside the timing loop. Results are published in
//! `docs/performance.md`.
//!
//! ```text
//! cargo bench --bench scheduler -- --warm-up-time 1 --measurement-time 5
//! ```

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::{Duration, Instant};

mod zokio_rt {
    use zokio as rt;
    include!("support/workloads.rs");
}

mod tokio_rt {
    use tokio as rt;
    include!("support/workloads.rs");
}

const SPAWN: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const PAIRS: usize = 1_000;
const ROUNDS: usize = 10;
const CHAIN: usize = 1_000;
const PRODUCERS: usize = 4;
const PER_PRODUCER: usize = 100_000;
const CAPACITY: usize = 1_024;
const TIMERS: usize = 100_000;

/// Times `iters` runs of `run`; `settle` checks (and disposes of) each result outside the timed
/// part and returns the count compared with `expected`.
fn timed<T>(
    iters: u64,
    expected: usize,
    mut run: impl FnMut() -> T,
    mut settle: impl FnMut(T) -> usize,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let out = run();
        total += start.elapsed();
        assert_eq!(settle(out), expected);
    }
    total
}

/// Registers the `zokio` and `tokio` functions of one workload in `group`: `$body` is timed,
/// `$settle` (the identity unless given) is not.
macro_rules! both {
    ($group:expr, $expected:expr, |$rt:ident| $body:expr) => {
        both!($group, $expected, |$rt| $body, |out| out)
    };
    ($group:expr, $expected:expr, |$rt:ident| $body:expr, |$out:ident| $settle:expr) => {{
        let zokio_runtime = zokio_rt::runtime();
        $group.bench_function("zokio", |b| {
            use zokio_rt as w;
            let $rt = &zokio_runtime;
            b.iter_custom(|iters| timed(iters, $expected, || $body, |$out| $settle))
        });
        drop(zokio_runtime);
        let tokio_runtime = tokio_rt::runtime();
        $group.bench_function("tokio", |b| {
            use tokio_rt as w;
            let $rt = &tokio_runtime;
            b.iter_custom(|iters| timed(iters, $expected, || $body, |$out| $settle))
        });
        drop(tokio_runtime);
    }};
}

fn group<'a>(c: &'a mut Criterion, name: &str, samples: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(samples);
    g
}

fn spawn_many(c: &mut Criterion) {
    let mut g = group(c, "spawn_many", 100);
    both!(g, SPAWN, |rt| w::spawn_many(rt, SPAWN));
    g.finish();
}

fn spawn_remote(c: &mut Criterion) {
    let mut g = group(c, "spawn_remote", 100);
    both!(g, SPAWN, |rt| w::spawn_remote(rt, SPAWN));
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = group(c, "yield_many", 50);
    both!(g, YIELD_TASKS * YIELDS, |rt| w::yield_many(
        rt,
        YIELD_TASKS,
        YIELDS
    ));
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut g = group(c, "ping_pong", 100);
    both!(g, PAIRS * ROUNDS, |rt| w::ping_pong(rt, PAIRS, ROUNDS));
    g.finish();
}

fn chained_spawn(c: &mut Criterion) {
    let mut g = group(c, "chained_spawn", 100);
    both!(g, CHAIN, |rt| w::chained_spawn(rt, CHAIN));
    g.finish();
}

fn mpsc(c: &mut Criterion) {
    let mut g = group(c, "mpsc", 20);
    both!(g, PRODUCERS * PER_PRODUCER, |rt| w::mpsc(
        rt,
        PRODUCERS,
        PER_PRODUCER,
        CAPACITY
    ));
    g.finish();
}

/// Times registration of every sleep and cancellation of half of them; the other half is
/// cancelled after the clock stops.
fn timers(c: &mut Criterion) {
    let mut g = group(c, "timers", 20);
    both!(g, TIMERS / 2, |rt| w::timers(rt, TIMERS), |survivors| {
        let n = survivors.len();
        w::drop_survivors(rt, survivors);
        n
    });
    g.finish();
}

criterion_group!(
    benches,
    spawn_many,
    spawn_remote,
    yield_many,
    ping_pong,
    chained_spawn,
    mpsc,
    timers
);
criterion_main!(benches);
