//! [`ToSocketAddrs`] and [`lookup_host`]: address resolution that never blocks a worker.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;

/// Anything that names one or more socket addresses: a `SocketAddr`, an `(ip, port)` pair, a
/// `"host:port"` string or a `(host, port)` pair. Host names are resolved on the blocking pool.
///
/// This trait is sealed: it is implemented for the standard address types only.
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::*;

    /// The resolution of an address, ready now or running on the blocking pool.
    pub type Resolve = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

    /// The part of [`ToSocketAddrs`] the crate calls.
    pub trait Sealed {
        /// Resolves to the addresses this names.
        fn resolve(&self) -> Resolve;
    }
}

use sealed::{Resolve, Sealed};

fn ready(addrs: Vec<SocketAddr>) -> Resolve {
    Box::pin(std::future::ready(Ok(addrs)))
}

fn blocking(host: String, port: Option<u16>) -> Resolve {
    Box::pin(async move {
        let job = move || match port {
            Some(p) => std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), p)),
            None => std::net::ToSocketAddrs::to_socket_addrs(host.as_str()),
        };
        match crate::task::spawn_blocking(job).await {
            Ok(res) => res.map(Iterator::collect),
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    })
}

macro_rules! ready_addr {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl Sealed for $t {
            fn resolve(&self) -> Resolve {
                ready(vec![SocketAddr::from(*self)])
            }
        }
    )*};
}

ready_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
    ([u8; 4], u16),
    ([u16; 8], u16)
);

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn resolve(&self) -> Resolve {
        match self.parse::<SocketAddr>() {
            Ok(addr) => ready(vec![addr]),
            Err(_) => blocking(self.to_string(), None),
        }
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn resolve(&self) -> Resolve {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => ready(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => blocking(self.0.to_string(), Some(self.1)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).resolve()
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn resolve(&self) -> Resolve {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn resolve(&self) -> Resolve {
        ready(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> Sealed for &T {
    fn resolve(&self) -> Resolve {
        (**self).resolve()
    }
}

/// Resolves `host` (`"name:port"`, or any [`ToSocketAddrs`]) to its socket addresses, on the
/// blocking pool so no worker waits for DNS.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let addrs: Vec<_> = zokio::net::lookup_host("127.0.0.1:80").await.unwrap().collect();
/// assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// # });
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(host.resolve().await?.into_iter())
}

/// Tries `f` on each address in turn; returns the first success or the last error.
pub(crate) async fn each_addr<T, F, Fut>(addr: impl ToSocketAddrs, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for a in addr.resolve().await? {
        match f(a).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
