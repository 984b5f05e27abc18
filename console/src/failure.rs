//! Why the console stops: a one-line message for stderr and a distinct exit code per cause.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use zokio_telemetry::Error;

/// The exit codes (also listed by `--help`).
pub mod code {
    /// Any other failure (terminal, I/O).
    pub const OTHER: u8 = 1;
    /// Bad command line (clap's code).
    pub const USAGE: u8 = 2;
    /// No such process, or it is not a Zokio process (publishes no segment).
    pub const NOT_FOUND: u8 = 3;
    /// The process or its segment belongs to another user, or the segment is not private.
    pub const PERMISSION: u8 = 4;
    /// The segment has an ABI major version this console does not read.
    pub const VERSION: u8 = 5;
    /// The process exited while attached.
    pub const EXITED: u8 = 6;
    /// The segment is corrupt.
    pub const CORRUPT: u8 = 7;
}

/// The exit codes as `--help` shows them.
pub const EXIT_CODES: &str = "Exit codes:
  0  success
  1  other failure (terminal, I/O)
  2  usage error
  3  no such process, or not a Zokio process (no telemetry segment)
  4  permission denied (another user's process or segment)
  5  telemetry ABI version mismatch
  6  the process exited while attached
  7  corrupt telemetry segment";

/// A failure: its message and exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code (see [`code`]).
    pub code: u8,
    /// One line for the user.
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Any other failure.
    pub fn other(message: impl fmt::Display) -> Failure {
        Failure::new(code::OTHER, message.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why attaching to `pid` (segments in `dir`) failed with `e`.
pub fn open_failure(pid: u32, dir: &Path, e: Error) -> Failure {
    match e {
        Error::Gone => no_segment(pid, dir),
        Error::NotZokio => Failure::new(
            code::NOT_FOUND,
            format!("process {pid} is not a Zokio process: {e}"),
        ),
        // A directory or file we may not read: say whose process it is, if not ours.
        Error::Io(ref io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            other_user(pid).unwrap_or_else(|| reading_failure(pid, e))
        }
        e => reading_failure(pid, e),
    }
}

/// The refusal for a process of another user (when we are not root), if `pid` is one.
fn other_user(pid: u32) -> Option<Failure> {
    let meta = std::fs::metadata(format!("/proc/{pid}")).ok()?;
    let me = euid();
    (meta.uid() != me && me != 0).then(|| {
        Failure::new(
            code::PERMISSION,
            format!(
                "process {pid} ({}) belongs to uid {}: only that user (or root) can attach to it",
                process_name(pid),
                meta.uid()
            ),
        )
    })
}

/// Why reading the segment of `pid` failed with `e`, after attaching or while opening.
pub fn reading_failure(pid: u32, e: Error) -> Failure {
    let code = match e {
        Error::Gone => return Failure::new(code::EXITED, format!("process {pid} exited")),
        Error::NotZokio => code::NOT_FOUND,
        Error::PermissionDenied { .. } | Error::Insecure { .. } => code::PERMISSION,
        Error::VersionMismatch { .. } => code::VERSION,
        Error::Corrupt(_) => code::CORRUPT,
        _ => code::OTHER,
    };
    Failure::new(code, format!("process {pid}: {e}"))
}

/// No segment for `pid`: no such process, another user's, or not a Zokio process.
fn no_segment(pid: u32, dir: &Path) -> Failure {
    if std::fs::metadata(format!("/proc/{pid}")).is_err() {
        return Failure::new(code::NOT_FOUND, format!("no process with pid {pid}"));
    }
    if let Some(refused) = other_user(pid) {
        return refused;
    }
    let name = process_name(pid);
    Failure::new(
        code::NOT_FOUND,
        format!(
            "process {pid} ({name}) is not a Zokio process: it publishes no telemetry segment in {} \
             (not a Zokio program, ZOKIO_TELEMETRY=off, or still starting)",
            dir.display()
        ),
    )
}

/// The process's name from `/proc/<pid>/comm`, or `?`.
pub fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| "?".into())
}

/// This process's effective uid.
fn euid() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_have_distinct_codes() {
        let dir = Path::new("/nonexistent");
        assert_eq!(
            open_failure(u32::MAX, dir, Error::Gone).code,
            code::NOT_FOUND
        );
        let own = open_failure(std::process::id(), dir, Error::Gone);
        assert_eq!(own.code, code::NOT_FOUND);
        assert!(own.message.contains("is not a Zokio process"), "{own}");
        let v = reading_failure(
            7,
            Error::VersionMismatch {
                found: (2, 0),
                supported: 1,
            },
        );
        assert_eq!(v.code, code::VERSION);
        assert!(
            v.message.contains("ABI 2.0") && v.message.contains("ABI 1.x"),
            "{v}"
        );
        assert_eq!(
            reading_failure(7, Error::Gone),
            Failure::new(code::EXITED, "process 7 exited")
        );
        let p = reading_failure(7, Error::PermissionDenied { owner: 0 });
        assert_eq!(p.code, code::PERMISSION);
    }
}
