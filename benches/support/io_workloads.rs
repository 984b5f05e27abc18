// The I/O workloads, written once against tokio's API and compiled once per runtime by
// `benches/io.rs`, like `workloads.rs`. The including module supplies:
//
// - `rt`: the runtime crate (`zokio` or `tokio`); every path into the runtime goes through it;
// - `HyperIo`: hyper's I/O adapter for `rt::net::TcpStream` (`ZokioIo`, `TokioIo`);
// - `async fn read_file(path: PathBuf) -> u64`: reads the bench file in `CHUNK`-byte reads with
//   the runtime's own file API, checks each read with `check_read` and returns the bytes read.
//
// Each workload is split in three: `*_setup` (listeners, connections: not timed), `*_run` (the
// measured work, on the runtime's workers) and `*_finish` (joins the server tasks and returns what
// both sides counted, for the bench to check: not timed).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode};
use rt::io::{AsyncReadExt, AsyncWriteExt};
use rt::net::{TcpListener, TcpStream};
use rt::runtime::Runtime;
use rt::task::JoinHandle;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// The size of one echo message.
pub const MSG: usize = 64;

/// Accepts `n` connections on a fresh loopback listener and serves each with its own task made
/// by `serve`; connects `n` clients to it. Both ends have `TCP_NODELAY` set.
async fn connect_pairs<T, F>(
    n: usize,
    serve: fn(TcpStream) -> F,
) -> (Vec<TcpStream>, Vec<JoinHandle<T>>)
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let acceptor = rt::spawn(async move {
        let mut servers = Vec::with_capacity(n);
        for _ in 0..n {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            servers.push(rt::spawn(serve(stream)));
        }
        servers
    });
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        clients.push(stream);
    }
    (clients, acceptor.await.unwrap())
}

/// Awaits every handle, in order, panicking if a task panicked.
async fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

// ---- tcp_echo ---------------------------------------------------------------------------------

/// Echoes `MSG`-byte messages until the client closes; returns the bytes echoed.
async fn echo_server(mut stream: TcpStream) -> u64 {
    let mut buf = [0u8; MSG];
    let mut echoed = 0;
    loop {
        match stream.read_exact(&mut buf).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return echoed,
            Err(e) => panic!("echo server read: {e}"),
        }
        stream.write_all(&buf).await.unwrap();
        echoed += MSG as u64;
    }
}

/// Sends `rounds` messages, each unique to this client and round, reading each echo back before
/// the next; checks every echo and returns the round trips made.
async fn echo_client(mut stream: TcpStream, id: u64, rounds: usize) -> usize {
    let mut sent = [0u8; MSG];
    let mut got = [0u8; MSG];
    sent.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8 | 1);
    for round in 0..rounds as u64 {
        sent[..8].copy_from_slice(&(id << 32 | round).to_le_bytes());
        stream.write_all(&sent).await.unwrap();
        stream.read_exact(&mut got).await.unwrap();
        assert_eq!(sent, got, "echo of round {round} on connection {id}");
    }
    rounds
}

/// Connected echo clients and the tasks serving them.
pub struct Echo {
    clients: Vec<TcpStream>,
    servers: Vec<JoinHandle<u64>>,
}

/// Opens `conns` echo connections.
pub fn echo_setup(rt: &Runtime, conns: usize) -> Echo {
    rt.block_on(async move {
        let (clients, servers) = connect_pairs(conns, echo_server).await;
        Echo { clients, servers }
    })
}

/// The echo round trips counted by the clients, and the servers still to be joined.
pub struct EchoDone {
    round_trips: usize,
    servers: Vec<JoinHandle<u64>>,
}

/// Runs `rounds` round trips on every connection, one client task each; the clients close their
/// connections when done.
pub fn echo_run(rt: &Runtime, echo: Echo, rounds: usize) -> EchoDone {
    rt.block_on(async move {
        let clients = echo.clients.into_iter().enumerate();
        let tasks = clients.map(|(id, s)| rt::spawn(echo_client(s, id as u64, rounds)));
        let round_trips = join_all(tasks.collect()).await.into_iter().sum();
        EchoDone {
            round_trips,
            servers: echo.servers,
        }
    })
}

/// Joins the servers; returns the round trips the clients checked and the bytes the servers
/// echoed.
pub fn echo_finish(rt: &Runtime, done: EchoDone) -> (usize, u64) {
    let echoed = rt.block_on(join_all(done.servers)).into_iter().sum();
    (done.round_trips, echoed)
}

// ---- http_hello -------------------------------------------------------------------------------

/// The body of every response.
pub const HELLO: &[u8] = b"hello";

/// Serves HTTP/1.1 (keep-alive) on one connection, answering every request with `HELLO`;
/// returns the requests answered once the client closes.
async fn http_server(stream: TcpStream) -> usize {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let svc = hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
        count.fetch_add(1, Relaxed);
        async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(HELLO)))) }
    });
    hyper::server::conn::http1::Builder::new()
        .serve_connection(HyperIo::new(stream), svc)
        .await
        .expect("http server connection");
    served.load(Relaxed)
}

/// Sends `requests` GETs one after the other over one keep-alive connection; checks that each
/// answer is `200 OK` with body `HELLO` and returns how many were.
async fn http_client(mut sender: SendRequest<Empty<Bytes>>, requests: usize) -> usize {
    let mut ok = 0;
    for _ in 0..requests {
        sender.ready().await.unwrap();
        let req = Request::get("/")
            .header(hyper::header::HOST, "localhost")
            .body(Empty::new())
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], HELLO);
        ok += 1;
    }
    ok
}

/// hyper clients handshaken on their connections, the tasks driving those connections and the
/// tasks serving them.
pub struct Http {
    senders: Vec<SendRequest<Empty<Bytes>>>,
    drivers: Vec<JoinHandle<hyper::Result<()>>>,
    servers: Vec<JoinHandle<usize>>,
}

/// Opens `conns` HTTP/1.1 connections to a hyper server.
pub fn http_setup(rt: &Runtime, conns: usize) -> Http {
    rt.block_on(async move {
        let (clients, servers) = connect_pairs(conns, http_server).await;
        let mut senders = Vec::with_capacity(conns);
        let mut drivers = Vec::with_capacity(conns);
        for stream in clients {
            let (sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
                .await
                .unwrap();
            senders.push(sender);
            drivers.push(rt::spawn(conn));
        }
        Http {
            senders,
            drivers,
            servers,
        }
    })
}

/// The answers counted by the clients, and the tasks still to be joined.
pub struct HttpDone {
    answers: usize,
    drivers: Vec<JoinHandle<hyper::Result<()>>>,
    servers: Vec<JoinHandle<usize>>,
}

/// Sends `requests` requests on every connection, one client task each; dropping a client's
/// sender closes its connection.
pub fn http_run(rt: &Runtime, http: Http, requests: usize) -> HttpDone {
    rt.block_on(async move {
        let tasks = http.senders.into_iter();
        let tasks = tasks.map(|s| rt::spawn(http_client(s, requests)));
        let answers = join_all(tasks.collect()).await.into_iter().sum();
        HttpDone {
            answers,
            drivers: http.drivers,
            servers: http.servers,
        }
    })
}

/// Joins the connections' tasks; returns the good answers the clients counted and the requests
/// the servers answered.
pub fn http_finish(rt: &Runtime, done: HttpDone) -> (usize, usize) {
    rt.block_on(async move {
        for result in join_all(done.drivers).await {
            result.expect("http client connection");
        }
        let served = join_all(done.servers).await.into_iter().sum();
        (done.answers, served)
    })
}

// ---- file_read --------------------------------------------------------------------------------

/// Reads the file at `path` in one task on a worker; returns the bytes read.
pub fn file_read(rt: &Runtime, path: &Path) -> u64 {
    let path = path.to_path_buf();
    rt.block_on(async move { rt::spawn(read_file(path)).await.unwrap() })
}
