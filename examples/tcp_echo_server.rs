//! A TCP echo server: every byte a client sends comes back to it.
//!
//! Each connection runs in its own task, which splits the stream into its read and write halves
//! and joins them with `zokio::io::copy`. At start the server prints the I/O backend the runtime
//! chose (io_uring, or readiness polling) and why. On Ctrl-C it stops accepting, lets open
//! connections finish for up to two seconds, and prints its totals: connections, bytes echoed,
//! and the runtime's `read`/`write` operation counters.
//!
//! ```text
//! cargo run --release --example tcp_echo_server                  # listens on 127.0.0.1:8080
//! cargo run --release --example tcp_echo_server -- 0.0.0.0:9000  # any address
//! cargo run --release --example tcp_echo_server -- --self-test 100
//! ZOKIO_IO=poll cargo run --release --example tcp_echo_server -- --self-test 100
//! ```
//!
//! Try it with `nc 127.0.0.1 8080`. `--self-test N` starts the server on a free loopback port,
//! runs N clients against it at once (each sends a different payload, from a few bytes to a few
//! hundred KiB, while reading the echo back), checks every byte and the server's totals, prints a
//! summary and exits 0; any mismatch or error exits 1.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use zokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zokio::net::{TcpListener, TcpStream};
use zokio::runtime::{Builder, RuntimeMetrics};
use zokio::sync::oneshot;
use zokio::task::JoinSet;

const USAGE: &str =
    "usage: tcp_echo_server [ADDR] | --self-test N   (ADDR defaults to 127.0.0.1:8080)";
const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// How long open connections may keep going once the server stops accepting.
const GRACE: Duration = Duration::from_secs(2);
/// The self-test gives up (and fails) after this long.
const SELF_TEST_LIMIT: Duration = Duration::from_secs(30);

enum Mode {
    Serve(String),
    SelfTest(usize),
}

fn main() -> ExitCode {
    let mode = match utf8_args().and_then(parse_args) {
        Ok(Some(mode)) => mode,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("tcp_echo_server: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match Builder::new_multi_thread()
        .service_name("tcp-echo-server")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tcp_echo_server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("I/O backend: {}", rt.handle().io_backend());
    let result = rt.block_on(async move {
        match mode {
            Mode::Serve(addr) => serve_until_ctrl_c(&addr).await,
            Mode::SelfTest(n) => self_test(n).await,
        }
    });
    print_io_ops(&rt.metrics());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcp_echo_server: {e}");
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
    match args.as_slice() {
        [] => Ok(Some(Mode::Serve(DEFAULT_ADDR.to_string()))),
        [h] if h == "-h" || h == "--help" => Ok(None),
        [flag, n] if flag == "--self-test" => match n.parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(Mode::SelfTest(n))),
            _ => Err(format!(
                "--self-test takes a number of connections (1 or more), got {n:?}"
            )),
        },
        [flag] if flag == "--self-test" => Err("--self-test needs a number of connections".into()),
        [opt, ..] if opt.starts_with('-') => Err(format!("unknown option {opt:?}")),
        [addr] => Ok(Some(Mode::Serve(addr.clone()))),
        _ => Err("too many arguments".into()),
    }
}

// --- The server --------------------------------------------------------------------------------

/// What the server counts. Bytes are counted as the echo writes them, so the total is right
/// even for connections still open at shutdown.
#[derive(Default)]
struct Stats {
    connections: AtomicU64,
    bytes_echoed: AtomicU64,
}

async fn serve_until_ctrl_c(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    println!("echoing on {}; Ctrl-C to stop", listener.local_addr()?);
    let stats = Arc::new(Stats::default());
    let ctrl_c = async {
        if let Err(e) = zokio::signal::ctrl_c().await {
            eprintln!("tcp_echo_server: cannot listen for Ctrl-C ({e}); serving until killed");
            std::future::pending::<()>().await;
        }
        println!("\nCtrl-C: no longer accepting connections");
    };
    serve(listener, stats.clone(), ctrl_c).await;
    println!(
        "served {} connections, echoed {} bytes",
        stats.connections.load(Relaxed),
        stats.bytes_echoed.load(Relaxed)
    );
    Ok(())
}

/// Accepts connections until `shutdown` completes, then gives the open ones [`GRACE`] to finish
/// and closes the rest.
async fn serve(listener: TcpListener, stats: Arc<Stats>, shutdown: impl Future<Output = ()>) {
    let mut open = JoinSet::new();
    zokio::pin!(shutdown);
    loop {
        zokio::select! {
            _ = &mut shutdown => break,
            res = listener.accept() => match res {
                Ok((stream, peer)) => {
                    stats.connections.fetch_add(1, Relaxed);
                    open.spawn(echo(stream, peer, stats.clone()));
                }
                Err(e) => accept_failed(e).await,
            },
            // Reap finished connections so the set does not grow with every client served.
            Some(_) = open.join_next(), if !open.is_empty() => {}
        }
    }
    drop(listener);
    let drained = zokio::time::timeout(GRACE, async { while open.join_next().await.is_some() {} });
    if drained.await.is_err() {
        println!("closing {} connections still open", open.len());
        open.shutdown().await;
    }
}

/// Accept errors such as EMFILE (out of descriptors) are passing: report, wait a little, go on.
async fn accept_failed(e: io::Error) {
    eprintln!("tcp_echo_server: accept failed: {e}");
    zokio::time::sleep(Duration::from_millis(100)).await;
}

/// Echoes one connection until the client closes its side.
async fn echo(mut stream: TcpStream, peer: SocketAddr, stats: Arc<Stats>) {
    let (mut reader, writer) = stream.split();
    let mut writer = Counted {
        inner: writer,
        bytes: &stats.bytes_echoed,
    };
    let res = match zokio::io::copy(&mut reader, &mut writer).await {
        Ok(_) => writer.shutdown().await,
        Err(e) => Err(e),
    };
    if let Err(e) = res {
        eprintln!("tcp_echo_server: connection from {peer}: {e}");
    }
}

/// A writer that adds what it writes to a counter.
struct Counted<'a, W> {
    inner: W,
    bytes: &'a AtomicU64,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Counted<'_, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = res {
            self.bytes.fetch_add(n as u64, Relaxed);
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn print_io_ops(m: &RuntimeMetrics) {
    for name in ["accept", "read", "write", "writev"] {
        match m.io.op(name) {
            Some(op) => println!(
                "io op {name:<7} submitted {:>8}  completed {:>8}  errors {:>4}  bytes {:>11}",
                op.submitted, op.completed, op.errors, op.bytes
            ),
            None => println!("io op {name:<7} not counted (the `telemetry` feature is off)"),
        }
    }
}

// --- The self-test -----------------------------------------------------------------------------

async fn self_test(clients: usize) -> io::Result<()> {
    let started = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(Stats::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = zokio::spawn(serve(listener, stats.clone(), async {
        let _ = stopped.await;
    }));
    let sent = zokio::time::timeout(SELF_TEST_LIMIT, run_clients(addr, clients))
        .await
        .map_err(|_| io::Error::other(format!("clients not done after {SELF_TEST_LIMIT:?}")))??;
    let _ = stop.send(());
    server
        .await
        .map_err(|e| io::Error::other(format!("server task failed: {e}")))?;
    check_totals(&stats, clients as u64, sent)?;
    println!(
        "self-test passed: {clients} connections, {sent} bytes echoed and checked in {:.0?}",
        started.elapsed()
    );
    Ok(())
}

/// Runs every client at once; returns the bytes they sent (all verified).
async fn run_clients(addr: SocketAddr, clients: usize) -> io::Result<u64> {
    let mut set = JoinSet::new();
    for id in 0..clients {
        set.spawn(echo_client(addr, id));
    }
    let mut sent = 0;
    while let Some(res) = set.join_next().await {
        sent += res.map_err(|e| io::Error::other(format!("client task failed: {e}")))??;
    }
    Ok(sent)
}

/// Sends client `id`'s payload, reading the echo at the same time (the server cannot take a
/// large payload before we read), and compares the two.
async fn echo_client(addr: SocketAddr, id: usize) -> io::Result<u64> {
    let payload = payload(id);
    let mut stream = TcpStream::connect(addr).await?;
    let (mut reader, mut writer) = stream.split();
    let send = async {
        writer.write_all(&payload).await?;
        writer.shutdown().await
    };
    let mut echoed = Vec::with_capacity(payload.len());
    let (sent, received) = zokio::join!(send, reader.read_to_end(&mut echoed));
    sent?;
    received?;
    if echoed != payload {
        return Err(io::Error::other(format!(
            "client {id}: sent {} bytes, got {} back, first difference at byte {}",
            payload.len(),
            echoed.len(),
            first_difference(&payload, &echoed)
        )));
    }
    Ok(payload.len() as u64)
}

/// A different length and content per client: 1 byte up to about 300 KiB.
fn payload(id: usize) -> Vec<u8> {
    let len = 1 + (id * 7_919) % (300 * 1024);
    let mut x = (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..len)
        .map(|_| {
            // xorshift64: cheap bytes that differ from client to client.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn check_totals(stats: &Stats, clients: u64, sent: u64) -> io::Result<()> {
    let connections = stats.connections.load(Relaxed);
    let echoed = stats.bytes_echoed.load(Relaxed);
    if connections != clients || echoed != sent {
        return Err(io::Error::other(format!(
            "server counted {connections} connections and {echoed} bytes; expected {clients} and {sent}"
        )));
    }
    Ok(())
}
