//! Runs one of the I/O bench's network workloads (`benches/support/io_workloads.rs`) a fixed
//! number of times on one runtime and prints the time per iteration. Every run does the same
//! work, so `strace -c -f`, `perf stat` and `perf record` of two runtimes compare per request,
//! which criterion's time-boxed runs do not allow.
//!
//! ```text
//! cargo run --release --example io_probe -- http_hello uring 20
//! strace -f -c -o /tmp/tokio.txt target/release/examples/io_probe tcp_echo tokio 5
//! ```
//!
//! Workloads (the bench's sizes): tcp_echo (50 connections x 2,000 round trips of 64 B) and
//! http_hello (16 keep-alive connections x 500 GETs). Runtimes: `uring` and `poll` (zokio on
//! that backend) and `tokio`; each multi-thread with two workers, like the bench, or
//! current-thread with `--current-thread` (not in the bench). Connections are opened before the
//! clock starts and closed after it stops. On zokio with telemetry on it also prints the task
//! polls per iteration (of the timed part).

#![allow(dead_code)] // the file workload is not probed

use std::process::exit;
use std::time::{Duration, Instant};

mod zokio_rt {
    use std::path::PathBuf;
    use zokio as rt;
    use zokio::compat::hyper::ZokioIo as HyperIo;
    include!("../benches/support/io_workloads.rs");

    async fn read_file(_: PathBuf) -> u64 {
        unreachable!("file reads are not probed")
    }
}

mod tokio_rt {
    use hyper_util::rt::TokioIo as HyperIo;
    use std::path::PathBuf;
    use tokio as rt;
    include!("../benches/support/io_workloads.rs");

    async fn read_file(_: PathBuf) -> u64 {
        unreachable!("file reads are not probed")
    }
}

const ECHO_CONNS: usize = 50;
const ECHO_ROUNDS: usize = 2_000;
const HTTP_CONNS: usize = 16;
const HTTP_REQUESTS: usize = 500;

fn usage(problem: &str) -> ! {
    eprintln!("io_probe: {problem}");
    eprintln!(
        "usage: io_probe <tcp_echo|http_hello> <uring|poll|tokio> <iterations> [--current-thread]"
    );
    exit(2)
}

/// Runs `iterations` of a workload with the setup and finish outside the clock; returns the
/// time spent in the runs and the task polls counted in them (`$polls`: the runtime's count so
/// far, if it keeps one).
macro_rules! probe {
    ($w:ident, $rt:expr, $polls:expr, $workload:expr, $iterations:expr) => {{
        let rt = $rt;
        let polls_so_far = $polls;
        let mut spent = Duration::ZERO;
        let mut polls = Some(0u64);
        for _ in 0..$iterations {
            let mut count = |before: Option<u64>, after: Option<u64>| {
                polls = polls.zip(after.zip(before)).map(|(p, (a, b))| p + a - b);
            };
            match $workload {
                "tcp_echo" => {
                    let echo = $w::echo_setup(&rt, ECHO_CONNS);
                    let before = polls_so_far(&rt);
                    let start = Instant::now();
                    let done = $w::echo_run(&rt, echo, ECHO_ROUNDS);
                    spent += start.elapsed();
                    count(before, polls_so_far(&rt));
                    let trips = ECHO_CONNS * ECHO_ROUNDS;
                    let counted = $w::echo_finish(&rt, done);
                    assert_eq!(counted, (trips, (trips * $w::MSG) as u64));
                }
                _ => {
                    let http = $w::http_setup(&rt, HTTP_CONNS);
                    let before = polls_so_far(&rt);
                    let start = Instant::now();
                    let done = $w::http_run(&rt, http, HTTP_REQUESTS);
                    spent += start.elapsed();
                    count(before, polls_so_far(&rt));
                    let requests = HTTP_CONNS * HTTP_REQUESTS;
                    assert_eq!($w::http_finish(&rt, done), (requests, requests));
                }
            }
        }
        (spent, polls)
    }};
}

/// The task polls of a zokio runtime so far (`None` with telemetry compiled out).
fn zokio_polls(rt: &zokio::runtime::Runtime) -> Option<u64> {
    zokio::runtime::metrics::ENABLED
        .then(|| rt.handle().metrics().workers.iter().map(|w| w.polls).sum())
}

fn zokio_runtime(
    backend: zokio::io::IoBackendPreference,
    current_thread: bool,
) -> zokio::runtime::Runtime {
    let mut b = if current_thread {
        zokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = zokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    let rt = b
        .enable_all()
        .io_backend(backend)
        .build()
        .expect("a zokio runtime");
    eprintln!("io_probe: zokio on {}", rt.handle().io_backend());
    rt
}

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| usage("no workload named"));
    if !["tcp_echo", "http_hello"].contains(&workload.as_str()) {
        usage(&format!("unknown workload {workload:?}"));
    }
    let runtime = args.next().unwrap_or_else(|| usage("no runtime named"));
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
        Some(other) => usage(&format!("unexpected argument {other:?}")),
    };
    if let Some(extra) = args.next() {
        usage(&format!("unexpected argument {extra:?}"));
    }
    use zokio::io::IoBackendPreference::{IoUring, Poll};
    let w = workload.as_str();
    let (spent, polls) = match runtime.as_str() {
        "uring" => probe!(
            zokio_rt,
            zokio_runtime(IoUring, current_thread),
            zokio_polls,
            w,
            iterations
        ),
        "poll" => probe!(
            zokio_rt,
            zokio_runtime(Poll, current_thread),
            zokio_polls,
            w,
            iterations
        ),
        "tokio" => {
            let mut b = if current_thread {
                tokio::runtime::Builder::new_current_thread()
            } else {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            };
            let rt = b.enable_all().build().expect("a tokio runtime");
            probe!(
                tokio_rt,
                rt,
                |_: &tokio::runtime::Runtime| None,
                w,
                iterations
            )
        }
        other => usage(&format!("unknown runtime {other:?}")),
    };
    let per_iteration = spent / iterations;
    println!("{workload} on {runtime}: {per_iteration:?} per iteration ({iterations} iterations)");
    if let Some(polls) = polls {
        let per = polls as f64 / f64::from(iterations);
        println!("per iteration: {per:.1} task polls");
    }
}
