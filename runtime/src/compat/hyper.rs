//! hyper 1.x on zokio: an [`Executor`](ZokioExecutor) that spawns hyper's background tasks, a
//! [`Timer`](ZokioTimer) for its timeouts, and [`ZokioIo`], which gives a zokio stream hyper's
//! `Read`/`Write` traits (and a hyper stream zokio's).
//!
//! ```no_run
//! use hyper::server::conn::http1;
//! use zokio::compat::hyper::{ZokioIo, ZokioTimer};
//!
//! # async fn serve(listener: zokio::net::TcpListener) -> std::io::Result<()> {
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     zokio::spawn(async move {
//!         let service = hyper::service::service_fn(|_req| async {
//!             Ok::<_, std::convert::Infallible>(hyper::Response::new(String::from("hello")))
//!         });
//!         let _ = http1::Builder::new()
//!             .timer(ZokioTimer::new())
//!             .serve_connection(ZokioIo::new(stream), service)
//!             .await;
//!     });
//! }
//! # }
//! ```

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

/// Spawns hyper's background tasks (HTTP/2 connection drivers, client connections) on the
/// current zokio runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZokioExecutor;

impl ZokioExecutor {
    /// An executor for the runtime of whichever task calls it.
    pub fn new() -> ZokioExecutor {
        ZokioExecutor
    }
}

impl<F> hyper::rt::Executor<F> for ZokioExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        crate::spawn(fut);
    }
}

/// hyper's timer on zokio's: header-read timeouts, keep-alive pings and the like.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZokioTimer;

impl ZokioTimer {
    /// A timer on the current zokio runtime.
    pub fn new() -> ZokioTimer {
        ZokioTimer
    }
}

pin_project! {
    struct ZokioSleep {
        #[pin]
        inner: crate::time::Sleep,
    }
}

impl Future for ZokioSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl hyper::rt::Sleep for ZokioSleep {}

impl hyper::rt::Timer for ZokioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ZokioSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ZokioSleep {
            inner: crate::time::sleep_until(deadline.into()),
        })
    }
}

pin_project! {
    /// Wraps a zokio stream for hyper (`hyper::rt::Read`/`Write`), or a hyper stream (such as
    /// an upgraded connection) for zokio (`AsyncRead`/`AsyncWrite`).
    #[derive(Debug)]
    pub struct ZokioIo<T> {
        #[pin]
        inner: T,
    }
}

impl<T> ZokioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> ZokioIo<T> {
        ZokioIo { inner }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> hyper::rt::Read for ZokioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: zokio's readers only write initialized bytes into the unfilled part.
        let n = unsafe {
            let mut rb = ReadBuf::uninit(buf.as_mut());
            ready!(self.project().inner.poll_read(cx, &mut rb))?;
            rb.filled().len()
        };
        // SAFETY: the read filled (initialized) `n` bytes of the cursor.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for ZokioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

impl<T: hyper::rt::Read> AsyncRead for ZokioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: hyper's readers only write initialized bytes into the cursor's memory.
        let unfilled = unsafe { buf.unfilled_mut() };
        let mut hbuf = hyper::rt::ReadBuf::uninit(unfilled);
        ready!(self.project().inner.poll_read(cx, hbuf.unfilled()))?;
        let n = hbuf.filled().len();
        // SAFETY: `n` bytes of the unfilled part were written.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: hyper::rt::Write> AsyncWrite for ZokioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(self.project().inner, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(self.project().inner, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(self.project().inner, cx)
    }
}
