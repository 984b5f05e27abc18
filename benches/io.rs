//! I/O workloads: zokio on io_uring, zokio on readiness polling and tokio in the same run.
//!
//! Each workload is one criterion group with three functions, `zokio_uring`, `zokio_poll` and
//! `tokio`, running the same code (`support/io_workloads.rs`, compiled once per runtime) on a
//! multi-thread runtime with exactly two workers, built once per function outside the timing
//! loop. Connections are opened before the clock starts and joined after it stops; every
//! iteration's result is checked after the clock stops. Results are published in
//! `docs/performance.md`.
//!
//! ```text
//! cargo bench --bench io                       # measured run
//! cargo bench --bench io -- --test             # smoke run (CI): each function once, 16 MiB file
//! ZOKIO_BENCH_FILE_MB=256 cargo bench --bench io -- file_read
//! ```
//!
//! A `zokio_uring` function whose runtime could not get io_uring is skipped, with the reason on
//! stderr, rather than measuring the poll backend twice.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use std::cell::OnceCell;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};
use zokio::io::{IoBackend, IoBackendPreference};

#[path = "support/io_file.rs"]
mod io_file;

mod zokio_rt {
    use crate::io_file::{check_read, CHUNK};
    use std::path::PathBuf;
    use zokio as rt;
    use zokio::compat::hyper::ZokioIo as HyperIo;
    include!("support/io_workloads.rs");

    /// Positional reads (`read_at_owned`: an io_uring `READ` on the io_uring backend, the
    /// blocking pool on the poll backend) into one reused buffer.
    async fn read_file(path: PathBuf) -> u64 {
        let file = zokio::fs::File::open(&path).await.unwrap();
        let mut buf = Vec::with_capacity(CHUNK);
        let mut offset = 0;
        loop {
            buf.clear();
            let (res, back) = file.read_at_owned(buf, offset).await;
            buf = back;
            let n = res.unwrap();
            if n == 0 {
                return offset;
            }
            check_read(offset, &buf[..n]);
            offset += n as u64;
        }
    }
}

mod tokio_rt {
    use crate::io_file::{check_read, CHUNK};
    use hyper_util::rt::TokioIo as HyperIo;
    use std::path::PathBuf;
    use tokio as rt;
    include!("support/io_workloads.rs");

    /// Sequential `AsyncReadExt::read`s into one buffer (tokio runs each on its blocking pool).
    async fn read_file(path: PathBuf) -> u64 {
        let mut file = tokio::fs::File::open(&path).await.unwrap();
        let mut buf = vec![0; CHUNK];
        let mut offset = 0;
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                return offset;
            }
            check_read(offset, &buf[..n]);
            offset += n as u64;
        }
    }
}

const ECHO_CONNS: usize = 50;
const ECHO_ROUNDS: usize = 2_000;
const HTTP_CONNS: usize = 16;
const HTTP_REQUESTS: usize = 500;

/// The zokio functions of every group and the backend each asks for.
const ZOKIO: [(&str, IoBackendPreference); 2] = [
    ("zokio_uring", IoBackendPreference::IoUring),
    ("zokio_poll", IoBackendPreference::Poll),
];

/// A zokio multi-thread runtime with two workers on `backend`, or `None` (with the reason on
/// stderr) when it ended up on another backend.
fn zokio_runtime(backend: IoBackendPreference) -> Option<zokio::runtime::Runtime> {
    let rt = zokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .io_backend(backend)
        .build()
        .unwrap();
    let want = match backend {
        IoBackendPreference::Poll => IoBackend::Poll,
        _ => IoBackend::IoUring,
    };
    let choice = rt.handle().io_backend();
    if choice.backend != want {
        eprintln!("io bench: skipping zokio on {want}: the runtime chose {choice}");
        return None;
    }
    Some(rt)
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// How long one iteration may run before the runtime is declared stuck (a normal one takes
/// well under 10 s).
const STUCK_AFTER: Duration = Duration::from_secs(60);

/// What is running: the function, the phase of its iteration (`setup`, `run`, `check`) and
/// since when the iteration runs; read by the watchdog.
struct Running {
    id: String,
    phase: &'static str,
    since: Instant,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

/// Starts (once) a thread that ends the process with a message when an iteration runs longer
/// than `STUCK_AFTER`, so a runtime that loses a wake-up fails the run instead of hanging it
/// (and CI with it).
fn start_watchdog() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_secs(1));
            if let Some(r) = &*RUNNING.lock().unwrap() {
                if r.since.elapsed() > STUCK_AFTER {
                    let (id, phase) = (&r.id, r.phase);
                    eprintln!("io bench: {id}: stuck in {phase} (iteration over {STUCK_AFTER:?})");
                    io_file::remove_live();
                    std::process::exit(2);
                }
            }
        });
    });
}

/// Marks the phase of the running iteration; `None` when it is over.
fn phase(id: &str, phase: Option<&'static str>) {
    let mut running = RUNNING.lock().unwrap();
    *running = phase.map(|phase| Running {
        id: id.to_string(),
        phase,
        since: running.as_ref().map_or_else(Instant::now, |r| r.since),
    });
}

/// Times `iters` runs of `run`, each on a fresh `setup` made before the clock starts; `check`
/// verifies (and disposes of) each result after it stops. `id` names the function for the
/// watchdog, which watches setup, run and check alike.
fn timed<S, T>(
    id: &str,
    iters: u64,
    mut setup: impl FnMut() -> S,
    mut run: impl FnMut(S) -> T,
    mut check: impl FnMut(T),
) -> Duration {
    start_watchdog();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        phase(id, Some("setup"));
        let prepared = setup();
        phase(id, Some("run"));
        let start = Instant::now();
        let out = run(prepared);
        total += start.elapsed();
        phase(id, Some("check"));
        check(out);
        phase(id, None);
    }
    total
}

/// Registers the `zokio_uring`, `zokio_poll` and `tokio` functions of one workload in `group`,
/// each on its own runtime (only one alive at a time): `$setup` and `$check` are not timed,
/// `$run` is. Inside them, `w` is the workload module of the runtime being measured.
macro_rules! each_runtime {
    ($group:expr, $name:expr, |$rt:ident| $setup:expr, |$s:ident| $run:expr, |$out:ident| $check:expr) => {{
        for (id, backend) in ZOKIO {
            let Some(runtime) = zokio_runtime(backend) else {
                continue;
            };
            let watched = format!("{}/{id}", $name);
            $group.bench_function(id, |b| {
                use zokio_rt as w;
                let $rt = &runtime;
                b.iter_custom(|n| timed(&watched, n, || $setup, |$s| $run, |$out| $check))
            });
        }
        let runtime = tokio_runtime();
        let watched = format!("{}/tokio", $name);
        $group.bench_function("tokio", |b| {
            use tokio_rt as w;
            let $rt = &runtime;
            b.iter_custom(|n| timed(&watched, n, || $setup, |$s| $run, |$out| $check))
        });
    }};
}

/// A group of long iterations: 10 samples of equally many iterations each.
fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    per_iter: Throughput,
) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(per_iter);
    g
}

/// 50 connections x 2,000 round trips of 64 bytes.
fn tcp_echo(c: &mut Criterion) {
    let trips = ECHO_CONNS * ECHO_ROUNDS;
    let mut g = group(c, "tcp_echo", Throughput::Elements(trips as u64));
    each_runtime!(
        g,
        "tcp_echo",
        |rt| w::echo_setup(rt, ECHO_CONNS),
        |echo| w::echo_run(rt, echo, ECHO_ROUNDS),
        |done| assert_eq!(w::echo_finish(rt, done), (trips, (trips * w::MSG) as u64))
    );
    g.finish();
}

/// 16 keep-alive connections x 500 sequential GETs answered "hello".
fn http_hello(c: &mut Criterion) {
    let requests = HTTP_CONNS * HTTP_REQUESTS;
    let mut g = group(c, "http_hello", Throughput::Elements(requests as u64));
    each_runtime!(
        g,
        "http_hello",
        |rt| w::http_setup(rt, HTTP_CONNS),
        |http| w::http_run(rt, http, HTTP_REQUESTS),
        |done| assert_eq!(w::http_finish(rt, done), (requests, requests))
    );
    g.finish();
}

/// The whole bench file (1 GiB unless `ZOKIO_BENCH_FILE_MB` or `--test` says otherwise) in 64 KiB
/// reads, from the page cache. The file is made on first use and removed at the end.
fn file_read(c: &mut Criterion) {
    let size = io_file::file_size();
    let file = OnceCell::new();
    let mut g = group(c, "file_read", Throughput::Bytes(size));
    each_runtime!(
        g,
        "file_read",
        |rt| file.get_or_init(|| io_file::BenchFile::create(size)).path(),
        |path| w::file_read(rt, path),
        |read| assert_eq!(read, size)
    );
    g.finish();
}

criterion_group!(benches, tcp_echo, http_hello, file_read);
criterion_main!(benches);
