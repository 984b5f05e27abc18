//! An HTTP/1.1 server on hyper, running on Zokio; with `--axum`, an axum router served the same way.
//!
//! The plain hyper service answers `GET /` with `Hello from zokio` and `GET /metrics-summary`
//! with a few of the runtime's own counters as plain text (polls, tasks, I/O operations). The
//! axum router (`--axum`) has two routes: `GET /` and `POST /echo`, which answers with the body it
//! was sent; it is served through hyper with `hyper_util::service::TowerToHyperService`, so no
//! tokio runtime is involved. Each connection is a task; on Ctrl-C the server stops accepting,
//! asks open connections to finish the request they are on (hyper's graceful shutdown), waits
//! for them for up to two seconds and exits.
//!
//! ```text
//! cargo run --release --example http_server                 # hyper on 127.0.0.1:3000
//! cargo run --release --example http_server -- --axum       # axum on 127.0.0.1:3000
//! cargo run --release --example http_server -- 0.0.0.0:8000 # any address
//! cargo run --release --example http_server -- --self-test
//! ZOKIO_IO=poll cargo run --release --example http_server -- --self-test
//! ```
//!
//! Then `curl http://127.0.0.1:3000/metrics-summary`, or with `--axum`
//! `curl -d 'hi' http://127.0.0.1:3000/echo`.
//!
//! `--self-test` serves both the hyper service and the axum router (only the router with
//! `--axum --self-test`) on free loopback ports and requests them with hyper's client over Zokio:
//! several requests on one keep-alive connection (every route, a 404, echoes of an empty, a
//! short and a 1 MiB body), then 16 connections at once. It checks every status and body, that
//! the server counted every connection, and that a shutdown with a keep-alive connection still
//! open finishes at once and closes that connection cleanly; then it exits 0 (1 on any failure).

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::service::{service_fn, Service};
use hyper::{Method, Request, Response, StatusCode};
use zokio::compat::hyper::{ZokioIo, ZokioTimer};
use zokio::net::{TcpListener, TcpStream};
use zokio::runtime::{Builder, Handle};
use zokio::sync::{oneshot, watch};
use zokio::task::{JoinHandle, JoinSet};
use zokio::time::timeout;

type BoxError = Box<dyn Error + Send + Sync>;

const USAGE: &str =
    "usage: http_server [--axum] [ADDR] | [--axum] --self-test   (ADDR defaults to 127.0.0.1:3000)";
const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const HELLO: &str = "Hello from zokio";
const HELLO_AXUM: &str = "Hello from zokio, served by axum";
/// How long open connections may take to finish once the server stops accepting.
const GRACE: Duration = Duration::from_secs(2);
/// The self-test gives up (and fails) after this long.
const SELF_TEST_LIMIT: Duration = Duration::from_secs(30);

/// Which service answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum App {
    Hyper,
    Axum,
}

impl App {
    fn name(self) -> &'static str {
        match self {
            App::Hyper => "hyper service",
            App::Axum => "axum router",
        }
    }
}

enum Mode {
    Serve(App, String),
    SelfTest(Vec<App>),
}

fn main() -> ExitCode {
    let mode = match utf8_args().and_then(parse_args) {
        Ok(Some(mode)) => mode,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("http_server: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match Builder::new_multi_thread()
        .service_name("http-server")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("http_server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("I/O backend: {}", rt.handle().io_backend());
    let result = rt.block_on(async move {
        match mode {
            Mode::Serve(app, addr) => serve_until_ctrl_c(app, &addr).await,
            Mode::SelfTest(apps) => joined(zokio::spawn(self_test(apps)).await)?,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_server: {e}");
            ExitCode::FAILURE
        }
    }
}

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
fn parse_args(args: Vec<String>) -> Result<Option<Mode>, String> {
    let (mut axum, mut self_test, mut addr) = (false, false, None);
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--axum" => axum = true,
            "--self-test" => self_test = true,
            opt if opt.starts_with('-') => return Err(format!("unknown option {opt:?}")),
            _ if addr.is_some() => return Err("more than one address given".into()),
            _ => addr = Some(arg),
        }
    }
    let app = if axum { App::Axum } else { App::Hyper };
    match (self_test, addr) {
        (true, Some(_)) => Err("--self-test picks its own address; drop ADDR".into()),
        (true, None) if axum => Ok(Some(Mode::SelfTest(vec![App::Axum]))),
        (true, None) => Ok(Some(Mode::SelfTest(vec![App::Hyper, App::Axum]))),
        (false, addr) => Ok(Some(Mode::Serve(
            app,
            addr.unwrap_or_else(|| DEFAULT_ADDR.into()),
        ))),
    }
}

// --- The services ------------------------------------------------------------------------------

/// The plain hyper service.
async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => (StatusCode::OK, HELLO.to_string()),
        (&Method::GET, "/metrics-summary") => (StatusCode::OK, metrics_summary()),
        _ => (StatusCode::NOT_FOUND, "not found\n".to_string()),
    };
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    Ok(res)
}

/// A few of the runtime's counters, one per line.
fn metrics_summary() -> String {
    let handle = Handle::current();
    let m = handle.metrics();
    let mut out = format!(
        "io backend: {}\nworkers: {}\npolls: {}\ntasks spawned: {}\ntasks completed: {}\ntasks active: {}\n",
        handle.io_backend(),
        m.num_workers,
        m.total_polls(),
        m.total_spawned(),
        m.total_completed(),
        m.active_tasks
    );
    for name in ["accept", "read", "write", "writev"] {
        if let Some(op) = m.io.op(name) {
            out += &format!("io {name}: {} ops, {} bytes\n", op.completed, op.bytes);
        }
    }
    out
}

/// The axum router: `GET /` and `POST /echo`.
fn axum_router() -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(|| async { HELLO_AXUM }))
        .route("/echo", post(|body: Bytes| async move { body }))
}

// --- The server --------------------------------------------------------------------------------

async fn serve_until_ctrl_c(app: App, addr: &str) -> Result<(), BoxError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!(
        "serving the {} on http://{}; Ctrl-C to stop",
        app.name(),
        listener.local_addr()?
    );
    let ctrl_c = async {
        if let Err(e) = zokio::signal::ctrl_c().await {
            eprintln!("http_server: cannot listen for Ctrl-C ({e}); serving until killed");
            std::future::pending::<()>().await;
        }
        println!("\nCtrl-C: no longer accepting connections");
    };
    let served = serve(listener, app, ctrl_c).await;
    println!(
        "served {} connections, {} of them ended with an error",
        served.accepted, served.failed
    );
    Ok(())
}

/// What the server did with its connections.
#[derive(Debug, Default)]
struct Served {
    accepted: u64,
    /// Connections that ended with an error (reported as they ended).
    failed: u64,
}

impl Served {
    fn ended(&mut self, res: Result<bool, zokio::task::JoinError>) {
        if !matches!(res, Ok(true)) {
            self.failed += 1;
        }
    }
}

/// Accepts connections until `shutdown` completes, then shuts the open ones down gracefully,
/// waiting up to [`GRACE`].
async fn serve(listener: TcpListener, app: App, shutdown: impl Future<Output = ()>) -> Served {
    let router = axum_router();
    let (closing, closing_rx) = watch::channel(false);
    let mut open = JoinSet::new();
    let mut served = Served::default();
    zokio::pin!(shutdown);
    loop {
        zokio::select! {
            _ = &mut shutdown => break,
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    served.accepted += 1;
                    let closing = closing_rx.clone();
                    match app {
                        App::Hyper => open.spawn(connection(stream, service_fn(hello), closing)),
                        App::Axum => {
                            let svc = hyper_util::service::TowerToHyperService::new(router.clone());
                            open.spawn(connection(stream, svc, closing))
                        }
                    };
                }
                Err(e) => {
                    eprintln!("http_server: accept failed: {e}");
                    zokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            // Reap finished connections so the set does not grow with every client served.
            Some(res) = open.join_next(), if !open.is_empty() => served.ended(res),
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = timeout(GRACE, async {
        while let Some(res) = open.join_next().await {
            served.ended(res);
        }
    });
    if drained.await.is_err() {
        println!("closing {} connections still open", open.len());
        open.shutdown().await;
    }
    served
}

/// Serves HTTP/1.1 on one connection until the client leaves or `closing` turns true; then
/// finishes the request in progress and closes. False if the connection failed.
async fn connection<S, B>(stream: TcpStream, service: S, mut closing: watch::Receiver<bool>) -> bool
where
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(ZokioTimer::new())
        .serve_connection(ZokioIo::new(stream), service);
    zokio::pin!(conn);
    let res = zokio::select! {
        res = conn.as_mut() => res,
        // The only change ever sent is `true`; a dropped sender means closing too.
        _ = closing.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = &res {
        eprintln!("http_server: connection: {e}");
    }
    res.is_ok()
}

// --- The self-test -----------------------------------------------------------------------------

async fn self_test(apps: Vec<App>) -> Result<(), BoxError> {
    for app in apps {
        let started = Instant::now();
        let requests = timeout(SELF_TEST_LIMIT, test_app(app))
            .await
            .map_err(|_| format!("{}: not done after {SELF_TEST_LIMIT:?}", app.name()))??;
        println!(
            "self-test passed ({}): {requests} requests checked in {:.0?}",
            app.name(),
            started.elapsed()
        );
    }
    Ok(())
}

/// Starts `app` on a free port, runs the checks, shuts it down; returns the requests made.
async fn test_app(app: App) -> Result<usize, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = zokio::spawn(serve(listener, app, async {
        let _ = stopped.await;
    }));
    let (mut sender, client_conn) = connect(addr).await?;
    let mut requests = match app {
        App::Hyper => check_hyper_routes(&mut sender).await?,
        App::Axum => check_axum_routes(&mut sender).await?,
    };
    requests += check_concurrent(addr, app, 16).await?;
    // Shut down with `sender`'s keep-alive connection still open: it must close at once.
    let shutdown_started = Instant::now();
    let _ = stop.send(());
    let served = joined(server.await)?;
    let took = shutdown_started.elapsed();
    let closed = timeout(Duration::from_secs(1), client_conn)
        .await
        .map_err(|_| "the server shut down but the client's connection is still open")?;
    joined(closed)??;
    expect(served.accepted == 17, || {
        format!("server: {served:?}, expected 17 accepted")
    })?;
    println!(
        "server connections that ended with an error: {}",
        served.failed
    );
    expect(took < GRACE, || format!("graceful shutdown took {took:?}"))?;
    Ok(requests)
}

/// The routes of the hyper service, on one keep-alive connection.
async fn check_hyper_routes(sender: &mut SendRequest<Full<Bytes>>) -> Result<usize, BoxError> {
    let (status, body) = fetch(sender, Method::GET, "/", Bytes::new()).await?;
    expect_response("GET /", (status, &body), (StatusCode::OK, HELLO.as_bytes()))?;

    let (status, body) = fetch(sender, Method::GET, "/metrics-summary", Bytes::new()).await?;
    let text = String::from_utf8(body.to_vec())?;
    print!("GET /metrics-summary answered:\n{text}");
    let backend_line = format!("io backend: {}\n", Handle::current().io_backend());
    expect(
        status == StatusCode::OK && text.starts_with(&backend_line),
        || format!("GET /metrics-summary: {status}, body {text:?}"),
    )?;
    expect(text.contains("\npolls: "), || {
        format!("no polls line in {text:?}")
    })?;

    let (status, _) = fetch(sender, Method::GET, "/missing", Bytes::new()).await?;
    expect(status == StatusCode::NOT_FOUND, || {
        format!("GET /missing: {status}")
    })?;
    Ok(3)
}

/// The routes of the axum router, on one keep-alive connection.
async fn check_axum_routes(sender: &mut SendRequest<Full<Bytes>>) -> Result<usize, BoxError> {
    let (status, body) = fetch(sender, Method::GET, "/", Bytes::new()).await?;
    expect_response(
        "GET /",
        (status, &body),
        (StatusCode::OK, HELLO_AXUM.as_bytes()),
    )?;

    let large: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let bodies = [
        Bytes::new(),
        Bytes::from_static(b"zokio"),
        Bytes::from(large),
    ];
    for sent in &bodies {
        let (status, body) = fetch(sender, Method::POST, "/echo", sent.clone()).await?;
        let what = format!("POST /echo ({} bytes)", sent.len());
        expect_response(&what, (status, &body), (StatusCode::OK, sent))?;
    }

    let (status, _) = fetch(sender, Method::GET, "/missing", Bytes::new()).await?;
    expect(status == StatusCode::NOT_FOUND, || {
        format!("GET /missing: {status}")
    })?;
    Ok(2 + bodies.len())
}

/// `GET /` on `n` connections at once.
async fn check_concurrent(addr: SocketAddr, app: App, n: usize) -> Result<usize, BoxError> {
    let expected = Bytes::from_static(match app {
        App::Hyper => HELLO.as_bytes(),
        App::Axum => HELLO_AXUM.as_bytes(),
    });
    let mut set = JoinSet::new();
    for _ in 0..n {
        set.spawn(async move {
            let (mut sender, _conn) = connect(addr).await?;
            fetch(&mut sender, Method::GET, "/", Bytes::new()).await
        });
    }
    while let Some(res) = set.join_next().await {
        let (status, body) = joined(res)??;
        expect_response(
            "concurrent GET /",
            (status, &body),
            (StatusCode::OK, &expected),
        )?;
    }
    Ok(n)
}

/// A client connection: the request sender, and the task driving the connection (it ends when
/// the server closes it or the sender is dropped).
async fn connect(
    addr: SocketAddr,
) -> Result<(SendRequest<Full<Bytes>>, JoinHandle<hyper::Result<()>>), BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(ZokioIo::new(stream)).await?;
    Ok((sender, zokio::spawn(conn)))
}

async fn fetch(
    sender: &mut SendRequest<Full<Bytes>>,
    method: Method,
    path: &str,
    body: Bytes,
) -> Result<(StatusCode, Bytes), BoxError> {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, "localhost")
        .body(Full::new(body))?;
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    let status = res.status();
    Ok((status, res.into_body().collect().await?.to_bytes()))
}

/// A task's output, its failure (panic, cancellation) as an error.
fn joined<T>(res: Result<T, zokio::task::JoinError>) -> Result<T, BoxError> {
    res.map_err(|e| format!("task failed: {e}").into())
}

fn expect(ok: bool, msg: impl FnOnce() -> String) -> Result<(), BoxError> {
    if ok {
        Ok(())
    } else {
        Err(msg().into())
    }
}

fn expect_response(
    what: &str,
    got: (StatusCode, &[u8]),
    want: (StatusCode, &[u8]),
) -> Result<(), BoxError> {
    expect(got == want, || {
        format!(
            "{what}: got {} with {} bytes {:?}, expected {} with {} bytes",
            got.0,
            got.1.len(),
            String::from_utf8_lossy(&got.1[..got.1.len().min(64)]),
            want.0,
            want.1.len()
        )
    })
}
