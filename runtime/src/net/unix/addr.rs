//! [`SocketAddr`]: the address of a Unix-domain socket.

use std::fmt;
use std::path::Path;

/// The address of a Unix-domain socket: a filesystem path, or unnamed.
#[derive(Clone)]
pub struct SocketAddr(pub(crate) socket2::SockAddr);

impl SocketAddr {
    /// The filesystem path, if the socket is bound to one.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.0.as_pathname()
    }

    /// Whether the socket is unnamed (not bound to a path).
    pub fn is_unnamed(&self) -> bool {
        self.0.is_unnamed()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_pathname() {
            Some(p) => write!(f, "{p:?} (pathname)"),
            None => f.write_str("(unnamed)"),
        }
    }
}
