//! The I/O driver: the backend choice and its reason (including injected io_uring setup
//! failures and `ZOKIO_IO=poll`), and per-operation counters that match the work done.

mod support;

use zokio::io::{AsyncReadExt, AsyncWriteExt, IoBackend, IoBackendPreference};
use zokio::net::{TcpListener, TcpStream};
use zokio::runtime::{Builder, Runtime};

/// A setup failure (as from an old kernel, a seccomp profile or a memory limit) falls back to
/// polling, names the reason, and I/O still works.
#[test]
fn injected_setup_failures_fall_back_to_poll_with_the_reason() {
    for (errno, needle) in [
        (libc::ENOSYS, "ENOSYS"),
        (libc::EPERM, "EPERM"),
        (libc::ENOMEM, "ENOMEM"),
    ] {
        for mut b in [Builder::new_current_thread(), Builder::new_multi_thread()] {
            let rt = b.fail_io_uring_setup(errno).build().unwrap();
            let choice = rt.handle().io_backend();
            assert_eq!(choice.backend, IoBackend::Poll);
            assert!(choice.reason.contains(needle), "{}", choice.reason);
            assert_eq!(rt.metrics().io.backend, "poll");
            assert_eq!(rt.metrics().io.backend_reason, choice.reason);
            assert_eq!(echo_round_trips(&rt, 10), 10);
        }
    }
}

#[test]
fn io_uring_is_chosen_when_available_and_says_so() {
    let rt = support::io_runtime(0, IoBackendPreference::IoUring);
    let choice = rt.handle().io_backend();
    assert_eq!(
        (choice.backend, choice.reason.as_str()),
        (IoBackend::IoUring, "io_uring available")
    );
    assert_eq!(choice.to_string(), "io_uring (io_uring available)");
}

#[test]
fn builder_poll_preference_is_reported() {
    let rt = Builder::new_current_thread()
        .io_backend(IoBackendPreference::Poll)
        .build()
        .unwrap();
    let choice = rt.handle().io_backend();
    assert_eq!(choice.backend, IoBackend::Poll);
    assert_eq!(choice.reason, "poll requested by Builder::io_backend");
}

/// `ZOKIO_IO=poll` in the environment forces polling: checked in a child process so this
/// process's environment stays untouched.
#[test]
fn env_zokio_io_poll_forces_polling() {
    if std::env::var_os("ZOKIO_IO_CHILD").is_some() {
        let rt = Builder::new_current_thread().build().unwrap();
        println!("CHOICE={}", rt.handle().io_backend());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "env_zokio_io_poll_forces_polling",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ZOKIO_IO_CHILD", "1")
        .env("ZOKIO_IO", "poll")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("CHOICE=poll (ZOKIO_IO=poll)"), "{stdout}");
}

/// Runs `n` round trips of 64 bytes between a client and an echo server in `rt`.
fn echo_round_trips(rt: &Runtime, n: usize) -> usize {
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = zokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            for _ in 0..n {
                s.read_exact(&mut buf).await.unwrap();
                s.write_all(&buf).await.unwrap();
            }
            // Waits until the last send has completed (a flush need not), so the counters
            // read after this task include it.
            s.shutdown().await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut done = 0;
        for i in 0..n {
            let msg = [i as u8; 64];
            c.write_all(&msg).await.unwrap();
            let mut back = [0u8; 64];
            c.read_exact(&mut back).await.unwrap();
            done += usize::from(back == msg);
        }
        c.shutdown().await.unwrap();
        server.await.unwrap();
        done
    })
}

/// After N echo round trips, reads and writes completed at least N times each way and moved
/// exactly the bytes that crossed (2 x N x 64 each: client and server both read and write).
fn counters_match_the_work(rt: Runtime) {
    const N: usize = 1000;
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    assert_eq!(echo_round_trips(&rt, N), N);
    let io = rt.metrics().io;
    let read = io.op("read").unwrap();
    let write = io.op("write").unwrap();
    assert!(read.completed >= 2 * N as u64, "{read:?}");
    assert!(write.completed >= 2 * N as u64, "{write:?}");
    assert_eq!(read.bytes, 2 * N as u64 * 64, "{read:?}");
    assert_eq!(write.bytes, 2 * N as u64 * 64, "{write:?}");
    assert_eq!(read.errors + write.errors, 0);
    assert_eq!(write.in_flight, 0);
    // One connection accepted (a multishot accept still armed ends cancelled).
    let accept = io.op("accept").unwrap();
    assert_eq!(accept.completed - accept.cancelled, 1, "{accept:?}");
    assert_eq!(accept.errors, 0, "{accept:?}");
    assert_eq!(io.cq_overflows, 0);
    // On io_uring with provided buffers, every message came in a ring buffer (or, when the
    // ring ran dry, in a single-shot read) and every buffer went back once read.
    let b = &io.buffers;
    if b.capacity > 0 {
        assert!(b.hits + b.misses >= 2 * N as u64, "{b:?}");
        assert!(b.hits <= read.completed, "{b:?} {read:?}");
        assert_eq!(b.in_use, 0, "{b:?}");
    }
}

/// File operations on io_uring are counted as io_uring operations.
fn file_operations_are_counted(rt: Runtime) {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let path = std::env::temp_dir().join(format!(
        "zokio-count-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let data = vec![3u8; 200_000];
    rt.block_on(async {
        zokio::fs::write(&path, &data).await.unwrap();
        assert_eq!(zokio::fs::read(&path).await.unwrap(), data);
    });
    let io = rt.metrics().io;
    if io.backend == "io_uring" {
        assert_eq!(io.op("openat").unwrap().completed, 2);
        assert_eq!(io.op("write").unwrap().bytes, 200_000);
        assert_eq!(io.op("read").unwrap().bytes, 200_000);
    } else {
        // On the poll backend files go through the blocking pool: no driver operation at all.
        assert_eq!(io.op("openat").unwrap().submitted, 0);
        assert_eq!(io.op("read").unwrap().submitted, 0);
        assert_eq!(io.op("write").unwrap().submitted, 0);
    }
    std::fs::remove_file(&path).unwrap();
}

/// A client that echoes `n` messages of 64 bytes with the server at `addr`; returns how many came
/// back intact.
async fn echo_client(addr: std::net::SocketAddr, n: usize) -> usize {
    let mut c = TcpStream::connect(addr).await.unwrap();
    let mut done = 0;
    for i in 0..n {
        let msg = [i as u8; 64];
        c.write_all(&msg).await.unwrap();
        let mut back = [0u8; 64];
        c.read_exact(&mut back).await.unwrap();
        done += usize::from(back == msg);
    }
    done
}

/// An echo server for `clients` connections of `n` messages each.
async fn echo_server(listener: TcpListener, clients: usize, n: usize) {
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (mut s, _) = listener.accept().await.unwrap();
        tasks.push(zokio::spawn(async move {
            let mut buf = [0u8; 64];
            for _ in 0..n {
                s.read_exact(&mut buf).await.unwrap();
                s.write_all(&buf).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// I/O works from every kind of thread: a task on a worker, the blocking pool, and a thread of
/// the application's own entering the runtime through its handle (with one ring per worker,
/// the last two submit to a ring they do not drive).
fn io_from_every_kind_of_thread(rt: Runtime) {
    const N: usize = 200;
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt.spawn(echo_server(listener, 3, N));
    let task = rt.spawn(echo_client(addr, N));
    let handle = rt.handle().clone();
    let blocking = rt.spawn_blocking(move || handle.block_on(echo_client(addr, N)));
    let handle = rt.handle().clone();
    let own = std::thread::spawn(move || handle.block_on(echo_client(addr, N)));
    assert_eq!(own.join().unwrap(), N);
    rt.block_on(async {
        assert_eq!(task.await.unwrap(), N);
        assert_eq!(blocking.await.unwrap(), N);
        server.await.unwrap();
    });
}

/// The kernel cancels the io_uring requests a thread submitted when that thread exits. A stream
/// whose receive was armed by a thread that has since exited (here: an application thread that
/// polled a read once through the handle) still reads what arrives next, exactly.
fn reads_survive_the_exit_of_the_thread_that_armed_them(rt: Runtime) {
    use futures::FutureExt;
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let (mut client, mut server) = rt.block_on(async {
        let client = TcpStream::connect(addr).await.unwrap();
        (client, listener.accept().await.unwrap().0)
    });
    let handle = rt.handle().clone();
    let mut server = std::thread::spawn(move || {
        handle.block_on(async {
            let mut buf = [0u8; 16];
            assert!(
                server.read(&mut buf).now_or_never().is_none(),
                "nothing sent yet"
            );
        });
        server
    })
    .join()
    .unwrap();
    let got = rt.block_on(async {
        client.write_all(b"after the exit").await.unwrap();
        let mut buf = [0u8; 14];
        server.read_exact(&mut buf).await.unwrap();
        buf
    });
    assert_eq!(&got, b"after the exit");
}

rt_io_test!(
    counters_match_the_work,
    file_operations_are_counted,
    io_from_every_kind_of_thread,
    reads_survive_the_exit_of_the_thread_that_armed_them
);

/// A worker that hands its core away (`block_in_place`) and then does I/O itself through the
/// handle: its submissions go out at once rather than waiting for a flush by the thread that now
/// drives its old ring (which may be asleep).
#[test]
fn io_inside_block_in_place_completes() {
    for backend in [IoBackendPreference::IoUring, IoBackendPreference::Poll] {
        let rt = support::io_runtime(2, backend);
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = rt.spawn(echo_server(listener, 1, 100));
        let done = rt.block_on(async move {
            zokio::spawn(async move {
                zokio::task::block_in_place(|| {
                    zokio::runtime::Handle::current().block_on(echo_client(addr, 100))
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(done, 100);
        rt.block_on(server).unwrap();
    }
}

/// A busy worker finds I/O between its maintenances. With maintenance out of reach
/// (`event_interval` 1,000,000) on a runtime of one worker, a task yielding 20,000 times sends
/// a datagram (a blocking send from inside the task: the kernel has it at once) to a receiver
/// task waiting on the same worker. The receiver must run within 256 of the spinner's polls
/// (the worker checks I/O every 8 to 128 ticks), not once the spinner is done and the worker
/// parks.
#[test]
fn a_busy_worker_finds_io_between_maintenances() {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::Arc;
    const SPINS: u64 = 20_000;
    const SEND_AT: u64 = 1_000;
    for backend in [IoBackendPreference::IoUring, IoBackendPreference::Poll] {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .event_interval(1_000_000)
            .io_backend(backend)
            .build()
            .unwrap();
        let (got, woke_at) = rt.block_on(async {
            let rx = zokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let to = rx.local_addr().unwrap();
            let spins = Arc::new(AtomicU64::new(0));
            let seen = spins.clone();
            let receiver = zokio::spawn(async move {
                let mut buf = [0u8; 16];
                let n = rx.recv(&mut buf).await.unwrap();
                (buf[..n].to_vec(), seen.load(SeqCst))
            });
            let spinner = zokio::spawn(async move {
                let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                for i in 0..SPINS {
                    spins.store(i, SeqCst);
                    if i == SEND_AT {
                        assert_eq!(tx.send_to(b"ping", to).unwrap(), 4);
                    }
                    zokio::task::yield_now().await;
                }
            });
            let got = receiver.await.unwrap();
            spinner.await.unwrap();
            got
        });
        assert_eq!(got, b"ping", "{backend:?}");
        let late = woke_at - SEND_AT;
        assert!(
            late <= 256,
            "{backend:?}: the receiver ran {late} spins after the datagram arrived"
        );
    }
}

/// io_uring: a flush that leaves a send in flight waits for nothing and registers nothing: the
/// send's completion must not poll the writing task again (an HTTP server flushes after every
/// response, and such a wake polled it once more per response for nothing). Current-thread,
/// tasks run in the order they were woken: the reader of the bytes is woken by a completion
/// reaped with or after the send's, so a task woken by the send would run before the reader
/// gets past its yield. (On the poll backend writes are system calls and a flush has nothing
/// in flight; its first write may wait for the socket's first readiness event, a real wait.)
#[test]
fn a_flush_with_a_send_in_flight_does_not_wake_the_writer_later() {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{Context, Poll};

    /// Counts the polls of the future it wraps.
    struct Counted<F>(Arc<AtomicU64>, Pin<Box<F>>);
    impl<F: Future> Future for Counted<F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.0.fetch_add(1, SeqCst);
            self.1.as_mut().poll(cx)
        }
    }

    let rt = Builder::new_current_thread()
        .enable_all()
        .io_backend(IoBackendPreference::IoUring)
        .build()
        .unwrap();
    assert_eq!(rt.handle().io_backend().backend, IoBackend::IoUring);
    let (before_release, total) = rt.block_on(async {
        zokio::spawn(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut peer = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut stream, _) = listener.accept().await.unwrap();
            let (release, released) = zokio::sync::oneshot::channel::<()>();
            let polls = Arc::new(AtomicU64::new(0));
            let writer = zokio::spawn(Counted(
                polls.clone(),
                Box::pin(async move {
                    stream.write_all(b"flushed").await.unwrap();
                    stream.flush().await.unwrap();
                    released.await.unwrap();
                }),
            ));
            let mut got = [0u8; 7];
            peer.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"flushed");
            zokio::task::yield_now().await;
            let before_release = polls.load(SeqCst);
            release.send(()).unwrap();
            writer.await.unwrap();
            (before_release, polls.load(SeqCst))
        })
        .await
        .unwrap()
    });
    assert_eq!((before_release, total), (1, 2));
}
