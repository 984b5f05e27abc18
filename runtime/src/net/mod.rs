//! Networking: TCP, UDP and Unix-domain sockets on the runtime's I/O driver, with tokio's names.
//!
//! On io_uring, stream reads and writes and accepts are io_uring operations; on the poll
//! backend they are non-blocking system calls driven by epoll readiness. The API is the same.

mod acceptor;
mod addr;
mod io_source;
pub(crate) mod split;
mod stream_core;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
