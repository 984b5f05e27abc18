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

rt_io_test!(
    udp_send_to_recv_from_round_trips,
    udp_connected_send_recv_and_peek,
    unix_datagram_pair_and_paths,
);
