//! Unix-domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

mod addr;
mod datagram;
mod listener;
mod stream;

pub use addr::SocketAddr;
pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, UnixStream, WriteHalf};
