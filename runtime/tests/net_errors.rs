//! The `std::io::ErrorKind`s a tokio user expects: connection refused, address in use, peer
//! reset, not found, broken pipe, on each scheduler flavor and both I/O backends.

mod support;

use std::io::ErrorKind;
use std::time::Duration;
use zokio::io::{AsyncReadExt, AsyncWriteExt};
use zokio::net::{TcpListener, TcpStream, UnixStream};
use zokio::runtime::Runtime;

fn connection_refused(rt: Runtime) {
    rt.block_on(async {
        // A port that was just free: bind, note it, close.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    });
}

fn address_in_use(rt: Runtime) {
    rt.block_on(async {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = TcpListener::bind(first.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    });
}

/// The server closes with `SO_LINGER` 0 (a reset) while data is unread: the client's read
/// fails with `ConnectionReset`.
fn peer_reset(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        server.set_linger(Some(Duration::ZERO)).unwrap();
        client.write_all(b"unread").await.unwrap();
        client.flush().await.unwrap();
        // The bytes have arrived (on io_uring a flushed write may still be in flight; a send
        // that ran after the reset would report the error itself, as the next write would).
        server.readable().await.unwrap();
        drop(server);
        let mut buf = [0u8; 8];
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    });
}

/// Writing to a connection the peer reset ends in `BrokenPipe` or `ConnectionReset` (which one
/// depends on whether the reset arrived before the write), never in a signal.
fn write_after_reset(rt: Runtime) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        server.set_linger(Some(Duration::ZERO)).unwrap();
        drop(server);
        let mut err = None;
        for _ in 0..100 {
            if let Err(e) = async {
                client.write_all(&[0u8; 1024]).await?;
                client.flush().await
            }
            .await
            {
                err = Some(e);
                break;
            }
        }
        let kind = err.expect("writes kept succeeding after a reset").kind();
        assert!(
            matches!(kind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{kind:?}"
        );
    });
}

fn unix_connect_to_missing_path_is_not_found(rt: Runtime) {
    rt.block_on(async {
        let path = std::env::temp_dir().join(format!("zokio-missing-{}.sock", std::process::id()));
        let err = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    });
}

fn file_not_found(rt: Runtime) {
    rt.block_on(async {
        let path = std::env::temp_dir().join(format!("zokio-missing-{}.txt", std::process::id()));
        let err = zokio::fs::File::open(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let err = zokio::fs::read(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    });
}

fn unresolvable_host_is_an_error(rt: Runtime) {
    rt.block_on(async {
        let err = zokio::net::lookup_host("host.invalid:80").await.err();
        assert!(err.is_some(), "a name under .invalid resolved");
    });
}

rt_io_test!(
    connection_refused,
    address_in_use,
    peer_reset,
    write_after_reset,
    unix_connect_to_missing_path_is_not_found,
    file_not_found,
    unresolvable_host_is_an_error,
);
