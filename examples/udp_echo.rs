//! A UDP echo server: every datagram comes back to the address that sent it.
//!
//! One task receives with `recv_from` and answers with `send_to`. At start the server prints the
//! I/O backend the runtime chose (io_uring, or readiness polling) and why; on Ctrl-C it stops and
//! prints its totals: datagrams, bytes echoed, and the runtime's `read`/`write` operation counters.
//!
//! ```text
//! cargo run --release --example udp_echo                   # listens on 127.0.0.1:8081
//! cargo run --release --example udp_echo -- 0.0.0.0:9001   # any address
//! cargo run --release --example udp_echo -- --self-test 1000
//! ZOKIO_IO=poll cargo run --release --example udp_echo -- --self-test 1000
//! ```
//!
//! Try it with `nc -u 127.0.0.1 8081`. `--self-test N` starts the server on a free loopback port,
//! sends N datagrams from one client socket, one at a time (an empty one first, then lengths up
//! to 1400 bytes, each with different content), checks that each reply is the datagram sent,
//! checks the server's totals, prints a summary and exits 0; any mismatch, error or reply missing
//! for a second exits 1.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use zokio::net::UdpSocket;
use zokio::runtime::{Builder, RuntimeMetrics};
use zokio::sync::oneshot;
use zokio::time::timeout;

const USAGE: &str = "usage: udp_echo [ADDR] | --self-test N   (ADDR defaults to 127.0.0.1:8081)";
const DEFAULT_ADDR: &str = "127.0.0.1:8081";
/// The largest payload of a UDP datagram over IPv4.
const MAX_DATAGRAM: usize = 65_507;
/// In the self-test, how long to wait for each reply.
const REPLY_LIMIT: Duration = Duration::from_secs(1);

enum Mode {
    Serve(String),
    SelfTest(usize),
}

/// What the server counts.
#[derive(Default, Debug, PartialEq, Eq)]
struct Totals {
    datagrams: u64,
    bytes: u64,
}

fn main() -> ExitCode {
    let mode = match utf8_args().and_then(parse_args) {
        Ok(Some(mode)) => mode,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("udp_echo: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match Builder::new_multi_thread().service_name("udp-echo").build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("udp_echo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("I/O backend: {}", rt.handle().io_backend());
    let result = rt.block_on(async move {
        match mode {
            Mode::Serve(addr) => serve_until_ctrl_c(&addr).await,
            Mode::SelfTest(n) => zokio::spawn(self_test(n))
                .await
                .unwrap_or_else(|e| Err(io::Error::other(format!("the self-test failed: {e}")))),
        }
    });
    print_io_ops(&rt.metrics());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("udp_echo: {e}");
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
                "--self-test takes a number of datagrams (1 or more), got {n:?}"
            )),
        },
        [flag] if flag == "--self-test" => Err("--self-test needs a number of datagrams".into()),
        [opt, ..] if opt.starts_with('-') => Err(format!("unknown option {opt:?}")),
        [addr] => Ok(Some(Mode::Serve(addr.clone()))),
        _ => Err("too many arguments".into()),
    }
}

// --- The server --------------------------------------------------------------------------------

async fn serve_until_ctrl_c(addr: &str) -> io::Result<()> {
    let socket = UdpSocket::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
    println!("echoing on udp {}; Ctrl-C to stop", socket.local_addr()?);
    let ctrl_c = async {
        if let Err(e) = zokio::signal::ctrl_c().await {
            eprintln!("udp_echo: cannot listen for Ctrl-C ({e}); serving until killed");
            std::future::pending::<()>().await;
        }
        println!("\nCtrl-C: stopping");
    };
    let totals = serve(socket, ctrl_c).await;
    println!(
        "echoed {} datagrams, {} bytes",
        totals.datagrams, totals.bytes
    );
    Ok(())
}

/// Echoes datagrams until `shutdown` completes. A failed receive or send (for example an ICMP
/// "port unreachable" reported for an earlier reply) is reported and the server goes on.
async fn serve(socket: UdpSocket, shutdown: impl Future<Output = ()>) -> Totals {
    let mut totals = Totals::default();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    zokio::pin!(shutdown);
    loop {
        let (len, peer) = zokio::select! {
            _ = &mut shutdown => return totals,
            res = socket.recv_from(&mut buf) => match res {
                Ok(received) => received,
                Err(e) => {
                    eprintln!("udp_echo: receive failed: {e}");
                    continue;
                }
            },
        };
        match socket.send_to(&buf[..len], peer).await {
            Ok(_) => {
                totals.datagrams += 1;
                totals.bytes += len as u64;
            }
            Err(e) => eprintln!("udp_echo: reply to {peer} failed: {e}"),
        }
    }
}

fn print_io_ops(m: &RuntimeMetrics) {
    for name in ["read", "write"] {
        match m.io.op(name) {
            Some(op) => println!(
                "io op {name:<5} submitted {:>8}  completed {:>8}  errors {:>4}  bytes {:>10}",
                op.submitted, op.completed, op.errors, op.bytes
            ),
            None => println!("io op {name:<5} not counted (the `telemetry` feature is off)"),
        }
    }
}

// --- The self-test -----------------------------------------------------------------------------

async fn self_test(count: usize) -> io::Result<()> {
    let started = Instant::now();
    let server_socket = UdpSocket::bind("127.0.0.1:0").await?;
    let server_addr = server_socket.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = zokio::spawn(serve(server_socket, async {
        let _ = stopped.await;
    }));
    let sent = exchange(server_addr, count).await;
    let _ = stop.send(());
    let totals = server
        .await
        .map_err(|e| io::Error::other(format!("server task failed: {e}")))?;
    let sent = sent?;
    if totals != sent {
        return Err(io::Error::other(format!(
            "server counted {totals:?}, the client sent {sent:?}"
        )));
    }
    println!(
        "self-test passed: {} datagrams, {} bytes echoed and checked in {:.0?}",
        sent.datagrams,
        sent.bytes,
        started.elapsed()
    );
    Ok(())
}

/// Sends `count` datagrams to `server` one at a time and checks each reply.
async fn exchange(server: SocketAddr, count: usize) -> io::Result<Totals> {
    let client = UdpSocket::bind("127.0.0.1:0").await?;
    client.connect(server).await?;
    let mut reply = vec![0u8; MAX_DATAGRAM];
    let mut sent = Totals::default();
    for i in 0..count {
        let datagram = datagram(i);
        client.send(&datagram).await?;
        let len = timeout(REPLY_LIMIT, client.recv(&mut reply))
            .await
            .map_err(|_| {
                io::Error::other(format!("no reply to datagram {i} within {REPLY_LIMIT:?}"))
            })??;
        if reply[..len] != datagram[..] {
            return Err(io::Error::other(format!(
                "datagram {i}: sent {} bytes, the reply has {len} and differs",
                datagram.len()
            )));
        }
        sent.datagrams += 1;
        sent.bytes += len as u64;
    }
    Ok(sent)
}

/// Datagram `i`: `i * 37 % 1401` bytes (so the first is empty) of content derived from `i`.
fn datagram(i: usize) -> Vec<u8> {
    let len = i * 37 % 1401;
    let seed = (i as u64).to_le_bytes();
    (0..len)
        .map(|k| seed[k % 8] ^ (k as u8).wrapping_mul(31))
        .collect()
}
