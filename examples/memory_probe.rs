//! What an idle task costs in memory: spawns N tasks that each wait for good (on a future nobody
//! wakes), waits until every one has been polled once, and prints how much the process's
//! resident memory grew per task, split into private memory (the heap: task cells) and shared
//! memory (zokio's telemetry segment, whose task table lists each live task). One runtime per
//! process, so each figure is that runtime's alone: run it once per runtime.
//!
//! ```text
//! cargo run --release --example memory_probe -- zokio 1000000
//! cargo run --release --example memory_probe -- tokio 1000000
//! ZOKIO_TASK_TABLE_CAPACITY=1048576 cargo run --release --example memory_probe -- zokio 1000000 --hold 30
//! ```
//!
//! Both runtimes are multi-thread with two workers (the benches' setup); the tasks are spawned
//! from a task on a worker, as a service spawns its connection tasks. `--hold SECS` keeps the
//! tasks alive that long after measuring (the pid is printed), for `zokio-console attach <pid>`
//! to list them.

use std::process::exit;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn usage(problem: &str) -> ! {
    eprintln!("memory_probe: {problem}");
    eprintln!("usage: memory_probe <zokio|tokio> <tasks> [--hold SECS]");
    exit(2)
}

/// Resident memory of this process from `/proc/self/status`: (private, shared) bytes.
fn resident() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("RssAnon:"), field("RssShmem:") + field("RssFile:"))
}

/// The task every probe spawns: counts its first poll, then waits for good.
async fn idle_task(polled: Arc<AtomicUsize>) {
    polled.fetch_add(1, Relaxed);
    std::future::pending::<()>().await
}

/// Spawns `n` idle tasks with `$spawn` from a task, and waits (sleeping a millisecond at a time
/// with `$sleep`) until each has been polled; returns how long the spawns and first polls took.
macro_rules! probe {
    ($rt:expr, $spawn:path, $sleep:path, $n:expr) => {{
        let n = $n;
        let polled = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let p = polled.clone();
        $rt.block_on(async move {
            $spawn(async move {
                for _ in 0..n {
                    $spawn(idle_task(p.clone()));
                }
            })
            .await
            .expect("the spawning task");
            while polled.load(Relaxed) < n {
                $sleep(Duration::from_millis(1)).await;
            }
        });
        start.elapsed()
    }};
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runtime = args.next().unwrap_or_else(|| usage("no runtime named"));
    let n: usize = match args.next() {
        None => usage("no task count"),
        Some(s) => match s.parse() {
            Ok(n) if n > 0 => n,
            _ => usage(&format!(
                "the task count must be a positive integer, not {s:?}"
            )),
        },
    };
    let hold = match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--hold"), Some(secs)) => match secs.parse::<u64>() {
            Ok(s) => Some(Duration::from_secs(s)),
            Err(_) => usage(&format!("--hold takes whole seconds, not {secs:?}")),
        },
        (Some(other), _) => usage(&format!("unknown option {other:?}")),
    };
    match runtime.as_str() {
        "zokio" => {
            let rt = zokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a zokio runtime");
            rt.block_on(zokio::task::yield_now());
            let before = resident();
            let took = probe!(rt, zokio::spawn, zokio::time::sleep, n);
            report("zokio", n, before, resident(), took);
            let m = rt.handle().metrics();
            println!("active tasks: {}", m.active_tasks);
            hold_for(n, hold);
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(tokio::task::yield_now());
            let before = resident();
            let took = probe!(rt, tokio::spawn, tokio::time::sleep, n);
            report("tokio", n, before, resident(), took);
            hold_for(n, hold);
        }
        other => usage(&format!("unknown runtime {other:?} (zokio or tokio)")),
    }
}

/// Keeps the process (and its idle tasks) alive for `hold`, if given, saying so with the pid.
fn hold_for(n: usize, hold: Option<Duration>) {
    if let Some(hold) = hold {
        println!(
            "holding {n} idle tasks for {} s: pid {}",
            hold.as_secs(),
            std::process::id()
        );
        std::thread::sleep(hold);
    }
}

fn report(name: &str, n: usize, before: (u64, u64), after: (u64, u64), took: Duration) {
    let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / n as f64;
    println!(
        "{name}: {n} idle tasks in {took:.2?}: {:.1} bytes each resident ({:.1} private, {:.1} shared)",
        per(after.0 + after.1, before.0 + before.1),
        per(after.0, before.0),
        per(after.1, before.1),
    );
}
