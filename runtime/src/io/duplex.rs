//! [`duplex`]: a pair of connected in-memory streams, like a socket pair without the kernel.
//!
//! # Protocol
//!
//! Each direction is a [`Pipe`] behind a `std::sync::Mutex`: a byte queue of at most `max`
//! bytes, two closed flags and two waker slots. Every field is read and written only under the
//! lock, and the lock is held for one poll's worth of copying, never across an `.await`. No code
//! holds both pipes' locks at once (the two ends would take them in opposite orders).
//!
//! - The reader takes bytes if there are any, else reports end of stream if `write_closed`, else
//!   stores its waker in `read_waker` and returns `Pending`.
//! - The writer fails with `BrokenPipe` if either side closed; otherwise it appends what fits
//!   (at most `max - len` bytes), or stores its waker in `write_waker` and returns `Pending`
//!   when the queue is full (back-pressure).
//! - Whoever changes what the other side waits for (bytes added, room made, a side closed) takes
//!   the other side's waker out under the lock and wakes it after unlocking.
//!
//! A [`DuplexStream`] closes its write pipe's write side on `shutdown` or drop, and its read
//! pipe's read side on drop.

use super::{AsyncRead, AsyncWrite, ReadBuf};
use crate::runtime::coop;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};

/// One end of an in-memory byte stream pair made by [`duplex`]: bytes written to one end are
/// read from the other, in both directions.
///
/// Reading returns end of stream once the peer has shut its write side down or been dropped and
/// every byte it wrote has been read. Writing fails with `BrokenPipe` once the peer is dropped
/// (or after this end's own `shutdown`). Also implements the futures-io traits, and tokio's with
/// feature `tokio-compat`.
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

/// Makes a connected pair of in-memory streams; each direction buffers at most `max_buf_size`
/// bytes, after which writes wait until the other end reads (back-pressure). A `max_buf_size`
/// of 0 makes every non-empty write wait forever.
///
/// ```
/// use zokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (mut client, mut server) = zokio::io::duplex(64);
/// client.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// server.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// drop(client);
/// assert_eq!(server.read(&mut buf).await.unwrap(), 0);
/// # });
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let a = DuplexStream {
        read: Arc::clone(&one),
        write: Arc::clone(&two),
    };
    (
        a,
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

/// One direction of a duplex pair (see the module's protocol).
struct Pipe {
    buf: VecDeque<u8>,
    max: usize,
    read_closed: bool,
    write_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    pipe.lock().unwrap_or_else(PoisonError::into_inner)
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

/// Stores `cx`'s waker in `slot` unless an equivalent one is there already.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

impl Pipe {
    fn new(max: usize) -> Pipe {
        Pipe {
            buf: VecDeque::new(),
            max,
            read_closed: false,
            write_closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    /// Moves queued bytes into `dst`; returns the writer's waker if room was made.
    fn poll_read(&mut self, cx: &Context<'_>, dst: &mut ReadBuf<'_>) -> Poll<Option<Waker>> {
        if dst.remaining() == 0 || (self.buf.is_empty() && self.write_closed) {
            return Poll::Ready(None);
        }
        if self.buf.is_empty() {
            register(&mut self.read_waker, cx);
            return Poll::Pending;
        }
        let n = self.buf.len().min(dst.remaining());
        let (front, back) = self.buf.as_slices();
        let from_front = n.min(front.len());
        dst.put_slice(&front[..from_front]);
        dst.put_slice(&back[..n - from_front]);
        self.buf.drain(..n);
        Poll::Ready(self.write_waker.take())
    }

    /// Room left, `Pending` (waker stored) if none, or `BrokenPipe` if a side closed.
    fn poll_room(&mut self, cx: &Context<'_>) -> Poll<io::Result<usize>> {
        if self.read_closed || self.write_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let room = self.max.saturating_sub(self.buf.len());
        if room == 0 {
            register(&mut self.write_waker, cx);
            return Poll::Pending;
        }
        Poll::Ready(Ok(room))
    }

    /// Appends what fits of `bufs`; returns the count and the reader's waker.
    fn poll_write(
        &mut self,
        cx: &Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<(usize, Option<Waker>)>> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(Ok((0, None)));
        }
        let mut room = ready!(self.poll_room(cx))?;
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(room);
            self.buf.extend(&b[..take]);
            (n, room) = (n + take, room - take);
        }
        Poll::Ready(Ok((n, self.read_waker.take())))
    }

    /// The writer is gone or shut down: the reader sees end of stream after the queued bytes.
    fn close_write(&mut self) -> Option<Waker> {
        self.write_closed = true;
        self.read_waker.take()
    }

    /// The reader is gone: writes fail from now on.
    fn close_read(&mut self) -> Option<Waker> {
        self.read_closed = true;
        self.buf = VecDeque::new();
        self.write_waker.take()
    }
}

impl DuplexStream {
    fn poll_write_bufs(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        coop::poll_budgeted(cx, |cx| {
            let res = ready!(lock(&self.write).poll_write(cx, bufs));
            Poll::Ready(res.map(|(n, waker)| {
                wake(waker);
                n
            }))
        })
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        coop::poll_budgeted(cx, |cx| {
            let waker = ready!(lock(&self.read).poll_read(cx, buf));
            wake(waker);
            Poll::Ready(Ok(()))
        })
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let waker = lock(&self.write).close_write();
        wake(waker);
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One lock at a time: the peer locks the same two pipes in the other order.
        let readable = lock(&self.read).buf.len();
        let write_queued = lock(&self.write).buf.len();
        f.debug_struct("DuplexStream")
            .field("readable", &readable)
            .field("write_queued", &write_queued)
            .finish()
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        let reader = lock(&self.write).close_write();
        wake(reader);
        let writer = lock(&self.read).close_read();
        wake(writer);
    }
}

crate::io::impl_compat_traits!(DuplexStream);
