//! Which I/O backend a runtime runs on and why: decided in exactly one place, [`select`].
//!
//! io_uring is used unless it is unsupported (`ENOSYS`), denied (`EPERM`, from a seccomp profile
//! or `kernel.io_uring_disabled`), short of locked memory (`ENOMEM`), lacks a feature or opcode
//! the driver needs, or the user asked for readiness polling (`ZOKIO_IO=poll` or
//! `Builder::io_backend`). The choice is logged once per process to stderr when it is a fallback
//! and is always readable through `Handle::io_backend()`.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// The I/O backend a runtime's driver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoBackend {
    /// Completion-based I/O through a Linux io_uring instance.
    IoUring,
    /// Readiness-based I/O through epoll (the `mio` crate), with non-blocking system calls.
    Poll,
}

impl IoBackend {
    /// The backend's short name (`io_uring` or `poll`), as shown by telemetry.
    pub fn as_str(self) -> &'static str {
        match self {
            IoBackend::IoUring => "io_uring",
            IoBackend::Poll => "poll",
        }
    }
}

impl fmt::Display for IoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the builder asks for; `Auto` (the default) prefers io_uring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IoBackendPreference {
    /// io_uring where it works, readiness polling otherwise (`ZOKIO_IO=poll` forces polling).
    #[default]
    Auto,
    /// io_uring; falls back to polling (with the reason) where it cannot be set up.
    IoUring,
    /// Readiness polling, whatever the kernel offers.
    Poll,
}

/// The backend a runtime chose and the reason, as `Handle::io_backend()` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoBackendChoice {
    /// The backend in use.
    pub backend: IoBackend,
    /// Why: `"io_uring available"`, or what made the driver fall back to polling.
    pub reason: String,
}

impl fmt::Display for IoBackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.backend, self.reason)
    }
}

/// Inputs of the decision: the builder's preference and a setup error injected by tests.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Selection {
    pub(crate) preference: IoBackendPreference,
    pub(crate) inject_setup_errno: Option<i32>,
}

/// Why a forced poll backend was chosen, if the environment or builder forces it.
fn forced_poll(preference: IoBackendPreference) -> Option<String> {
    if preference == IoBackendPreference::Poll {
        return Some("poll requested by Builder::io_backend".into());
    }
    let env = std::env::var("ZOKIO_IO").ok()?;
    match (env.as_str(), preference) {
        ("poll", IoBackendPreference::Auto) => Some("ZOKIO_IO=poll".into()),
        _ => None,
    }
}

/// Describes an io_uring setup error the way an operator would want to read it.
pub(crate) fn describe_setup_error(err: &io::Error) -> String {
    let hint = match err.raw_os_error() {
        Some(libc::ENOSYS) => "io_uring is not supported by this kernel (ENOSYS)",
        Some(libc::EPERM) => {
            "io_uring is denied (EPERM: a seccomp profile or kernel.io_uring_disabled)"
        }
        Some(libc::ENOMEM) => "io_uring could not lock memory for its rings (ENOMEM)",
        Some(libc::EINVAL) => "io_uring rejected the setup parameters (EINVAL: kernel too old)",
        _ => return format!("io_uring setup failed: {err}"),
    };
    hint.to_string()
}

/// Decides the backend: `Ok(())` means "try io_uring", `Err(reason)` means poll for `reason`.
pub(crate) fn wants_io_uring(selection: &Selection) -> Result<(), String> {
    if let Some(reason) = forced_poll(selection.preference) {
        return Err(reason);
    }
    if !cfg!(target_os = "linux") {
        return Err("io_uring exists only on Linux".into());
    }
    Ok(())
}

/// Logs a fallback once per process (the reason stays readable through the handle).
pub(crate) fn log_choice(choice: &IoBackendChoice) {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    let explicit = choice.reason.contains("ZOKIO_IO") || choice.reason.contains("Builder");
    if choice.backend == IoBackend::Poll && !explicit && !LOGGED.swap(true, Relaxed) {
        eprintln!("zokio: I/O backend {choice}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_errors_are_named() {
        let name = |e| describe_setup_error(&io::Error::from_raw_os_error(e));
        assert!(name(libc::ENOSYS).contains("ENOSYS"));
        assert!(name(libc::EPERM).contains("io_uring_disabled"));
        assert!(name(libc::ENOMEM).contains("ENOMEM"));
    }

    #[test]
    fn builder_preference_forces_poll() {
        let s = Selection {
            preference: IoBackendPreference::Poll,
            inject_setup_errno: None,
        };
        assert_eq!(
            wants_io_uring(&s),
            Err("poll requested by Builder::io_backend".into())
        );
    }
}
