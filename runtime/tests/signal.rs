//! `zokio::signal` from the outside: a delivery after `signal()` is received, every listener
//! receives it, deliveries coalesce per listener, a listener created after a delivery does not
//! see it, wake-ups cross threads, `ctrl_c` completes on `SIGINT`, and uncatchable or
//! out-of-range signals are refused.
//!
//! Tests of one binary run in parallel and a signal is process-wide, so each test raises its own
//! signal and no other test touches it. Every test creates its listener before raising: from
//! then on the handler is installed, so the raise cannot terminate the process.
#![cfg(unix)]

mod support;

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use support::Watchdog;
use zokio::signal::unix::{signal, Signal, SignalKind};

fn raise(kind: SignalKind) {
    // SAFETY: every caller created a `Signal` of this kind first, so a handler is installed.
    assert_eq!(unsafe { libc::raise(kind.as_raw_value()) }, 0);
}

/// Whether the next `recv` would complete now (polled once with a no-op waker).
fn ready_now(sig: &mut Signal) -> bool {
    sig.poll_recv(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

/// Polls `fut` exactly once with the current task's context.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

#[zokio::test]
async fn delivery_after_signal_is_received() {
    let _w = Watchdog::new("delivery_after_signal_is_received", 30);
    let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
    assert!(!ready_now(&mut usr1), "nothing delivered yet");
    raise(SignalKind::user_defined1());
    assert_eq!(usr1.recv().await, Some(()));
    assert_eq!(usr1.kind(), SignalKind::user_defined1());
}

/// Two listeners of one signal each receive each delivery, independently: one receiving does
/// not consume it for the other, and dropping one leaves the other working.
#[zokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listener_receives_every_delivery() {
    let _w = Watchdog::new("every_listener_receives_every_delivery", 30);
    let kind = SignalKind::user_defined2();
    let (mut a, mut b) = (signal(kind).unwrap(), signal(kind).unwrap());
    raise(kind);
    assert_eq!(a.recv().await, Some(()));
    assert_eq!(b.recv().await, Some(()));
    raise(kind);
    assert_eq!(b.recv().await, Some(()));
    assert_eq!(a.recv().await, Some(()));
    drop(a);
    raise(kind);
    assert_eq!(b.recv().await, Some(()));
}

/// Deliveries before a `recv` coalesce: after three raises and one `recv` that saw them all (a
/// second listener's `recv` proves the last was dispatched), nothing more is pending.
#[zokio::test]
async fn deliveries_before_recv_coalesce() {
    let _w = Watchdog::new("deliveries_before_recv_coalesce", 30);
    let kind = SignalKind::hangup();
    let mut witness = signal(kind).unwrap();
    let mut sig = signal(kind).unwrap();
    for _ in 0..3 {
        raise(kind);
        assert_eq!(witness.recv().await, Some(())); // this delivery is dispatched
    }
    assert!(ready_now(&mut sig));
    assert!(
        !ready_now(&mut sig),
        "three deliveries were received as one"
    );
}

/// A listener created after a delivery was dispatched does not receive it; it receives the
/// next one.
#[zokio::test]
async fn listener_starts_at_creation() {
    let _w = Watchdog::new("listener_starts_at_creation", 30);
    let kind = SignalKind::window_change();
    let mut early = signal(kind).unwrap();
    raise(kind);
    assert_eq!(early.recv().await, Some(()));
    let mut late = signal(kind).unwrap();
    assert!(
        !ready_now(&mut late),
        "the earlier delivery is not replayed"
    );
    raise(kind);
    assert_eq!(late.recv().await, Some(()));
}

/// A task waiting in `recv` on a worker is woken by the signal thread.
#[zokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_task_is_woken() {
    let _w = Watchdog::new("waiting_task_is_woken", 30);
    let kind = SignalKind::alarm();
    let mut sig = signal(kind).unwrap();
    let (registered_tx, registered_rx) = zokio::sync::oneshot::channel();
    let waiter = zokio::spawn(async move {
        let mut recv = pin!(sig.recv());
        assert!(poll_once(&mut recv).await.is_pending());
        registered_tx.send(()).unwrap();
        recv.await
    });
    registered_rx.await.unwrap();
    raise(kind);
    assert_eq!(waiter.await.unwrap(), Some(()));
}

/// `ctrl_c` completes on a `SIGINT` raised after its first poll.
#[zokio::test]
async fn ctrl_c_completes_on_sigint() {
    let _w = Watchdog::new("ctrl_c_completes_on_sigint", 30);
    let mut ctrl_c = pin!(zokio::signal::ctrl_c());
    assert!(poll_once(&mut ctrl_c).await.is_pending());
    raise(SignalKind::interrupt());
    ctrl_c.await.unwrap();
}

#[test]
fn uncatchable_and_out_of_range_signals_are_refused() {
    for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -1, 1000] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Other, "signal {signum}");
        assert!(err.to_string().contains(&signum.to_string()), "{err}");
    }
}

#[test]
fn signal_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Signal>();
    send_sync::<SignalKind>();
}

#[test]
fn kinds_are_the_libc_numbers() {
    let kinds = [
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::quit(), libc::SIGQUIT),
        (SignalKind::user_defined1(), libc::SIGUSR1),
        (SignalKind::user_defined2(), libc::SIGUSR2),
        (SignalKind::child(), libc::SIGCHLD),
        (SignalKind::pipe(), libc::SIGPIPE),
        (SignalKind::alarm(), libc::SIGALRM),
        (SignalKind::window_change(), libc::SIGWINCH),
        (SignalKind::from_raw(libc::SIGTERM), libc::SIGTERM),
    ];
    for (kind, raw) in kinds {
        assert_eq!(kind.as_raw_value(), raw);
        assert_eq!(SignalKind::from(raw), kind);
    }
}

/// Outside any runtime: a `Signal` is driven by its own thread, not by a runtime.
#[test]
fn works_without_a_runtime() {
    let _w = Watchdog::new("works_without_a_runtime", 30);
    let kind = SignalKind::terminate();
    let mut sig = signal(kind).unwrap();
    raise(kind);
    assert_eq!(futures::executor::block_on(sig.recv()), Some(()));
}
