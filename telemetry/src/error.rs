//! What can go wrong when reading a segment.

use std::fmt;
use std::io;

/// A reader's error. Every message says what was found and what it means for the user.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The file is not a Zokio telemetry segment (or its writer has not finished creating it).
    NotZokio,
    /// The segment belongs to another user.
    PermissionDenied {
        /// The uid that owns the file.
        owner: u32,
    },
    /// The file lets group or others in, so its contents cannot be trusted.
    Insecure {
        /// The file's permission bits.
        mode: u32,
    },
    /// The process has exited (or its pid now names another process).
    Gone,
    /// The segment's ABI major version is not the one this reader reads.
    VersionMismatch {
        /// The version the segment declares, `(major, minor)`.
        found: (u32, u32),
        /// The major version this reader reads (any minor of it).
        supported: u32,
    },
    /// The segment is inconsistent; the text says where.
    Corrupt(String),
    /// An I/O error opening or checking the file.
    Io(io::Error),
}

/// A reader's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotZokio => f.write_str(
                "not a Zokio telemetry segment (no magic number: another kind of file, or a runtime still starting up)",
            ),
            Error::PermissionDenied { owner } => write!(
                f,
                "the segment belongs to uid {owner}: only that user (or root) may attach to it"
            ),
            Error::Insecure { mode } => write!(
                f,
                "the segment file has mode {mode:o}: other users could have written it, so it is not trusted (expected 600)"
            ),
            Error::Gone => f.write_str("the process has exited"),
            Error::VersionMismatch { found: (major, minor), supported } => write!(
                f,
                "the segment uses telemetry ABI {major}.{minor}, but this tool reads ABI {supported}.x only: use a tool built with a matching zokio-telemetry"
            ),
            Error::Corrupt(what) => write!(f, "the segment is corrupt: {what}"),
            Error::Io(e) => write!(f, "cannot read the segment: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::NotFound {
            Error::Gone
        } else {
            Error::Io(e)
        }
    }
}

/// A [`Error::Corrupt`] with a formatted message.
macro_rules! corrupt {
    ($($arg:tt)*) => { $crate::error::Error::Corrupt(format!($($arg)*)) };
}
pub(crate) use corrupt;

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_was_found() {
        let v = Error::VersionMismatch {
            found: (2, 1),
            supported: 1,
        };
        assert!(v.to_string().contains("ABI 2.1") && v.to_string().contains("ABI 1.x"));
        assert!(Error::PermissionDenied { owner: 1000 }
            .to_string()
            .contains("uid 1000"));
        assert!(Error::Insecure { mode: 0o644 }
            .to_string()
            .contains("mode 644"));
        let gone: Error = io::Error::from(io::ErrorKind::NotFound).into();
        assert!(matches!(gone, Error::Gone));
    }
}
