//! The kinds of I/O operation the driver counts separately.

/// An I/O operation kind, the `op` label of the I/O counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpKind {
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
}

impl OpKind {
    /// Every kind, in label order.
    pub const ALL: [OpKind; 13] = [
        OpKind::Accept,
        OpKind::Connect,
        OpKind::Read,
        OpKind::Write,
        OpKind::Readv,
        OpKind::Writev,
        OpKind::OpenAt,
        OpKind::Close,
        OpKind::Fsync,
        OpKind::Statx,
        OpKind::Timeout,
        OpKind::Cancel,
        OpKind::Poll,
    ];

    /// The number of kinds.
    pub const COUNT: usize = OpKind::ALL.len();

    /// The label value (`accept`, `read`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Accept => "accept",
            OpKind::Connect => "connect",
            OpKind::Read => "read",
            OpKind::Write => "write",
            OpKind::Readv => "readv",
            OpKind::Writev => "writev",
            OpKind::OpenAt => "openat",
            OpKind::Close => "close",
            OpKind::Fsync => "fsync",
            OpKind::Statx => "statx",
            OpKind::Timeout => "timeout",
            OpKind::Cancel => "cancel",
            OpKind::Poll => "poll",
        }
    }

    /// Position in [`OpKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
