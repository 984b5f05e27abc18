//! The I/O operation kinds, the `op` label of the I/O counters and events.

/// An I/O operation kind, with a stable index: the position of its block in the I/O section and
/// its code in events. Indices a newer writer added decode as [`IoOp::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoOp {
    /// Accepting a connection.
    Accept,
    /// Connecting a socket.
    Connect,
    /// `recv`/`read`: bytes in.
    Read,
    /// `send`/`write`: bytes out.
    Write,
    /// Vectored read.
    Readv,
    /// Vectored write.
    Writev,
    /// Opening a file.
    OpenAt,
    /// Closing a descriptor.
    Close,
    /// Flushing a file to storage.
    Fsync,
    /// File metadata.
    Statx,
    /// A driver timeout.
    Timeout,
    /// Cancelling an operation in flight.
    Cancel,
    /// Waiting for readiness.
    Poll,
    /// An index this version does not know.
    Unknown(u16),
}

impl IoOp {
    /// Every known kind, in index order.
    pub const ALL: [IoOp; 13] = [
        IoOp::Accept,
        IoOp::Connect,
        IoOp::Read,
        IoOp::Write,
        IoOp::Readv,
        IoOp::Writev,
        IoOp::OpenAt,
        IoOp::Close,
        IoOp::Fsync,
        IoOp::Statx,
        IoOp::Timeout,
        IoOp::Cancel,
        IoOp::Poll,
    ];

    /// The number of known kinds: the I/O section of a segment this crate writes has one block each.
    pub const COUNT: usize = IoOp::ALL.len();

    /// The kind with index `index`.
    pub fn from_index(index: u16) -> IoOp {
        IoOp::ALL
            .get(usize::from(index))
            .copied()
            .unwrap_or(IoOp::Unknown(index))
    }

    /// The stable index.
    pub fn index(self) -> u16 {
        match self {
            IoOp::Unknown(i) => i,
            known => IoOp::ALL.iter().position(|&k| k == known).unwrap_or(0) as u16,
        }
    }

    /// The label value (`accept`, `read`, ...; `unknown` for an index this version does not know).
    pub fn as_str(self) -> &'static str {
        const LABELS: [&str; IoOp::COUNT] = [
            "accept", "connect", "read", "write", "readv", "writev", "openat", "close", "fsync",
            "statx", "timeout", "cancel", "poll",
        ];
        LABELS
            .get(usize::from(self.index()))
            .copied()
            .unwrap_or("unknown")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn indices_roundtrip_and_unknown_is_kept() {
        for (i, op) in IoOp::ALL.iter().enumerate() {
            assert_eq!(IoOp::from_index(i as u16), *op);
            assert_eq!(op.index(), i as u16);
        }
        assert_eq!(IoOp::Read.as_str(), "read");
        assert_eq!(IoOp::from_index(99), IoOp::Unknown(99));
        assert_eq!(IoOp::Unknown(99).as_str(), "unknown");
    }
}
