//! Shared fixtures: the scheduler flavors every runtime test runs over, and counting futures.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use zokio::runtime::{Builder, Runtime};

/// Builds a runtime of one flavor.
pub type MakeRuntime = fn() -> Runtime;

/// The flavors: current-thread, multi-thread with one worker, multi-thread with four.
pub const FLAVORS: [(&str, MakeRuntime); 3] = [
    ("current_thread", || {
        Builder::new_current_thread().build().unwrap()
    }),
    ("multi_thread_1", || {
        Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap()
    }),
    ("multi_thread_4", || {
        Builder::new_multi_thread()
            .worker_threads(4)
            .build()
            .unwrap()
    }),
];

/// Builds a runtime of one flavor on one I/O backend; the io_uring flavors insist on io_uring
/// (a fallback would silently test the poll backend twice).
pub fn io_runtime(flavor: usize, backend: zokio::io::IoBackendPreference) -> Runtime {
    use zokio::io::{IoBackend, IoBackendPreference};
    let mut b = match flavor {
        0 => Builder::new_current_thread(),
        n => {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(if n == 1 { 1 } else { 4 });
            b
        }
    };
    let rt = b.io_backend(backend).build().unwrap();
    if backend == IoBackendPreference::IoUring {
        let choice = rt.handle().io_backend();
        assert_eq!(
            choice.backend,
            IoBackend::IoUring,
            "io_uring unavailable: {}",
            choice.reason
        );
    }
    rt
}

/// Generates one `#[test]` per scheduler flavor and I/O backend for each listed function
/// `fn name(rt: Runtime)`.
#[macro_export]
macro_rules! rt_io_test {
    ($($name:ident),* $(,)?) => {
        $crate::rt_io_test!(@mod uring_current_thread, 0, IoUring; $($name),*);
        $crate::rt_io_test!(@mod uring_multi_thread_1, 1, IoUring; $($name),*);
        $crate::rt_io_test!(@mod uring_multi_thread_4, 4, IoUring; $($name),*);
        $crate::rt_io_test!(@mod poll_current_thread, 0, Poll; $($name),*);
        $crate::rt_io_test!(@mod poll_multi_thread_1, 1, Poll; $($name),*);
        $crate::rt_io_test!(@mod poll_multi_thread_4, 4, Poll; $($name),*);
    };
    (@mod $m:ident, $flavor:expr, $backend:ident; $($name:ident),*) => {
        mod $m {
            $( #[test] fn $name() {
                super::$name(super::support::io_runtime(
                    $flavor,
                    zokio::io::IoBackendPreference::$backend,
                ))
            } )*
        }
    };
}

/// Generates one `#[test]` per flavor for each listed function `fn name(rt: Runtime)`.
#[macro_export]
macro_rules! rt_test {
    ($($name:ident),* $(,)?) => {
        mod current_thread {
            $( #[test] fn $name() { super::$name(super::support::FLAVORS[0].1()) } )*
        }
        mod multi_thread_1 {
            $( #[test] fn $name() { super::$name(super::support::FLAVORS[1].1()) } )*
        }
        mod multi_thread_4 {
            $( #[test] fn $name() { super::$name(super::support::FLAVORS[2].1()) } )*
        }
    };
}

/// Counts how often it was dropped.
#[derive(Clone, Default)]
pub struct DropCounter(pub Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }
    pub fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Adds one to its counter when dropped.
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future that never completes, holding a token.
pub struct Forever(pub DropToken);

impl Future for Forever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// Aborts the whole test process with a message if not dropped within `secs` seconds: a hang
/// fails the run instead of stalling CI.
pub struct Watchdog {
    done: Option<std::sync::mpsc::Sender<()>>,
}

impl Watchdog {
    pub fn new(name: &'static str, secs: u64) -> Watchdog {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name(format!("watchdog-{name}"))
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    rx.recv_timeout(std::time::Duration::from_secs(secs))
                {
                    eprintln!(
                        "WATCHDOG: test `{name}` still running after {secs} s: hung; aborting"
                    );
                    std::process::abort();
                }
            })
            .unwrap();
        Watchdog { done: Some(tx) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
    }
}

/// Polls the runtime's metrics until `ready` holds (workers publish their counters every
/// `event_interval` ticks and when they park), for at most 10 s; panics with the last snapshot
/// otherwise.
pub fn settled_metrics(
    rt: &Runtime,
    what: &str,
    ready: impl Fn(&zokio::runtime::RuntimeMetrics) -> bool,
) -> zokio::runtime::RuntimeMetrics {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let m = rt.metrics();
        if ready(&m) {
            return m;
        }
        if std::time::Instant::now() > deadline {
            panic!("metrics never reached `{what}` within 10 s: {m:#?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// `n` scaled down by `div` in debug builds (the spec count is kept in release).
pub const fn scaled(n: usize, div: usize) -> usize {
    if cfg!(debug_assertions) {
        n / div
    } else {
        n
    }
}

/// The path of an external tool, or `None` with a printed reason when it is missing; fails
/// instead when `ZOKIO_REQUIRE_E2E=1` (CI installs every tool).
pub fn require_tool(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        let msg = format!("{name} is not installed");
        if std::env::var("ZOKIO_REQUIRE_E2E").as_deref() == Ok("1") {
            panic!("{msg} and ZOKIO_REQUIRE_E2E=1");
        }
        eprintln!("skipped: {msg}");
    }
    found
}

/// Polls `poll` to completion, sending on `waiting` once, the first time it is pending: the
/// test then knows the task is registered as waiting (no sleeping to hope it is).
pub async fn tell_when_waiting<T>(
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
    waiting: zokio::sync::mpsc::UnboundedSender<()>,
) -> T {
    let mut waiting = Some(waiting);
    std::future::poll_fn(|cx| {
        let r = poll(cx);
        if r.is_pending() {
            if let Some(tx) = waiting.take() {
                tx.send(()).unwrap();
            }
        }
        r
    })
    .await
}

/// Writes all of `bytes` with `writable()` + `try_write` (retrying after `WouldBlock`).
pub async fn try_write_all<F: Future<Output = std::io::Result<()>>>(
    mut writable: impl FnMut() -> F,
    mut try_write: impl FnMut(&[u8]) -> std::io::Result<usize>,
    bytes: &[u8],
) {
    let mut sent = 0;
    while sent < bytes.len() {
        writable().await.unwrap();
        match try_write(&bytes[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("try_write: {e}"),
        }
    }
}

/// Reads `n` bytes with `readable()` + `try_read` (retrying after `WouldBlock`); fails if
/// `readable()` does not fire within 10 s.
pub async fn try_read_n<F: Future<Output = std::io::Result<()>>>(
    mut readable: impl FnMut() -> F,
    mut try_read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    n: usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < n {
        zokio::time::timeout(std::time::Duration::from_secs(10), readable())
            .await
            .expect("readable() never fired")
            .unwrap();
        match try_read(&mut buf) {
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("try_read: {e}"),
        }
    }
    got
}
