//! [`NativeStream`]: a connected stream socket read and written with io_uring `RECV` and `SEND`.
//!
//! The kernel never sees the caller's buffer: a read lands in the stream's own buffer and is
//! copied out, so dropping a read future mid-flight cannot let the kernel write into freed memory.
//! Writes are accepted into an owned buffer and sent in the background, one send in flight at a
//! time (short sends are resubmitted until the buffer is gone); the next write, flush or shutdown
//! waits for it and reports its error. A stream dropped with a send in flight lets it finish
//! (the descriptor stays open until then); a read in flight is cancelled.

use super::op::{Op, OpData};
use super::Uring;
use crate::io::driver::OpKind;
use crate::io::ReadBuf;
use io_uring::{opcode, types};
use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

/// Largest single receive or send.
const MAX_CHUNK: usize = 64 * 1024;
/// Smallest receive buffer.
const MIN_RECV: usize = 4 * 1024;

struct Buf {
    _fd: Arc<OwnedFd>,
    bytes: Vec<u8>,
    done: usize,
}

impl OpData for Buf {}

#[derive(Default)]
struct ReadSide {
    op: Option<Op<Buf>>,
    spare: Vec<u8>,
    start: usize,
    end: usize,
}

#[derive(Default)]
struct WriteSide {
    op: Option<Op<Buf>>,
    spare: Vec<u8>,
    error: Option<io::Error>,
}

/// A stream socket on io_uring.
pub(crate) struct NativeStream {
    ring: Arc<Uring>,
    fd: Arc<OwnedFd>,
    read: Mutex<ReadSide>,
    write: Mutex<WriteSide>,
}

impl NativeStream {
    pub(crate) fn new(ring: Arc<Uring>, fd: Arc<OwnedFd>) -> NativeStream {
        NativeStream {
            ring,
            fd,
            read: Mutex::default(),
            write: Mutex::default(),
        }
    }

    /// Reads what is available into `out`; empty means end of stream.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut r = self.read.lock().unwrap();
        loop {
            if r.start < r.end {
                let n = (r.end - r.start).min(out.remaining());
                out.put_slice(&r.spare[r.start..r.start + n]);
                r.start += n;
                return Poll::Ready(Ok(()));
            }
            if let Some(op) = r.op.as_mut() {
                let (cqe, mut buf) = ready!(op.poll_complete(cx));
                r.op = None;
                let n = match cqe.into_result() {
                    Ok(n) => n as usize,
                    Err(e) => {
                        r.spare = buf.bytes;
                        return Poll::Ready(Err(e));
                    }
                };
                // SAFETY: the kernel wrote `n` bytes at the start of the buffer's capacity.
                unsafe { buf.bytes.set_len(n) };
                (r.spare, r.start, r.end) = (buf.bytes, 0, n);
                if n == 0 {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            if out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let size = out.remaining().clamp(MIN_RECV, MAX_CHUNK);
            r.op = Some(self.submit_recv(std::mem::take(&mut r.spare), size)?);
        }
    }

    fn submit_recv(&self, mut bytes: Vec<u8>, size: usize) -> io::Result<Op<Buf>> {
        bytes.clear();
        bytes.reserve(size);
        let data = Buf {
            _fd: self.fd.clone(),
            bytes,
            done: 0,
        };
        let fd = types::Fd(self.fd.as_raw_fd());
        Op::submit(&self.ring, OpKind::Read, data, |b| {
            let cap = b.bytes.capacity().min(u32::MAX as usize) as u32;
            opcode::Recv::new(fd, b.bytes.as_mut_ptr(), cap).build()
        })
    }

    /// Accepts up to 64 KiB of `bufs` into the stream's send buffer once the previous send is done.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut w = self.write.lock().unwrap();
        ready!(self.poll_idle(&mut w, cx))?;
        let mut bytes = std::mem::take(&mut w.spare);
        bytes.clear();
        for b in bufs {
            let room = MAX_CHUNK - bytes.len();
            bytes.extend_from_slice(&b[..b.len().min(room)]);
        }
        let n = bytes.len();
        if n > 0 {
            w.op = Some(self.submit_send(Buf {
                _fd: self.fd.clone(),
                bytes,
                done: 0,
            })?);
        }
        Poll::Ready(Ok(n))
    }

    /// Like [`NativeStream::poll_write_vectored`] with one buffer.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn submit_send(&self, data: Buf) -> io::Result<Op<Buf>> {
        let fd = types::Fd(self.fd.as_raw_fd());
        Op::submit(&self.ring, OpKind::Write, data, |b| {
            let rest = &b.bytes[b.done..];
            opcode::Send::new(fd, rest.as_ptr(), rest.len() as u32)
                .flags(libc::MSG_NOSIGNAL)
                .build()
        })
    }

    /// Waits until the background send is done; returns its error, if any.
    fn poll_idle(&self, w: &mut WriteSide, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(op) = w.op.as_mut() {
            let (cqe, mut buf) = ready!(op.poll_complete(cx));
            w.op = None;
            match cqe.into_result() {
                Ok(0) => w.error = Some(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf.done += n as usize,
                Err(e) => w.error = Some(e),
            }
            if w.error.is_none() && buf.done < buf.bytes.len() {
                w.op = Some(self.submit_send(buf)?);
            } else {
                w.spare = buf.bytes;
            }
        }
        Poll::Ready(w.error.take().map_or(Ok(()), Err))
    }

    /// Waits until every accepted byte is sent.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut w = self.write.lock().unwrap();
        self.poll_idle(&mut w, cx)
    }
}

impl Drop for NativeStream {
    fn drop(&mut self) {
        if let Some(op) = self.write.get_mut().unwrap().op.take() {
            op.detach();
        }
    }
}
