//! A service that keeps a Zokio runtime busy in every way the console and the dashboards show,
//! until it is stopped: the process `zokio-console attach <pid>` and its end-to-end test watch.
//!
//! Its parts, each a task with a name (`zokio::task::Builder::name`):
//!
//! - `http-server`: hyper 1 through `zokio::compat::hyper`, a task per connection. `GET /` says
//!   hello; `GET /work` hashes a little and gets a job number from the `work-actor` task (mpsc
//!   request, oneshot reply); `GET /slow` sleeps 5 to 45 ms inside a 30 ms `timeout`.
//! - `client-N`: the load generator. Each client takes turns over the routes on one keep-alive
//!   connection at a bounded rate (`--rps-per-client`), counting the responses.
//! - `ticker`: a 500 ms `interval` broadcasting the tick number, on which the burst spawner, the
//!   hot spot, the spinner and the summary pace themselves. `sleeper`: sleeps of assorted
//!   lengths, 1 to 250 ms, one after another.
//! - `producer` -> `stage` -> `consumer`: a pipeline over bounded mpsc channels; the consumer
//!   checks that every sequence number arrives exactly once and in order.
//! - `burst-spawner`: every second spawns 1,000 short tasks at once, which idle workers steal.
//! - `hot-spot`: every 2 s blocks its worker for 20 ms with `std::thread::sleep` inside async code
//!   (what the long-poll lint flags), then does the same work properly, in `spawn_blocking`.
//! - `spinner`: at 2 s, then every 5 s, spins 1.2 s without yielding (what the "has not yielded
//!   for over a second" lint flags).
//! - `summary`: every 5 s (not with `--quiet`), one line: requests, tasks spawned, steals.
//!
//! A `watch` channel tells them all to stop (Ctrl-C, SIGTERM, `--duration`): the clients finish
//! their request, the server closes each connection once its request is answered, the others
//! finish their round, and the totals are printed.
//!
//! ```text
//! cargo run --release --example demo_service                  # until Ctrl-C or SIGTERM
//! cargo run --release --example demo_service -- --listen 127.0.0.1:8080 --workers 4 --clients 16
//! cargo run --release --example demo_service -- --duration 10 --quiet
//! cargo run --release --example demo_service -- --self-test
//! ZOKIO_IO=poll cargo run --release --example demo_service -- --self-test
//! ```
//!
//! It prints its pid, address, worker count and I/O backend; attach with `zokio-console attach
//! <pid>`, or `curl http://ADDR/work`. `--self-test` runs 3 s (or `--duration`), then checks that
//! the server answered requests, as many as the clients counted, that tasks were stolen (with 2
//! workers or more and telemetry on), and that every pipeline message arrived once: exit 0, or 1
//! after saying what mismatched.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use zokio::compat::hyper::{ZokioIo, ZokioTimer};
use zokio::net::{TcpListener, TcpStream};
use zokio::runtime::{Builder, Handle, RuntimeMetrics};
use zokio::signal::unix::{signal, Signal, SignalKind};
use zokio::sync::{broadcast, mpsc, oneshot, watch};
use zokio::task::{self, JoinHandle, JoinSet};
use zokio::time::{interval, sleep, timeout, Instant, MissedTickBehavior};

type BoxError = Box<dyn Error + Send + Sync>;

const USAGE: &str = "usage: demo_service [--listen ADDR] [--workers N] [--clients N] \
[--rps-per-client N] [--duration SECS] [--metrics ADDR] [--self-test] [--quiet]
  --listen ADDR         address to serve on (default 127.0.0.1:0, a free port)
  --metrics ADDR        also serve Prometheus metrics on http://ADDR/metrics (zokio-exporter)
  --workers N           worker threads (default: available parallelism, at least 2)
  --clients N           load-generating clients (default 8)
  --rps-per-client N    requests per second each client makes at most (default 20)
  --duration SECS       stop after this long (default: at Ctrl-C or SIGTERM)
  --self-test           run 3 s (or --duration), check the totals, exit 0 or 1
  --quiet               no summary line every 5 s";

const TICK: Duration = Duration::from_millis(500);
/// The routes the clients take turns over.
const ROUTES: [&str; 3] = ["/", "/work", "/slow"];
const SLOW_LIMIT: Duration = Duration::from_millis(30);
const BURST: u64 = 1_000;
const HOT_SPOT_BLOCK: Duration = Duration::from_millis(20);
const SPIN: Duration = Duration::from_millis(1_200);
const NAPS_MS: [u64; 7] = [1, 3, 10, 25, 60, 150, 250];
const PIPELINE_PERIOD: Duration = Duration::from_millis(10);
const PIPELINE_BATCH: u64 = 50;
/// How long open connections may take to finish once the server stops accepting.
const GRACE: Duration = Duration::from_secs(2);
/// Stopping everything taking longer than this is a failure.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);
const SELF_TEST_RUN: Duration = Duration::from_secs(3);

struct Config {
    listen: SocketAddr,
    workers: usize,
    clients: usize,
    rps_per_client: u64,
    duration: Option<Duration>,
    metrics: Option<SocketAddr>,
    self_test: bool,
    quiet: bool,
}

fn main() -> ExitCode {
    let cfg = match utf8_args().and_then(parse_args) {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("demo_service: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (self_test, workers) = (cfg.self_test, cfg.workers);
    match run_runtime(cfg) {
        Ok((stats, metrics)) => {
            print_totals(&stats, &metrics);
            match self_test {
                true => verdict(&stats, &metrics, workers),
                false => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("demo_service: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the service on a runtime of its own; returns its counts and the runtime's metrics.
fn run_runtime(cfg: Config) -> Result<(Arc<Stats>, RuntimeMetrics), BoxError> {
    let rt = Builder::new_multi_thread()
        .worker_threads(cfg.workers)
        .service_name("demo-service")
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let handle = rt.handle().clone();
    // The endpoint serves from a thread and runtime of its own: scrapes never wait for, or
    // run on, the workers they observe.
    let endpoint = match cfg.metrics {
        Some(addr) => Some(
            zokio_exporter::serve(addr)
                .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?,
        ),
        None => None,
    };
    if let Some(e) = &endpoint {
        println!("demo_service: metrics on http://{}/metrics", e.local_addr());
    }
    let stats = rt.block_on(async { joined(named("main", run(cfg)).await)? })?;
    // A worker publishes its counters when it parks or every millisecond between tasks, so
    // one that has not parked since a long poll still shows older numbers; every worker
    // publishes as it exits, so the counters read after shutdown are complete.
    rt.shutdown_timeout(GRACE);
    if let Some(e) = endpoint {
        e.shutdown();
    }
    Ok((stats, handle.metrics()))
}

// --- Arguments ---------------------------------------------------------------------------------

/// The command-line arguments, which must be UTF-8.
fn utf8_args() -> Result<Vec<String>, String> {
    std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not UTF-8"))
        })
        .collect()
}

/// `Ok(None)` asks for the usage text.
fn parse_args(args: Vec<String>) -> Result<Option<Config>, String> {
    let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut cfg = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: parallelism.max(2),
        clients: 8,
        rps_per_client: 20,
        duration: None,
        metrics: None,
        self_test: false,
        quiet: false,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--self-test" => cfg.self_test = true,
            "--quiet" => cfg.quiet = true,
            "--listen" => cfg.listen = address(&flag, &value()?)?,
            "--workers" => cfg.workers = number(&flag, &value()?, 1, 512)? as usize,
            "--clients" => cfg.clients = number(&flag, &value()?, 0, 10_000)? as usize,
            "--rps-per-client" => cfg.rps_per_client = number(&flag, &value()?, 1, 10_000)?,
            "--duration" => cfg.duration = Some(seconds(&flag, &value()?)?),
            "--metrics" => cfg.metrics = Some(address(&flag, &value()?)?),
            opt if opt.starts_with('-') => return Err(format!("unknown option {opt:?}")),
            arg => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Some(cfg))
}

fn number(flag: &str, s: &str, min: u64, max: u64) -> Result<u64, String> {
    let n = s.parse::<u64>().ok().filter(|n| (min..=max).contains(n));
    n.ok_or(format!(
        "{flag} takes a whole number from {min} to {max}, got {s:?}"
    ))
}

fn address(flag: &str, s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| {
        format!("{flag} takes an IP address and port such as 127.0.0.1:8080, got {s:?}")
    })
}

fn seconds(flag: &str, s: &str) -> Result<Duration, String> {
    let secs = s.parse::<f64>().ok().filter(|&x| x > 0.0);
    let d = secs.and_then(|x| Duration::try_from_secs_f64(x).ok());
    d.ok_or(format!(
        "{flag} takes a positive number of seconds, got {s:?}"
    ))
}

// --- The run -----------------------------------------------------------------------------------

/// What the parts count as they go: the server (`answered`, `connections`, `slow_gave_up`), the
/// clients (`counted` 200 responses, `client_errors`), the pipeline (`sent`, `received` and
/// `out_of_order`: not the next number or a wrong checksum) and the burst spawner.
#[derive(Default)]
struct Stats {
    answered: AtomicU64,
    connections: AtomicU64,
    counted: AtomicU64,
    client_errors: AtomicU64,
    slow_gave_up: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
    out_of_order: AtomicU64,
    burst_tasks: AtomicU64,
}

/// Tasks with their names, to be joined at shutdown.
type Tasks = Vec<(String, JoinHandle<()>)>;

async fn run(cfg: Config) -> Result<Arc<Stats>, BoxError> {
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let signals = stop_signals()?;
    announce(&cfg, addr);
    let stats = Arc::new(Stats::default());
    let (stop, stopped) = watch::channel(false);
    let (stop_server, server_stopped) = oneshot::channel();
    let server = named(
        "http-server",
        serve(listener, stats.clone(), server_stopped),
    );
    let clients = start_clients(&cfg, addr, &stats, &stopped);
    let background = start_background(&cfg, &stats, &stopped);
    let limit = cfg.duration.or(cfg.self_test.then_some(SELF_TEST_RUN));
    println!("stopping: {}", stop_reason(signals, limit).await);
    let _ = stop.send(true);
    let shutdown = async {
        join_all(clients).await?;
        let _ = stop_server.send(());
        joined(server.await)?;
        join_all(background).await
    };
    timeout(SHUTDOWN_LIMIT, shutdown)
        .await
        .map_err(|_| format!("still stopping after {SHUTDOWN_LIMIT:?}"))??;
    Ok(stats)
}

fn announce(cfg: &Config, addr: SocketAddr) {
    let pid = std::process::id();
    let backend = Handle::current().io_backend();
    let workers = cfg.workers;
    println!(
        "demo_service: pid {pid}, listening on http://{addr}, {workers} workers, \
         I/O backend {backend}"
    );
    println!("attach with: zokio-console attach {pid}");
}

/// Ctrl-C and SIGTERM, listened to from the start so that neither kills the process.
fn stop_signals() -> Result<[Signal; 2], BoxError> {
    let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for {kind:?}: {e}"));
    Ok([
        listen(SignalKind::interrupt())?,
        listen(SignalKind::terminate())?,
    ])
}

/// Waits for Ctrl-C, SIGTERM or `limit`; says which came.
async fn stop_reason(
    [mut interrupt, mut terminate]: [Signal; 2],
    limit: Option<Duration>,
) -> String {
    let elapsed = async {
        match limit {
            Some(limit) => sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    zokio::select! {
        _ = interrupt.recv() => "Ctrl-C".into(),
        _ = terminate.recv() => "SIGTERM".into(),
        _ = elapsed => format!("ran for {:?}", limit.unwrap_or_default()),
    }
}

async fn join_all(tasks: Tasks) -> Result<(), BoxError> {
    for (name, task) in tasks {
        task.await.map_err(|e| format!("task {name} failed: {e}"))?;
    }
    Ok(())
}

fn count(c: &AtomicU64) -> u64 {
    c.load(Relaxed)
}

fn print_totals(s: &Stats, m: &RuntimeMetrics) {
    println!(
        "totals: {} requests answered on {} connections; the clients counted {} responses and {} \
         errors; {} /slow gave up",
        count(&s.answered),
        count(&s.connections),
        count(&s.counted),
        count(&s.client_errors),
        count(&s.slow_gave_up)
    );
    println!(
        "totals: pipeline {} sent, {} received, {} out of order; {} burst tasks; {} tasks \
         spawned, {} stolen",
        count(&s.sent),
        count(&s.received),
        count(&s.out_of_order),
        count(&s.burst_tasks),
        m.total_spawned(),
        m.total_stolen()
    );
}

/// The self-test's checks: exit 0 if all pass, 1 after saying what mismatched.
fn verdict(s: &Stats, m: &RuntimeMetrics, workers: usize) -> ExitCode {
    let (answered, counted, errors) = (
        count(&s.answered),
        count(&s.counted),
        count(&s.client_errors),
    );
    let (sent, received, out_of_order) =
        (count(&s.sent), count(&s.received), count(&s.out_of_order));
    let steals_checked = workers >= 2 && cfg!(feature = "telemetry");
    let mut failed = Vec::new();
    if answered == 0 || answered != counted || errors > 0 {
        failed.push(format!(
            "the server answered {answered} requests, the clients counted {counted} and {errors} \
             errors"
        ));
    }
    if steals_checked && m.total_stolen() == 0 {
        failed.push(format!("no task was stolen on {workers} workers"));
    }
    if sent == 0 || sent != received || out_of_order > 0 {
        failed.push(format!(
            "the pipeline sent {sent} messages, {received} arrived, {out_of_order} out of order"
        ));
    }
    for what in &failed {
        eprintln!("self-test failed: {what}");
    }
    if !steals_checked {
        println!("(steals not checked: one worker, or telemetry compiled out)");
    }
    if !failed.is_empty() {
        return ExitCode::FAILURE;
    }
    println!("self-test passed");
    ExitCode::SUCCESS
}

// --- The HTTP server ---------------------------------------------------------------------------

/// What every request handler shares.
struct Shared {
    stats: Arc<Stats>,
    actor: mpsc::Sender<oneshot::Sender<u64>>,
}

/// Accepts connections until `stopped`, then closes each once its request is answered, waiting
/// up to [`GRACE`].
async fn serve(listener: TcpListener, stats: Arc<Stats>, stopped: oneshot::Receiver<()>) {
    let (actor, jobs) = mpsc::channel(64);
    named("work-actor", work_actor(jobs));
    let shared = Arc::new(Shared { stats, actor });
    let (closing, closing_rx) = watch::channel(false);
    let mut open = JoinSet::new();
    zokio::pin!(stopped);
    loop {
        zokio::select! {
            _ = &mut stopped => break,
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    shared.stats.connections.fetch_add(1, Relaxed);
                    open.spawn(connection(stream, shared.clone(), closing_rx.clone()));
                }
                Err(e) => {
                    eprintln!("demo_service: accept failed: {e}");
                    sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = open.join_next(), if !open.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = timeout(GRACE, async { while open.join_next().await.is_some() {} });
    if drained.await.is_err() {
        open.shutdown().await;
    }
}

/// Serves one connection until the client leaves, or until `closing` and the request in
/// progress is answered.
async fn connection(stream: TcpStream, shared: Arc<Shared>, mut closing: watch::Receiver<bool>) {
    let service = service_fn(move |req| respond(req, shared.clone()));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(ZokioTimer::new())
        .serve_connection(ZokioIo::new(stream), service);
    zokio::pin!(conn);
    let res = zokio::select! {
        res = conn.as_mut() => res,
        _ = closing.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = res {
        eprintln!("demo_service: server connection: {e}");
    }
}

async fn respond(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let seed = shared.stats.answered.fetch_add(1, Relaxed);
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => (StatusCode::OK, "hello from zokio\n".to_string()),
        (&Method::GET, "/work") => (StatusCode::OK, work(&shared, seed).await),
        (&Method::GET, "/slow") => (StatusCode::OK, slow(&shared.stats, seed).await),
        (&Method::GET, "/stats") => (StatusCode::OK, stats_json(&shared.stats)),
        _ => (StatusCode::NOT_FOUND, "not found\n".to_string()),
    };
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    Ok(res)
}

/// The service's own counts and the runtime's task count (from `Handle::metrics()`, not from
/// telemetry readers), as JSON: what the exporter's end-to-end test compares Prometheus with.
fn stats_json(stats: &Stats) -> String {
    let m = Handle::current().metrics();
    format!(
        "{{\"tasks_spawned\":{},\"tasks_completed\":{},\"requests_answered\":{},\"pid\":{}}}\n",
        m.total_spawned(),
        m.total_completed(),
        stats.answered.load(Relaxed),
        std::process::id()
    )
}

/// Some hashing, then a round trip to the actor.
async fn work(shared: &Shared, seed: u64) -> String {
    let digest = mix(seed, 2_000);
    let (reply, job) = oneshot::channel();
    if shared.actor.send(reply).await.is_err() {
        return "the work actor is gone\n".into();
    }
    match job.await {
        Ok(job) => format!("job {job}: {digest:016x}\n"),
        Err(_) => "the work actor dropped the job\n".into(),
    }
}

/// Hands out job numbers, one request at a time.
async fn work_actor(mut jobs: mpsc::Receiver<oneshot::Sender<u64>>) {
    let mut next = 0;
    while let Some(reply) = jobs.recv().await {
        let _ = reply.send(next);
        next += 1;
    }
}

/// Sleeps 5 to 45 ms, giving up after [`SLOW_LIMIT`].
async fn slow(stats: &Stats, seed: u64) -> String {
    let nap = Duration::from_millis(5 + seed % 41);
    match timeout(SLOW_LIMIT, sleep(nap)).await {
        Ok(()) => format!("slept {nap:?}\n"),
        Err(_) => {
            stats.slow_gave_up.fetch_add(1, Relaxed);
            format!("gave up after {SLOW_LIMIT:?} of {nap:?}\n")
        }
    }
}

// --- The load generator ------------------------------------------------------------------------

fn start_clients(
    cfg: &Config,
    addr: SocketAddr,
    stats: &Arc<Stats>,
    stopped: &watch::Receiver<bool>,
) -> Tasks {
    let period = Duration::from_secs(1) / cfg.rps_per_client as u32;
    let client = |id| client(id, addr, period, stats.clone(), stopped.clone());
    (0..cfg.clients)
        .map(|id| named_entry(format!("client-{id}"), client(id)))
        .collect()
}

/// Requests the routes in turn, one every `period` at most, on one keep-alive connection
/// (a new one after an error), until stopped.
async fn client(
    id: usize,
    addr: SocketAddr,
    period: Duration,
    stats: Arc<Stats>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut pace = interval(period);
    pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut sender = None;
    for turn in id.. {
        zokio::select! {
            _ = stop_requested(&mut stopped) => break,
            _ = pace.tick() => {}
        }
        if sender.is_none() {
            sender = connect(addr)
                .await
                .map_err(|e| client_error(&stats, e))
                .ok();
        }
        let Some(s) = sender.as_mut() else { continue };
        match fetch(s, ROUTES[turn % ROUTES.len()]).await {
            Ok(StatusCode::OK) => {
                stats.counted.fetch_add(1, Relaxed);
            }
            Ok(status) => client_error(&stats, format!("status {status}").into()),
            Err(e) => {
                client_error(&stats, e);
                sender = None;
            }
        }
    }
}

fn client_error(stats: &Stats, e: BoxError) {
    stats.client_errors.fetch_add(1, Relaxed);
    eprintln!("demo_service: client: {e}");
}

/// A client connection; the task driving it ends when either side closes it.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Empty<Bytes>>, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(ZokioIo::new(stream)).await?;
    zokio::spawn(conn);
    Ok(sender)
}

async fn fetch(sender: &mut SendRequest<Empty<Bytes>>, path: &str) -> Result<StatusCode, BoxError> {
    let req = Request::get(path)
        .header(hyper::header::HOST, "localhost")
        .body(Empty::new())?;
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    let status = res.status();
    res.into_body().collect().await?;
    Ok(status)
}

// --- The background tasks ----------------------------------------------------------------------

/// The tasks besides the server and the clients, each pacing itself on the ticker's broadcast.
fn start_background(cfg: &Config, stats: &Arc<Stats>, stopped: &watch::Receiver<bool>) -> Tasks {
    let (ticks, _) = broadcast::channel(16);
    let on = |due: fn(u64) -> bool| (ticks.subscribe(), stopped.clone(), due);
    let s = stats.clone();
    let mut tasks = vec![
        spawn_paced("burst-spawner", on(|n| n % 2 == 0), move |_| {
            burst(s.clone())
        }),
        spawn_paced("hot-spot", on(|n| n % 4 == 1), hot_spot),
        spawn_paced("spinner", on(|n| n % 10 == 4), |_| async { spin(SPIN) }),
        named_entry("sleeper".into(), sleeper(stopped.clone())),
    ];
    if !cfg.quiet {
        let (s, started) = (stats.clone(), Instant::now());
        let summary = move |_| print_summary(s.clone(), started);
        tasks.push(spawn_paced(
            "summary",
            on(|n| n > 0 && n % 10 == 0),
            summary,
        ));
    }
    tasks.push(named_entry("ticker".into(), ticker(ticks, stopped.clone())));
    tasks.extend(start_pipeline(stats, stopped));
    tasks
}

/// Stops when the stop flag turns true (or its sender is gone).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|&stop| stop).await;
}

/// Broadcasts the tick number every [`TICK`] until stopped.
async fn ticker(ticks: broadcast::Sender<u64>, mut stopped: watch::Receiver<bool>) {
    let mut every = interval(TICK);
    for n in 0u64.. {
        zokio::select! {
            _ = stop_requested(&mut stopped) => break,
            _ = every.tick() => {}
        }
        let _ = ticks.send(n);
    }
}

type Pacing = (
    broadcast::Receiver<u64>,
    watch::Receiver<bool>,
    fn(u64) -> bool,
);

/// Spawns a task named `name` that runs `act` on each tick for which `due` holds, until stopped.
fn spawn_paced<F, Fut>(
    name: &'static str,
    (mut ticks, mut stopped, due): Pacing,
    mut act: F,
) -> (String, JoinHandle<()>)
where
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let paced = async move {
        loop {
            let tick = zokio::select! {
                _ = stop_requested(&mut stopped) => return,
                tick = ticks.recv() => tick,
            };
            match tick {
                Ok(n) if due(n) => act(n).await,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    named_entry(name.into(), paced)
}

/// Spawns [`BURST`] short tasks at once and waits for them all.
async fn burst(stats: Arc<Stats>) {
    let tasks: Vec<_> = (0..BURST)
        .map(|i| zokio::spawn(async move { mix(i, 500) }))
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    stats.burst_tasks.fetch_add(BURST, Relaxed);
}

/// Blocks the worker in the middle of async code, then does the same properly.
async fn hot_spot(seed: u64) {
    // Deliberately wrong: no other task runs on this worker for the whole sleep.
    std::thread::sleep(HOT_SPOT_BLOCK);
    // The right way: the blocking pool's thread sleeps, the worker goes on.
    let blocking = task::spawn_blocking(move || {
        std::thread::sleep(HOT_SPOT_BLOCK);
        mix(seed, 100_000)
    });
    let _ = blocking.await;
}

/// Busy for `d` in one poll, never yielding (deliberately).
fn spin(d: Duration) {
    let started = std::time::Instant::now();
    let mut x = 0;
    while started.elapsed() < d {
        x = mix(x, 1_000);
    }
    std::hint::black_box(x);
}

/// Sleeps of assorted lengths, one after another, until stopped.
async fn sleeper(mut stopped: watch::Receiver<bool>) {
    for ms in NAPS_MS.iter().cycle() {
        zokio::select! {
            _ = stop_requested(&mut stopped) => break,
            _ = sleep(Duration::from_millis(*ms)) => {}
        }
    }
}

/// One line: requests so far, and the runtime's spawn and steal counts.
async fn print_summary(stats: Arc<Stats>, started: Instant) {
    let m = Handle::current().metrics();
    println!(
        "[{:>5.0?}] requests {:>8}  tasks spawned {:>9}  steals {:>7}  pipeline {:>9}",
        started.elapsed(),
        stats.answered.load(Relaxed),
        m.total_spawned(),
        m.total_stolen(),
        count(&stats.received)
    );
}

// --- The pipeline ------------------------------------------------------------------------------

fn start_pipeline(stats: &Arc<Stats>, stopped: &watch::Receiver<bool>) -> Tasks {
    let (to_stage, from_producer) = mpsc::channel(64);
    let (to_consumer, from_stage) = mpsc::channel(64);
    let producer = producer(to_stage, stats.clone(), stopped.clone());
    vec![
        named_entry("producer".into(), producer),
        named_entry("stage".into(), stage(from_producer, to_consumer)),
        named_entry("consumer".into(), consumer(from_stage, stats.clone())),
    ]
}

/// Sends 0, 1, 2, ... in batches, counting them, until stopped.
async fn producer(out: mpsc::Sender<u64>, stats: Arc<Stats>, mut stopped: watch::Receiver<bool>) {
    let mut pace = interval(PIPELINE_PERIOD);
    for next in 0u64.. {
        if next % PIPELINE_BATCH == 0 {
            zokio::select! {
                _ = stop_requested(&mut stopped) => return,
                _ = pace.tick() => {}
            }
        }
        if out.send(next).await.is_err() {
            return;
        }
        stats.sent.fetch_add(1, Relaxed);
    }
}

/// Tags each number with its checksum; ends when the producer does.
async fn stage(mut input: mpsc::Receiver<u64>, out: mpsc::Sender<(u64, u64)>) {
    while let Some(n) = input.recv().await {
        if out.send((n, mix(n, 8))).await.is_err() {
            return;
        }
    }
}

/// Expects 0, 1, 2, ... each with its checksum; ends when the stage does.
async fn consumer(mut input: mpsc::Receiver<(u64, u64)>, stats: Arc<Stats>) {
    let mut expected = 0;
    while let Some((n, sum)) = input.recv().await {
        if n != expected || sum != mix(n, 8) {
            stats.out_of_order.fetch_add(1, Relaxed);
        }
        expected += 1;
        stats.received.fetch_add(1, Relaxed);
    }
}

// --- Helpers -----------------------------------------------------------------------------------

/// Spawns a task with a name telemetry shows.
#[track_caller]
fn named<F>(name: &str, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    task::Builder::new()
        .name(name)
        .spawn(future)
        .unwrap_or_else(|e| panic!("cannot spawn task {name}: {e}"))
}

/// `rounds` of a cheap integer mix (splitmix64's finalizer): work the optimizer cannot skip.
fn mix(seed: u64, rounds: u32) -> u64 {
    (0..rounds).fold(seed, |x, i| {
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15 ^ u64::from(i));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// A named task with its name, for [`join_all`].
#[track_caller]
fn named_entry<F>(name: String, future: F) -> (String, JoinHandle<()>)
where
    F: Future<Output = ()> + Send + 'static,
{
    let task = named(&name, future);
    (name, task)
}

/// A task's output, its failure (panic, cancellation) as an error.
fn joined<T>(res: Result<T, zokio::task::JoinError>) -> Result<T, BoxError> {
    res.map_err(|e| format!("task failed: {e}").into())
}
