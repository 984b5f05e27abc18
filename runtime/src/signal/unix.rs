//! Unix signals: [`signal`] returns a [`Signal`] stream for one [`SignalKind`].

use super::registry::Listener;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

/// Which signal to listen to: a signal number, with constructors for the usual ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal by its number (`libc::SIG*`).
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// `SIGINT`: the terminal's interrupt key (Ctrl-C).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: a polite request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal went away; daemons often take it as "reload configuration".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`: the terminal's quit key (Ctrl-\).
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGUSR1`: left to the application.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: left to the application.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGALRM`: a timer set with `alarm(2)` expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for libc::c_int {
    fn from(kind: SignalKind) -> libc::c_int {
        kind.0
    }
}

/// Starts listening to `kind`: deliveries from now on are received by the returned [`Signal`].
///
/// The first call for a signal installs a process-wide handler that stays for the life of the
/// process: the signal's default action (such as terminating on `SIGINT`) no longer happens,
/// even after every `Signal` is dropped. Works with or without a runtime.
///
/// # Errors
/// For signals that cannot be caught safely (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`,
/// `SIGSEGV`), numbers out of range, and failures to set up the handler.
///
/// ```
/// use zokio::signal::unix::{signal, SignalKind};
///
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
/// // SAFETY: raising a signal that now has a handler.
/// unsafe { libc::raise(libc::SIGUSR2) };
/// assert_eq!(usr2.recv().await, Some(()));
/// # });
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    Ok(Signal {
        listener: Listener::new(kind.0)?,
        kind,
    })
}

/// A stream of deliveries of one signal, created by [`signal`].
///
/// Deliveries between two `recv` calls coalesce: several before a `recv` may yield a single
/// `Some(())`. None is ever lost for a listener: a delivery after [`signal`] returned is seen by
/// the next `recv`. Each `Signal` receives every delivery independently of the others.
pub struct Signal {
    listener: Listener,
    kind: SignalKind,
}

impl Signal {
    /// Waits for the next delivery. Always `Some(())`: signal handling never shuts down (the
    /// `Option` keeps tokio's signature). Cancel safe.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery; the task is woken when one happens.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll_recv(cx).map(Some)
    }

    /// The signal this stream receives.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}
