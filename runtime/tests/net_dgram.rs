//! UDP and Unix-domain datagrams: exact contents and senders, connected and unconnected, on
//! each scheduler flavor and both I/O backends.

mod support;

use std::sync::Arc;
use zokio::net::{UdpSocket, UnixDatagram};
use zokio::runtime::Runtime;

/// A hundred datagrams of distinct sizes go out and come back exactly.
fn udp_send_to_recv_from_round_trips(rt: Runtime) {
    rt.block_on(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let server_addr = server.local_addr().unwrap();
        let s = server.clone();
        let echo = zokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            for _ in 0..100 {
                let (n, from) = s.recv_from(&mut buf).await.unwrap();
                assert_eq!(s.send_to(&buf[..n], from).await.unwrap(), n);
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = vec![0u8; 2048];
        for i in 0..100usize {
            let msg: Vec<u8> = (0..i * 10 + 1).map(|j| (i + j) as u8).collect();
            client.send_to(&msg, server_addr).await.unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, server_addr);
            assert_eq!(&buf[..n], &msg[..]);
        }
        echo.await.unwrap();
    });
}

/// Connected sockets use `send`/`recv`; `peek_from` leaves the datagram queued.
fn udp_connected_send_recv_and_peek(rt: Runtime) {
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        assert_eq!(a.send(b"one").await.unwrap(), 3);
        let mut buf = [0u8; 8];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a.local_addr().unwrap()));
        assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"one");
        assert_eq!(
            b.try_recv(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
    });
}

/// Two tasks wait to receive on one shared socket at the same time (both have found it empty
/// before anything is sent): two datagrams arrive and each task gets one. A socket's side keeps
/// every waiting task, not only the last to look.
fn two_tasks_receiving_on_one_socket_both_get_a_datagram(rt: Runtime) {
    rt.block_on(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = server.local_addr().unwrap();
        let (waiting_tx, mut waiting) = zokio::sync::mpsc::unbounded_channel::<()>();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let (s, tx) = (server.clone(), waiting_tx.clone());
                zokio::spawn(async move {
                    let mut buf = [0u8; 16];
                    let mut rb = zokio::io::ReadBuf::new(&mut buf);
                    support::tell_when_waiting(|cx| s.poll_recv_from(cx, &mut rb), tx)
                        .await
                        .unwrap();
                    rb.filled().to_vec()
                })
            })
            .collect();
        waiting.recv().await.unwrap();
        waiting.recv().await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(b"one", addr).await.unwrap();
        client.send_to(b"two", addr).await.unwrap();
        let mut got = Vec::new();
        for r in receivers {
            // A task nobody wakes would wait forever: fail instead.
            let d = zokio::time::timeout(std::time::Duration::from_secs(10), r)
                .await
                .expect("a receiver was never woken")
                .unwrap();
            got.push(d);
        }
        got.sort();
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    });
}

/// A `try_recv` that would block forgets the readiness it used: `readable()` then waits for
/// the next datagram instead of returning at once forever (a busy loop).
fn try_recv_that_would_block_forgets_readiness(rt: Runtime) {
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        a.send(b"one").await.unwrap();
        let mut buf = [0u8; 8];
        let mut got = 0;
        loop {
            b.readable().await.unwrap();
            match b.try_recv(&mut buf) {
                Ok(n) => {
                    assert_eq!(&buf[..n], b"one");
                    got += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && got == 1 => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv: {e}"),
            }
        }
        // Nothing more was sent: waiting for readability must not finish.
        let mut readable = std::pin::pin!(b.readable());
        assert!(futures::poll!(readable.as_mut()).is_pending());
        a.send(b"one").await.unwrap();
        readable.await.unwrap();
        assert_eq!(b.try_recv(&mut buf).unwrap(), 3);
    });
}

fn unix_datagram_pair_and_paths(rt: Runtime) {
    let dir = std::env::temp_dir().join(format!(
        "zokio-dgram-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"pair").await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
        assert_eq!(&buf[..4], b"pair");

        let server = UnixDatagram::bind(dir.join("s")).unwrap();
        let client = UnixDatagram::bind(dir.join("c")).unwrap();
        client.send_to(b"hello", dir.join("s")).await.unwrap();
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(dir.join("c").as_path()));
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `recv(2)` on a socket's descriptor: the raw call a `try_io` user makes.
fn raw_recv(fd: std::os::fd::RawFd, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `ready` says what is ready (a fresh socket: writable, not readable); `try_io` runs a raw
/// `recv` that gets the datagram sent, and one that would block forgets the readiness
/// (`poll_recv_ready` then waits); `async_io` waits for the next datagram.
fn udp_ready_and_try_io(rt: Runtime) {
    use std::os::fd::AsRawFd;
    use zokio::io::{Interest, Ready};
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        let r = b
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert_eq!(r, Ready::WRITABLE, "a fresh socket: {r:?}");
        a.send(b"one").await.unwrap();
        let fd = b.as_raw_fd();
        let mut buf = [0u8; 16];
        let n = loop {
            assert!(b.ready(Interest::READABLE).await.unwrap().is_readable());
            match b.try_io(Interest::READABLE, || raw_recv(fd, &mut buf)) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_io: {e}"),
            }
        };
        assert_eq!(&buf[..n], b"one");
        let e = b.try_io(Interest::READABLE, || raw_recv(fd, &mut buf));
        assert_eq!(e.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
        // Forgotten (a late event another worker's reactor took may report it once more;
        // each such report meets a raw read that would block).
        let mut stale = 0;
        while std::future::poll_fn(|cx| std::task::Poll::Ready(b.poll_recv_ready(cx)))
            .await
            .is_ready()
        {
            let e = b.try_io(Interest::READABLE, || raw_recv(fd, &mut buf));
            assert_eq!(e.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            stale += 1;
            assert!(
                stale < 100,
                "poll_recv_ready kept reporting readiness nothing renewed"
            );
        }
        a.send(b"two").await.unwrap();
        let n = b
            .async_io(Interest::READABLE, || raw_recv(fd, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"two");
        std::future::poll_fn(|cx| b.poll_send_ready(cx))
            .await
            .unwrap();
    });
}

/// Unix datagrams have the non-waiting calls and readiness of UDP sockets: `try_recv` of an
/// empty socket would block, `try_send`/`try_recv` and `try_send_to`/`try_recv_from` move
/// exact datagrams, `ready` reports both directions.
fn unix_datagram_try_calls_and_ready(rt: Runtime) {
    use zokio::io::Interest;
    let dir = std::env::temp_dir().join(format!(
        "zokio-dgram-try-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let mut buf = [0u8; 16];
        let e = b.try_recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
        a.writable().await.unwrap();
        assert_eq!(a.try_send(b"abc").unwrap(), 3);
        let n = loop {
            let r = b
                .ready(Interest::READABLE | Interest::WRITABLE)
                .await
                .unwrap();
            if !r.is_readable() {
                assert!(r.is_writable(), "{r:?}");
                b.readable().await.unwrap();
            }
            match b.try_recv(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv: {e}"),
            }
        };
        assert_eq!(&buf[..n], b"abc");

        let server = UnixDatagram::bind(dir.join("s")).unwrap();
        let client = UnixDatagram::bind(dir.join("c")).unwrap();
        assert_eq!(client.try_send_to(b"hello", dir.join("s")).unwrap(), 5);
        let (n, from) = loop {
            server.readable().await.unwrap();
            match server.try_recv_from(&mut buf) {
                Ok(got) => break got,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv_from: {e}"),
            }
        };
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(dir.join("c").as_path()));
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The `BufMut` receives append exact datagrams: `recv_buf`, `try_recv_buf`, `recv_buf_from`
/// and `try_recv_buf_from` on UDP and Unix datagrams (with the sender's address); a datagram
/// longer than the room left is cut to it.
fn recv_buf_appends_exact_datagrams(rt: Runtime) {
    use bytes::BufMut;
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        let mut got = bytes::BytesMut::with_capacity(64);
        a.send(b"one").await.unwrap();
        assert_eq!(b.recv_buf(&mut got).await.unwrap(), 3);
        a.send(b"two").await.unwrap();
        let n = loop {
            b.readable().await.unwrap();
            match b.try_recv_buf(&mut got) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv_buf: {e}"),
            }
        };
        assert_eq!((n, &got[..]), (3, &b"onetwo"[..]));
        a.send(b"three").await.unwrap();
        let (n, from) = b.recv_buf_from(&mut got).await.unwrap();
        assert_eq!((n, from), (5, a.local_addr().unwrap()));
        a.send(b"four").await.unwrap();
        let (n, from) = loop {
            b.readable().await.unwrap();
            match b.try_recv_buf_from(&mut got) {
                Ok(r) => break r,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv_buf_from: {e}"),
            }
        };
        assert_eq!((n, from), (4, a.local_addr().unwrap()));
        assert_eq!(&got[..], b"onetwothreefour");
        let mut small = [0u8; 3];
        let mut room = &mut small[..];
        a.send(b"truncated").await.unwrap();
        assert_eq!(b.recv_buf(&mut room).await.unwrap(), 3);
        assert_eq!(room.remaining_mut(), 0);
        assert_eq!(&small, b"tru");

        let (x, y) = UnixDatagram::pair().unwrap();
        let mut got = Vec::with_capacity(32);
        x.send(b"unix").await.unwrap();
        assert_eq!(y.recv_buf(&mut got).await.unwrap(), 4);
        x.send(b"-two").await.unwrap();
        let (n, _) = y.recv_buf_from(&mut got).await.unwrap();
        assert_eq!(n, 4);
        x.send(b"-3").await.unwrap();
        loop {
            y.readable().await.unwrap();
            match y.try_recv_buf(&mut got) {
                Ok(n) => break assert_eq!(n, 2),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv_buf: {e}"),
            }
        }
        x.send(b"-4").await.unwrap();
        loop {
            y.readable().await.unwrap();
            match y.try_recv_buf_from(&mut got) {
                Ok((n, _)) => break assert_eq!(n, 2),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_recv_buf_from: {e}"),
            }
        }
        assert_eq!(got, b"unix-two-3-4");
    });
}

rt_io_test!(
    udp_send_to_recv_from_round_trips,
    two_tasks_receiving_on_one_socket_both_get_a_datagram,
    try_recv_that_would_block_forgets_readiness,
    udp_connected_send_recv_and_peek,
    unix_datagram_pair_and_paths,
    udp_ready_and_try_io,
    unix_datagram_try_calls_and_ready,
    recv_buf_appends_exact_datagrams,
);
