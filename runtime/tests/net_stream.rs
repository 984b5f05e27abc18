//! TCP and Unix-domain streams: byte-exact echo of 10 MB in random chunk sizes, a thousand
//! concurrent connections, split halves, owned-buffer reads and writes, cancel-safe accept.
//! Every test runs on each scheduler flavor and both I/O backends.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use zokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use zokio::runtime::Runtime;

const TEN_MB: usize = 10 * 1024 * 1024;

/// Deterministic pseudo-random bytes (xorshift64).
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Chunk sizes from 1 B to 64 KiB that add up to `total`.
fn chunks(total: usize, seed: u64) -> Vec<usize> {
    let mut x = seed | 1;
    let mut left = total;
    let mut out = Vec::new();
    while left > 0 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (x as usize % (64 * 1024)).max(1).min(left);
        out.push(n);
        left -= n;
    }
    out
}

/// Writes `data` in random chunks, shuts the write side down, reads everything back.
async fn echo_through<S>(stream: S, data: Arc<Vec<u8>>) -> Vec<u8>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = zokio::io::split(stream);
    let writer = zokio::spawn(async move {
        let mut off = 0;
        for n in chunks(data.len(), 7) {
            wr.write_all(&data[off..off + n]).await.unwrap();
            off += n;
        }
        wr.shutdown().await.unwrap();
    });
    let mut got = Vec::with_capacity(TEN_MB);
    rd.read_to_end(&mut got).await.unwrap();
    writer.await.unwrap();
    got
}

/// Echoes one connection until end of stream, then shuts its write side down.
async fn echo_server<S: AsyncRead + AsyncWrite>(stream: S) -> u64 {
    let (mut rd, mut wr) = zokio::io::split(stream);
    let n = zokio::io::copy(&mut rd, &mut wr).await.unwrap();
    wr.shutdown().await.unwrap();
    n
}

fn tcp_echo_10mb_random_chunks(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = zokio::spawn(async move {
            let (s, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, s.peer_addr().unwrap());
            echo_server(s).await
        });
        let data = Arc::new(pattern(TEN_MB, 42));
        let client = TcpStream::connect(addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        let got = echo_through(client, data.clone()).await;
        assert_eq!(got.len(), TEN_MB);
        assert!(got == *data, "echoed bytes differ");
        assert_eq!(server.await.unwrap(), TEN_MB as u64);
    });
}

fn unix_echo_10mb_random_chunks(rt: Runtime) {
    let path = temp_sock("echo");
    rt.block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let server = zokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            echo_server(s).await
        });
        let data = Arc::new(pattern(TEN_MB, 9));
        let client = UnixStream::connect(&path).await.unwrap();
        let got = echo_through(client, data.clone()).await;
        assert!(got == *data, "echoed bytes differ");
        assert_eq!(server.await.unwrap(), TEN_MB as u64);
    });
    std::fs::remove_file(&path).unwrap();
}

fn temp_sock(name: &str) -> std::path::PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, SeqCst);
    std::env::temp_dir().join(format!("zokio-{name}-{}-{n}.sock", std::process::id()))
}

/// A thousand clients connect at once; each sends its id and gets it back.
fn thousand_concurrent_connections(rt: Runtime) {
    const N: usize = 1000;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let acc = accepted.clone();
        zokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                acc.fetch_add(1, SeqCst);
                zokio::spawn(async move {
                    let mut id = [0u8; 8];
                    s.read_exact(&mut id).await.unwrap();
                    s.write_all(&id).await.unwrap();
                    s.flush().await.unwrap();
                });
            }
        });
        let clients: Vec<_> = (0..N as u64)
            .map(|i| {
                zokio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.write_all(&i.to_le_bytes()).await.unwrap();
                    let mut back = [0u8; 8];
                    s.read_exact(&mut back).await.unwrap();
                    u64::from_le_bytes(back)
                })
            })
            .collect();
        for (i, c) in clients.into_iter().enumerate() {
            assert_eq!(c.await.unwrap(), i as u64);
        }
        assert_eq!(accepted.load(SeqCst), N);
    });
}

/// Owned halves move to different tasks and reunite; a wrong pairing is refused.
fn into_split_halves_reunite(rt: Runtime) {
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut ar, mut aw) = a.into_split();
        let (mut br, mut bw) = b.into_split();
        let w = zokio::spawn(async move {
            aw.write_all(b"from a").await.unwrap();
            aw.flush().await.unwrap();
            aw
        });
        let mut buf = [0u8; 6];
        br.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"from a");
        bw.write_all(b"from b").await.unwrap();
        bw.flush().await.unwrap();
        ar.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"from b");
        let aw = w.await.unwrap();
        let err = ar.reunite(bw).unwrap_err();
        let (ar, bw) = (err.0, err.1);
        assert!(ar.reunite(aw).is_ok());
        assert!(br.reunite(bw).is_ok());
    });
}

/// `read_owned`/`write_all_owned` move a buffer through the stream and give it back.
fn owned_buffers_round_trip(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let data = pattern(300_000, 5);
        let expect = data.clone();
        let server = zokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut got = Vec::with_capacity(64 * 1024);
            loop {
                let (res, buf) = s.read_owned(got).await;
                got = buf;
                if res.unwrap() == 0 {
                    return got;
                }
                got.reserve(64 * 1024);
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (res, back) = c.write_all_owned(data).await;
        res.unwrap();
        assert_eq!(back.len(), 300_000);
        c.shutdown().await.unwrap();
        assert!(server.await.unwrap() == expect);
    });
}

/// A stream dropped right after its last write still delivers every byte, then end of stream:
/// on io_uring the last send is still in flight (from a task on a worker its submission may
/// not even have reached the kernel yet), and it keeps the descriptor open until it is done.
fn dropped_stream_delivers_its_last_write(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let data = pattern(1024 * 1024 + 17, 9);
        let expect = data.clone();
        let server = zokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap();
            got
        });
        let client = zokio::spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            for chunk in data.chunks(64 * 1024) {
                c.write_all(chunk).await.unwrap();
            }
            drop(c);
        });
        client.await.unwrap();
        let got = server.await.unwrap();
        assert_eq!(got.len(), expect.len());
        assert!(got == expect, "the bytes differ");
    });
}

/// A dropped `accept()` future loses no connection: the next `accept()` returns it.
fn dropped_accept_loses_no_connection(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for _ in 0..3 {
            let mut fut = std::pin::pin!(listener.accept());
            let pending = futures::poll!(fut.as_mut());
            assert!(pending.is_pending());
        }
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(server.local_addr().unwrap(), addr);
    });
}

/// Two tasks accept on one shared listener at the same time (both are waiting before anyone
/// connects): two clients connect and each task gets one connection.
fn two_tasks_accepting_on_one_listener_both_get_a_connection(rt: Runtime) {
    rt.block_on(async {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let (waiting_tx, mut waiting) = zokio::sync::mpsc::unbounded_channel::<()>();
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let (l, tx) = (listener.clone(), waiting_tx.clone());
                zokio::spawn(async move {
                    let (s, peer) = support::tell_when_waiting(|cx| l.poll_accept(cx), tx)
                        .await
                        .unwrap();
                    assert_eq!(s.peer_addr().unwrap(), peer);
                    peer
                })
            })
            .collect();
        waiting.recv().await.unwrap();
        waiting.recv().await.unwrap();
        let a = TcpStream::connect(addr).await.unwrap();
        let b = TcpStream::connect(addr).await.unwrap();
        let mut peers = Vec::new();
        for t in acceptors {
            // A task nobody wakes would wait forever: fail instead.
            let peer = zokio::time::timeout(std::time::Duration::from_secs(10), t)
                .await
                .expect("an acceptor was never woken")
                .unwrap();
            peers.push(peer);
        }
        peers.sort();
        let mut expected = vec![a.local_addr().unwrap(), b.local_addr().unwrap()];
        expected.sort();
        assert_eq!(peers, expected);
    });
}

/// Bytes a read left buffered come first: after `read_exact` took 2 of 5 bytes, `peek` and
/// `readable()` + `try_read` see the other 3 before anything sent later, in order.
fn try_read_and_peek_after_a_read_keep_the_order(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        c.write_all(b"hello").await.unwrap();
        c.flush().await.unwrap();
        let mut two = [0u8; 2];
        s.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"he");
        let mut buf = [0u8; 16];
        let n = zokio::time::timeout(std::time::Duration::from_secs(10), s.peek(&mut buf))
            .await
            .expect("peek never saw the buffered bytes")
            .unwrap();
        assert_eq!(&buf[..n], b"llo");
        c.write_all(b"world").await.unwrap();
        c.flush().await.unwrap();
        let got = support::try_read_n(|| s.readable(), |b| s.try_read(b), 8).await;
        assert_eq!(got, b"lloworld");
    });
}

/// Bytes `try_write` accepts follow those a `write_all` accepted before it, never overtake them.
fn try_write_after_a_write_keeps_the_order(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        let reader = zokio::spawn(async move {
            let mut all = Vec::new();
            s.read_to_end(&mut all).await.unwrap();
            all
        });
        let body = vec![b'a'; 300_000];
        c.write_all(&body).await.unwrap();
        support::try_write_all(|| c.writable(), |b| c.try_write(b), b"XYZ").await;
        c.shutdown().await.unwrap();
        let all = reader.await.unwrap();
        assert_eq!(all.len(), body.len() + 3);
        assert!(all[..body.len()].iter().all(|&b| b == b'a'));
        assert_eq!(&all[body.len()..], b"XYZ");
    });
}

/// Unix streams have `try_read` and `try_write` too, with the same order guarantees.
fn unix_try_read_and_try_write(rt: Runtime) {
    rt.block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            b.try_read(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
        a.write_all(b"abc").await.unwrap();
        support::try_write_all(|| a.writable(), |buf| a.try_write(buf), b"def").await;
        let got = support::try_read_n(|| b.readable(), |buf| b.try_read(buf), 6).await;
        assert_eq!(got, b"abcdef");
    });
}

/// `connect` returns only once the handshake is done. A listener whose accept queue is full
/// (backlog 0, one connection waiting) drops the next SYN, so that connect stays pending (the
/// client retries after a second); it must not come back with a stream still connecting.
fn connect_waits_for_the_handshake(rt: Runtime) {
    use std::os::fd::AsRawFd;
    rt.block_on(async {
        let listener =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        listener.bind(&any.into()).unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        let first = TcpStream::connect(addr).await.unwrap();
        // Wait until the first connection sits in the accept queue (the queue is then full).
        let mut pfd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        let mut second = std::pin::pin!(TcpStream::connect(addr));
        for _ in 0..20 {
            assert!(
                futures::poll!(second.as_mut()).is_pending(),
                "connect came back before its handshake"
            );
            zokio::task::yield_now().await;
        }
        drop(first);
    });
}

/// `peek` leaves the bytes for the next read; `try_read` does not wait.
fn peek_and_try_read(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            s.try_read(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
        c.write_all(b"peekaboo").await.unwrap();
        c.flush().await.unwrap();
        let mut n = 0;
        while n < 8 {
            n = s.peek(&mut buf).await.unwrap();
        }
        assert_eq!(&buf[..8], b"peekaboo");
        s.read_exact(&mut buf[..8]).await.unwrap();
        assert_eq!(&buf[..8], b"peekaboo");
    });
}

/// A connected TCP pair (client, server side).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (s, _) = listener.accept().await.unwrap();
    (c, s)
}

/// `recv(2)` on the stream's descriptor: the raw call a `try_io` user makes.
fn raw_recv(fd: std::os::fd::RawFd, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `ready(interest)` says which of the interest is ready: a fresh stream is writable and not
/// readable; bytes sent make it readable; once a read found the end of the stream it says
/// `READ_CLOSED` (on a stream read with `try_read` and on one read through `read`, which on
/// io_uring is ready by its own receive).
fn ready_reports_what_is_ready(rt: Runtime) {
    use zokio::io::{Interest, Ready};
    rt.block_on(async {
        let (mut c, s) = tcp_pair().await;
        let r = s
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert_eq!(r, Ready::WRITABLE, "a fresh stream: {r:?}");
        c.write_all(b"abc").await.unwrap();
        c.shutdown().await.unwrap();
        let got = support::try_read_n(|| s.readable(), |b| s.try_read(b), 3).await;
        assert_eq!(got, b"abc");
        let mut buf = [0u8; 8];
        assert_eq!(s.try_read(&mut buf).unwrap(), 0, "end of stream");
        let r = s.ready(Interest::READABLE).await.unwrap();
        assert!(
            r.is_readable() && r.is_read_closed() && !r.is_writable(),
            "{r:?}"
        );

        let (mut c, mut s) = tcp_pair().await;
        c.write_all(b"x").await.unwrap();
        c.flush().await.unwrap();
        let mut one = [0u8; 1];
        s.read_exact(&mut one).await.unwrap();
        // A read that would block forgets the readiness (a read that did not may leave it).
        let mut buf = [0u8; 8];
        let e = s.try_read(&mut buf).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
        {
            let mut waiting = std::pin::pin!(s.ready(Interest::READABLE));
            assert!(
                futures::poll!(waiting.as_mut()).is_pending(),
                "nothing to read"
            );
            c.write_all(b"yz").await.unwrap();
            c.flush().await.unwrap();
            assert!(waiting.await.unwrap().is_readable());
        }
        c.shutdown().await.unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"yz");
        let r = s.ready(Interest::READABLE).await.unwrap();
        assert!(r.is_readable() && r.is_read_closed(), "{r:?}");
    });
}

/// `try_io` runs the caller's raw system calls: a raw `recv` reads exactly what was sent, one
/// that would block forgets the readiness (the next `readable()` waits for new bytes), and
/// `async_io` waits for them; a raw `send` with `WRITABLE` goes out after the bytes written
/// before through the stream. On io_uring a stream read through `read` refuses raw reads
/// (its own receive takes the socket's bytes) with `Unsupported`; on poll it allows them.
fn try_io_runs_raw_calls_and_forgets_readiness(rt: Runtime) {
    use std::os::fd::AsRawFd;
    use zokio::io::{Interest, IoBackend};
    let uring = rt.handle().io_backend().backend == IoBackend::IoUring;
    rt.block_on(async {
        let (mut c, s) = tcp_pair().await;
        let fd = s.as_raw_fd();
        c.write_all(b"ping").await.unwrap();
        c.flush().await.unwrap();
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        loop {
            s.readable().await.unwrap();
            match s.try_io(Interest::READABLE, || raw_recv(fd, &mut buf)) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && got.len() == 4 => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_io: {e}"),
            }
        }
        assert_eq!(got, b"ping");
        // Readiness is forgotten: `readable()` waits. (An event another worker's reactor
        // turn took late may still report it, at most once per event: each such report is
        // met by a raw read that would block, and then `readable()` waits.)
        let mut stale = 0;
        loop {
            let mut readable = std::pin::pin!(s.readable());
            if futures::poll!(readable.as_mut()).is_pending() {
                break;
            }
            let e = s.try_io(Interest::READABLE, || raw_recv(fd, &mut buf));
            assert_eq!(e.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            stale += 1;
            assert!(
                stale < 100,
                "readable() kept reporting readiness nothing renewed"
            );
        }
        c.write_all(b"more").await.unwrap();
        c.flush().await.unwrap();
        let n = s
            .async_io(Interest::READABLE, || raw_recv(fd, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"more");

        // Raw writes follow the stream's own.
        let (mut c, s) = tcp_pair().await;
        let fd = s.as_raw_fd();
        let body = vec![b'a'; 200_000];
        let reader = zokio::spawn(async move {
            let mut all = Vec::new();
            c.read_to_end(&mut all).await.unwrap();
            all
        });
        let mut s = s;
        s.write_all(&body).await.unwrap();
        let send = || {
            // SAFETY: a valid 3-byte buffer.
            let n = unsafe { libc::send(fd, b"END".as_ptr().cast(), 3, libc::MSG_NOSIGNAL) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        };
        assert_eq!(s.async_io(Interest::WRITABLE, send).await.unwrap(), 3);
        s.shutdown().await.unwrap();
        let all = reader.await.unwrap();
        assert_eq!(all.len(), body.len() + 3);
        assert!(all[..body.len()].iter().all(|&b| b == b'a'));
        assert_eq!(&all[body.len()..], b"END");

        // A stream read through `read`.
        let (mut c, mut s) = tcp_pair().await;
        c.write_all(b"q").await.unwrap();
        c.flush().await.unwrap();
        s.read_exact(&mut buf[..1]).await.unwrap();
        let fd = s.as_raw_fd();
        let res = s.try_io(Interest::READABLE, || raw_recv(fd, &mut buf));
        match (uring, res) {
            (true, Err(e)) => assert_eq!(e.kind(), std::io::ErrorKind::Unsupported, "{e}"),
            (false, Err(e)) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}"),
            (_, Ok(n)) => panic!("a raw read found {n} bytes where none were sent"),
        }
    });
}

/// Vectored `try_read`/`try_write` fill and drain the buffers in order, on the stream and on
/// its halves (whose `ready`, `readable`, `writable` are the stream's).
fn vectored_try_read_and_try_write(rt: Runtime) {
    use std::io::{IoSlice, IoSliceMut};
    use zokio::io::{Interest, Ready};
    rt.block_on(async {
        let (mut c, mut s) = tcp_pair().await;
        // The server side reads once through `read` (on io_uring its receive is then armed).
        c.write_all(b"x").await.unwrap();
        c.flush().await.unwrap();
        let mut one = [0u8; 1];
        s.read_exact(&mut one).await.unwrap();
        c.writable().await.unwrap();
        let n = c
            .try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")])
            .unwrap();
        assert_eq!(n, 5);
        let (mut a, mut b) = ([0u8; 2], [0u8; 10]);
        let n = loop {
            s.readable().await.unwrap();
            let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
            match s.try_read_vectored(&mut bufs) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_read_vectored: {e}"),
            }
        };
        assert_eq!((n, &a, &b[..3]), (5, b"ab", &b"cde"[..]));

        let (rh, wh) = s.into_split();
        assert_eq!(wh.ready(Interest::WRITABLE).await.unwrap(), Ready::WRITABLE);
        support::try_write_all(|| wh.writable(), |b| wh.try_write(b), b"back").await;
        let got = support::try_read_n(|| c.readable(), |b| c.try_read(b), 4).await;
        assert_eq!(got, b"back");
        c.write_all(b"half").await.unwrap();
        c.flush().await.unwrap();
        assert!(rh.ready(Interest::READABLE).await.unwrap().is_readable());
        let got = support::try_read_n(|| rh.readable(), |b| rh.try_read(b), 4).await;
        assert_eq!(got, b"half");
    });
}

/// `try_read_buf` appends to a `BytesMut` what is there, in order: on a stream never read
/// (the socket directly) and after a `read` (on io_uring: the stream's own receive); end of
/// stream reads 0.
fn try_read_buf_appends_in_order(rt: Runtime) {
    rt.block_on(async {
        let (mut c, mut s) = tcp_pair().await;
        c.write_all(b"first").await.unwrap();
        c.flush().await.unwrap();
        let mut got = bytes::BytesMut::new();
        while got.len() < 5 {
            s.readable().await.unwrap();
            match s.try_read_buf(&mut got) {
                Ok(n) => assert!(n > 0),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_read_buf: {e}"),
            }
        }
        let mut one = [0u8; 1];
        c.write_all(b"Xsecond").await.unwrap();
        c.shutdown().await.unwrap();
        s.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"X");
        loop {
            s.readable().await.unwrap();
            match s.try_read_buf(&mut got) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_read_buf: {e}"),
            }
        }
        assert_eq!(&got[..], b"firstsecond");
    });
}

/// A read that got fewer bytes than it had room for drained the socket: `readable()` then
/// waits for new bytes (no system call that would block is needed to find that out).
fn a_short_read_leaves_the_stream_not_readable(rt: Runtime) {
    rt.block_on(async {
        let (mut c, mut s) = tcp_pair().await;
        c.write_all(b"abc").await.unwrap();
        c.flush().await.unwrap();
        let mut buf = [0u8; 16];
        let mut got = 0;
        while got < 3 {
            got += s.read(&mut buf[got..]).await.unwrap();
        }
        assert_eq!(&buf[..3], b"abc");
        {
            let mut readable = std::pin::pin!(s.readable());
            assert!(futures::poll!(readable.as_mut()).is_pending());
        }
        c.write_all(b"d").await.unwrap();
        c.flush().await.unwrap();
        s.readable().await.unwrap();
        assert_eq!(s.read(&mut buf).await.unwrap(), 1);
        assert_eq!(buf[0], b'd');
    });
}

/// A short read that also saw the peer's end of stream leaves the stream readable: the next
/// read returns 0 at once (no event would come to say so again).
fn a_short_read_at_the_end_still_finds_the_end(rt: Runtime) {
    rt.block_on(async {
        let (mut c, mut s) = tcp_pair().await;
        c.write_all(b"abc").await.unwrap();
        c.shutdown().await.unwrap();
        let mut all = Vec::new();
        let mut buf = [0u8; 16];
        let ten_s = std::time::Duration::from_secs(10);
        loop {
            let n = zokio::time::timeout(ten_s, s.read(&mut buf))
                .await
                .expect("the end of the stream was never read")
                .unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        assert_eq!(all, b"abc");
    });
}

rt_io_test!(
    tcp_echo_10mb_random_chunks,
    unix_echo_10mb_random_chunks,
    thousand_concurrent_connections,
    into_split_halves_reunite,
    owned_buffers_round_trip,
    dropped_stream_delivers_its_last_write,
    dropped_accept_loses_no_connection,
    two_tasks_accepting_on_one_listener_both_get_a_connection,
    try_read_and_peek_after_a_read_keep_the_order,
    try_write_after_a_write_keeps_the_order,
    unix_try_read_and_try_write,
    connect_waits_for_the_handshake,
    peek_and_try_read,
    ready_reports_what_is_ready,
    try_io_runs_raw_calls_and_forgets_readiness,
    vectored_try_read_and_try_write,
    try_read_buf_appends_in_order,
    a_short_read_leaves_the_stream_not_readable,
    a_short_read_at_the_end_still_finds_the_end,
);
