//! [`NativeStream`]: a connected stream socket read and written with io_uring `RECV` and `SEND`.
//!
//! The kernel never sees the caller's buffer: a read lands in a buffer the driver owns and is
//! copied out, so dropping a read future mid-flight cannot let the kernel write into freed memory.
//! Where the kernel has provided-buffer rings (5.19+), one multishot `RECV` stays armed per
//! stream and each completion names the ring buffer holding the data, given back once copied
//! out; when the ring runs dry (`ENOBUFS`) a single-shot receive into the stream's own buffer
//! keeps the reader moving.
//! Writes are accepted into the buffer of the stream's send cell (`send.rs`: one for the
//! stream's life) and sent in the background, one send in flight at a time (short sends are
//! resubmitted until the buffer is gone); the next write or the shutdown waits for it, and the
//! next write, flush or shutdown reports its error. A stream dropped with a send in flight lets
//! it finish (the cell keeps the buffer and the descriptor until then); a read in flight is
//! cancelled.

use super::buf_ring::{BufRing, BGID};
use super::op::{Cqe, Op, OpData};
use super::send::SendCell;
use super::{Rings, Uring};
use crate::io::driver::OpKind;
use crate::io::ReadBuf;
use io_uring::{cqueue, opcode, types};
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, OwnedFd};
use std::ptr;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll, Waker};

/// Largest single receive or send.
const MAX_CHUNK: usize = 64 * 1024;
/// Smallest receive buffer.
const MIN_RECV: usize = 4 * 1024;

/// What a single-shot receive keeps alive: the socket, and the buffer the kernel writes into.
struct Buf {
    _fd: Arc<OwnedFd>,
    bytes: Vec<u8>,
}

impl OpData for Buf {}

/// What a multishot receive keeps alive: the socket, and the ring to give buffers back to when
/// completions arrive after the stream is gone.
struct RecvMulti {
    _fd: Arc<OwnedFd>,
    ring: Arc<Uring>,
}

impl OpData for RecvMulti {
    fn orphaned(&mut self, cqe: Cqe) {
        if let (Some(bid), Some(br)) = (cqueue::buffer_select(cqe.flags), self.ring.buf_ring()) {
            br.taken();
            br.give_back(bid);
        }
    }
}

#[derive(Default)]
struct ReadSide {
    /// The ring the multishot receive is armed on, and whose buffer `current` names.
    ring: Option<Arc<Uring>>,
    /// The armed multishot receive.
    multi: Option<Op<RecvMulti>>,
    /// A ring buffer being copied out: id, position, length.
    current: Option<(u16, usize, usize)>,
    /// A single-shot receive into `spare`.
    op: Option<Op<Buf>>,
    spare: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// An error a wait for readability met, reported by the next read after the bytes before it.
    error: Option<io::Error>,
}

#[derive(Default)]
struct WriteSide {
    /// The stream's send operation, made at its first send and kept.
    cell: Option<Arc<SendCell>>,
    /// The ring the last send went to (kept rather than cloned per send).
    ring: Option<Arc<Uring>>,
    /// A send was submitted whose result has not been taken.
    in_flight: bool,
    error: Option<io::Error>,
}

/// A stream socket on io_uring.
pub(crate) struct NativeStream {
    rings: Arc<Rings>,
    fd: Arc<OwnedFd>,
    read: Mutex<ReadSide>,
    write: Mutex<WriteSide>,
}

impl NativeStream {
    pub(crate) fn new(rings: Arc<Rings>, fd: Arc<OwnedFd>) -> NativeStream {
        NativeStream {
            rings,
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
            if self.copy_out(&mut r, out) || r.eof || out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if let Some(e) = r.error.take() {
                return Poll::Ready(Err(e));
            }
            ready!(self.poll_fill(&mut r, cx, out.remaining()))?;
        }
    }

    /// Waits until a read would not wait (`readable()`) while the stream's own receive is armed
    /// or holds bytes: then the kernel takes the socket's bytes as they come, and the socket's
    /// own readiness says nothing. Returns the readiness bits (an end of stream or an error seen
    /// is kept for the next read), or `None` when no receive of the stream's is armed and
    /// nothing is buffered: the socket's readiness is then the answer (and `try_read` reads the
    /// socket directly), so a `readable()` + `try_read` loop never arms one.
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        use crate::io::driver::poll::{ERROR, READABLE, READ_CLOSED};
        let mut r = self.read.lock().unwrap();
        loop {
            if r.error.is_some() {
                return Poll::Ready(Some(READABLE | ERROR));
            }
            if Self::buffered(&r) {
                return Poll::Ready(Some(READABLE));
            }
            if r.eof {
                return Poll::Ready(Some(READABLE | READ_CLOSED));
            }
            if r.op.is_none() && r.multi.is_none() {
                return Poll::Ready(None);
            }
            if let Err(e) = ready!(self.poll_fill(&mut r, cx, MAX_CHUNK)) {
                r.error = Some(e);
            }
        }
    }

    /// Whether the stream's own receive has taken over the socket's bytes (it is armed or holds
    /// bytes): reads of the socket itself would miss or reorder them.
    pub(crate) fn receiving(&self) -> bool {
        let r = self.read.lock().unwrap();
        r.op.is_some() || r.multi.is_some() || Self::buffered(&r)
    }

    /// Copies what is available into `out` without consuming it (`peek`); waits if nothing
    /// is. Returns the bytes copied (0: end of stream).
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut r = self.read.lock().unwrap();
        loop {
            let n = self.peek_out(&r, out);
            if n > 0 || r.eof || out.is_empty() {
                return Poll::Ready(Ok(n));
            }
            if let Some(e) = r.error.take() {
                return Poll::Ready(Err(e));
            }
            ready!(self.poll_fill(&mut r, cx, out.len()))?;
        }
    }

    /// Reads what is available into `bufs`, in order, without waiting: `WouldBlock` if nothing
    /// is. `None` when no receive of the stream's is armed and nothing is buffered: the socket
    /// may then be read directly (nothing else takes its bytes).
    pub(crate) fn try_read_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Option<io::Result<usize>> {
        let want: usize = bufs.iter().map(|b| b.len()).sum();
        self.try_read_with(want, |me, r| me.copy_out_vectored(r, bufs))
    }

    /// Like [`NativeStream::try_read_vectored`] into the unfilled part of `out` (which may be
    /// uninitialized), advancing it.
    pub(crate) fn try_read_into(&self, out: &mut ReadBuf<'_>) -> Option<io::Result<usize>> {
        self.try_read_with(out.remaining(), |me, r| {
            let before = out.filled().len();
            while out.remaining() > 0 && me.copy_out(r, out) {}
            out.filled().len() - before
        })
    }

    /// The loop of the non-waiting reads: `copy` moves buffered bytes out (returning how
    /// many); `want` is how many the caller has room for.
    fn try_read_with(
        &self,
        want: usize,
        mut copy: impl FnMut(&Self, &mut ReadSide) -> usize,
    ) -> Option<io::Result<usize>> {
        let mut r = self.read.lock().unwrap();
        loop {
            let n = copy(self, &mut r);
            if n > 0 {
                return Some(Ok(n));
            }
            if r.eof || want == 0 {
                return Some(Ok(0));
            }
            if let Some(e) = r.error.take() {
                return Some(Err(e));
            }
            if r.op.is_none() && r.multi.is_none() {
                return None;
            }
            match self.try_fill(&mut r) {
                Ok(true) => {}
                Ok(false) => return Some(Err(io::ErrorKind::WouldBlock.into())),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Copies the buffered bytes into `bufs`, filling each before the next; how many.
    fn copy_out_vectored(&self, r: &mut ReadSide, bufs: &mut [IoSliceMut<'_>]) -> usize {
        let mut total = 0;
        for b in bufs.iter_mut() {
            let mut out = ReadBuf::new(&mut b[..]);
            while out.remaining() > 0 && self.copy_out(r, &mut out) {}
            total += out.filled().len();
            if out.remaining() > 0 {
                break;
            }
        }
        total
    }

    /// Whether bytes are buffered (a ring buffer's, or the single-shot buffer's).
    fn buffered(r: &ReadSide) -> bool {
        r.current.is_some_and(|(_, pos, len)| pos < len) || r.start < r.end
    }

    /// One step towards buffered bytes: waits for the receive in flight (arming one if none
    /// is) and takes its completion. `Ready(Ok)` means progress: the caller looks again.
    fn poll_fill(
        &self,
        r: &mut ReadSide,
        cx: &mut Context<'_>,
        want: usize,
    ) -> Poll<io::Result<()>> {
        if r.op.is_some() {
            return self.poll_single(r, cx);
        }
        // Armed on this thread's ring, unless a multishot receive is armed already.
        if r.multi.is_none()
            && !r
                .ring
                .as_ref()
                .is_some_and(|ring| ptr::eq(&**ring, &**self.rings.current()))
        {
            r.ring = Some(self.rings.current().clone());
        }
        // Moved out and back rather than cloned: a clone per read moved the ring's reference
        // count between the workers' caches (most of this function's time in a profile of the
        // HTTP bench).
        let ring = r.ring.take().expect("read ring chosen");
        let step = match ring.buf_ring() {
            Some(br) => self.poll_multi(r, &ring, br, cx),
            None => {
                let size = want.clamp(MIN_RECV, MAX_CHUNK);
                self.submit_recv(std::mem::take(&mut r.spare), size)
                    .map(|op| r.op = Some(op))
                    .into()
            }
        };
        r.ring = Some(ring);
        step
    }

    /// Like [`NativeStream::poll_fill`] without waiting or arming: takes a completion the
    /// receive in flight already has (reaping its ring first). `false` if there is none.
    fn try_fill(&self, r: &mut ReadSide) -> io::Result<bool> {
        if let Some(op) = r.op.as_mut() {
            op.ring().reap();
            let Some((cqe, buf)) = op.try_complete() else {
                return Ok(false);
            };
            let cancelled = op.ring().cancelled_by_thread_exit(cqe.result);
            r.op = None;
            self.single_done(r, cqe, cancelled, buf)?;
            return Ok(true);
        }
        let Some(multi) = r.multi.as_mut() else {
            return Ok(false);
        };
        multi.ring().reap();
        let Poll::Ready(next) = multi.try_next() else {
            return Ok(false);
        };
        let ring = r.ring.take().expect("the multishot receive's ring");
        let br = ring
            .buf_ring()
            .expect("multishot receives use the buffer ring");
        let res = self.multi_done(r, &ring, br, next);
        r.ring = Some(ring);
        res.map(|()| true)
    }

    /// Copies buffered bytes into `out` without consuming them; how many.
    fn peek_out(&self, r: &ReadSide, out: &mut [u8]) -> usize {
        let br = r.ring.as_ref().and_then(|ring| ring.buf_ring());
        let avail: &[u8] = match (r.current, br) {
            (Some((bid, pos, len)), Some(br)) => {
                // SAFETY: a completion handed us `bid` with `len` bytes, not given back yet.
                let data = unsafe { br.data(bid, len) };
                &data[pos..]
            }
            _ => &r.spare[r.start..r.end],
        };
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        n
    }

    /// Copies buffered bytes (a ring buffer's, or the single-shot buffer's) into `out`.
    fn copy_out(&self, r: &mut ReadSide, out: &mut ReadBuf<'_>) -> bool {
        let br = r.ring.as_ref().and_then(|ring| ring.buf_ring());
        if let (Some((bid, pos, len)), Some(br)) = (r.current, br) {
            let n = (len - pos).min(out.remaining());
            // SAFETY: a completion handed us `bid` with `len` bytes; we have not given it back.
            out.put_slice(&unsafe { br.data(bid, len) }[pos..pos + n]);
            r.current = Some((bid, pos + n, len));
            if pos + n == len {
                r.current = None;
                br.give_back(bid);
            }
            return n > 0;
        }
        if r.start < r.end {
            let n = (r.end - r.start).min(out.remaining());
            out.put_slice(&r.spare[r.start..r.start + n]);
            r.start += n;
            return n > 0;
        }
        false
    }

    /// Waits for the single-shot receive; its bytes land in `spare`.
    fn poll_single(&self, r: &mut ReadSide, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let op = r.op.as_mut().expect("single-shot receive in flight");
        let (cqe, buf) = ready!(op.poll_complete(cx));
        let cancelled = op.ring().cancelled_by_thread_exit(cqe.result);
        r.op = None;
        Poll::Ready(self.single_done(r, cqe, cancelled, buf))
    }

    /// Takes the single-shot receive's completion: its bytes land in `spare`.
    fn single_done(
        &self,
        r: &mut ReadSide,
        cqe: Cqe,
        cancelled: bool,
        mut buf: Buf,
    ) -> io::Result<()> {
        if cancelled {
            // Nothing was received: the caller's loop submits the receive again.
            r.spare = buf.bytes;
            return Ok(());
        }
        let n = match cqe.into_result() {
            Ok(n) => n as usize,
            Err(e) => {
                r.spare = buf.bytes;
                return Err(e);
            }
        };
        // SAFETY: the kernel wrote `n` bytes at the start of the buffer's capacity.
        unsafe { buf.bytes.set_len(n) };
        (r.spare, r.start, r.end) = (buf.bytes, 0, n);
        r.eof = n == 0;
        Ok(())
    }

    /// Waits for the multishot receive's next completion (arming it if needed).
    fn poll_multi(
        &self,
        r: &mut ReadSide,
        ring: &Arc<Uring>,
        br: &BufRing,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if r.multi.is_none() {
            r.multi = Some(self.submit_multi(ring)?);
        }
        let next = ready!(r.multi.as_mut().expect("armed").poll_next(cx));
        Poll::Ready(self.multi_done(r, ring, br, next))
    }

    /// Takes the multishot receive's next completion (`None`: it has finished): the ring
    /// buffer it names becomes the one being copied out.
    fn multi_done(
        &self,
        r: &mut ReadSide,
        ring: &Arc<Uring>,
        br: &BufRing,
        next: Option<Cqe>,
    ) -> io::Result<()> {
        let Some(cqe) = next else {
            r.multi = None;
            return Ok(());
        };
        if !cqe.more() {
            r.multi = None;
        }
        let bid = cqueue::buffer_select(cqe.flags);
        if let Some(bid) = bid {
            br.taken();
            r.current = Some((bid, 0, cqe.result.max(0) as usize));
        }
        match cqe.result {
            0 => {
                r.eof = true;
                if let Some((bid, ..)) = r.current.take() {
                    br.give_back(bid);
                }
                Ok(())
            }
            e if ring.cancelled_by_thread_exit(e) => Ok(()),
            e if e == -libc::ENOBUFS => {
                br.missed();
                r.op = Some(self.submit_recv(std::mem::take(&mut r.spare), MAX_CHUNK)?);
                Ok(())
            }
            e if e < 0 => Err(io::Error::from_raw_os_error(-e)),
            _ => Ok(()),
        }
    }

    fn submit_multi(&self, ring: &Arc<Uring>) -> io::Result<Op<RecvMulti>> {
        let data = RecvMulti {
            _fd: self.fd.clone(),
            ring: ring.clone(),
        };
        let fd = types::Fd(self.fd.as_raw_fd());
        Op::submit(ring, OpKind::Read, data, |_| {
            opcode::RecvMulti::new(fd, BGID).build()
        })
    }

    fn submit_recv(&self, mut bytes: Vec<u8>, size: usize) -> io::Result<Op<Buf>> {
        bytes.clear();
        bytes.reserve(size);
        let data = Buf {
            _fd: self.fd.clone(),
            bytes,
        };
        let fd = types::Fd(self.fd.as_raw_fd());
        Op::submit(self.rings.current(), OpKind::Read, data, |b| {
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
        Poll::Ready(self.accept(&mut w, bufs))
    }

    /// Copies up to 64 KiB of `bufs` into the send buffer and sends it in the background (the
    /// previous send is done).
    fn accept(&self, w: &mut WriteSide, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let cell = w
            .cell
            .get_or_insert_with(|| Arc::new(SendCell::new(self.fd.clone())));
        // SAFETY: no send in flight (the caller waited for it), and we hold the write lock.
        let buf = unsafe { cell.buf() };
        buf.bytes.clear();
        buf.done = 0;
        for b in bufs {
            let room = MAX_CHUNK - buf.bytes.len();
            buf.bytes.extend_from_slice(&b[..b.len().min(room)]);
        }
        let n = buf.bytes.len();
        if n > 0 {
            self.submit_send(w)?;
        }
        Ok(n)
    }

    /// Like [`NativeStream::poll_write_vectored`] with one buffer.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    /// Sends the unsent rest of the cell's buffer on this thread's ring (no send in flight).
    fn submit_send(&self, w: &mut WriteSide) -> io::Result<()> {
        let ring = self.rings.current();
        if !w.ring.as_ref().is_some_and(|r| ptr::eq(&**r, &**ring)) {
            w.ring = Some(ring.clone());
        }
        let cell = w.cell.as_ref().expect("a send cell");
        let fd = types::Fd(self.fd.as_raw_fd());
        // SAFETY: no send in flight, and we hold the write lock.
        unsafe { cell.submit(ring, fd) }?;
        w.in_flight = true;
        Ok(())
    }

    /// Waits until the background send is done; returns its error, if any.
    fn poll_idle(&self, w: &mut WriteSide, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.idle_with(w, Some(cx.waker()))
    }

    /// Like [`NativeStream::poll_idle`] without waiting (reaping the send's ring first):
    /// `None` while the send is in flight.
    fn try_idle(&self, w: &mut WriteSide) -> Option<io::Result<()>> {
        if let (true, Some(ring)) = (w.in_flight, &w.ring) {
            ring.reap();
        }
        match self.idle_with(w, None) {
            Poll::Ready(res) => Some(res),
            Poll::Pending => None,
        }
    }

    /// Takes the results of the sends in flight until none is left (or one is still in
    /// flight: `Pending`, with `waker`, if any, registered); then the error a send met, if any.
    fn idle_with(&self, w: &mut WriteSide, waker: Option<&Waker>) -> Poll<io::Result<()>> {
        while w.in_flight {
            let cell = w.cell.as_ref().expect("a send cell");
            let res = ready!(cell.poll_take(waker));
            w.in_flight = false;
            let cancelled = w
                .ring
                .as_ref()
                .is_some_and(|r| r.cancelled_by_thread_exit(res));
            self.send_done(w, Cqe::new(res, 0), cancelled)?;
        }
        Poll::Ready(w.error.take().map_or(Ok(()), Err))
    }

    /// Takes a send's completion: the rest of a short send goes out again; an error is kept for
    /// the next write, flush or shutdown.
    fn send_done(&self, w: &mut WriteSide, cqe: Cqe, cancelled: bool) -> io::Result<()> {
        let cell = w.cell.as_ref().expect("a send cell");
        // SAFETY: the send's result is taken: the buffer is ours, under the write lock.
        let buf = unsafe { cell.buf() };
        match cqe.into_result() {
            // Not sent: sent again below.
            Err(_) if cancelled => {}
            Ok(0) => w.error = Some(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf.done += n as usize,
            Err(e) => w.error = Some(e),
        }
        if w.error.is_none() && buf.done < buf.bytes.len() {
            self.submit_send(w)?;
        }
        Ok(())
    }

    /// Accepts bytes without waiting (`try_write`, `try_write_vectored`): `WouldBlock` while
    /// the previous send is in flight, so they never overtake bytes accepted before them.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut w = self.write.lock().unwrap();
        self.try_send_idle(&mut w)?;
        self.accept(&mut w, bufs)
    }

    /// `Ok` when no send is in flight (the socket may be written directly: nothing accepted
    /// before waits to go out), `WouldBlock` while one is; a finished send's error.
    pub(crate) fn send_idle(&self) -> io::Result<()> {
        let mut w = self.write.lock().unwrap();
        self.try_send_idle(&mut w)
    }

    fn try_send_idle(&self, w: &mut WriteSide) -> io::Result<()> {
        match self.try_idle(w) {
            None => Err(io::ErrorKind::WouldBlock.into()),
            Some(res) => res,
        }
    }

    /// Waits until a write would not wait (`writable()`): no send in flight. A send's error is
    /// kept for the next write.
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut w = self.write.lock().unwrap();
        if let Err(e) = ready!(self.poll_idle(&mut w, cx)) {
            w.error = Some(e);
        }
        Poll::Ready(Ok(()))
    }

    /// Reports the error of a finished background send, if any. A send still in flight counts
    /// as flushed: its bytes are the kernel's, exactly as after a synchronous `send(2)` (which
    /// only copies into the socket buffer too); waiting for its completion here would make
    /// protocols such as HTTP see the peer's reply to bytes "not yet flushed". Shutdown waits.
    /// Nothing is registered to be woken: a flush that leaves a send in flight waits for
    /// nothing, and a waker left with the send would poll the task again for nothing when it
    /// completes (once per response of an HTTP server).
    pub(crate) fn poll_flush(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut w = self.write.lock().unwrap();
        match self.idle_with(&mut w, None) {
            Poll::Pending => Poll::Ready(Ok(())),
            done => done,
        }
    }

    /// Waits until every accepted byte is sent (before a shutdown).
    pub(crate) fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut w = self.write.lock().unwrap();
        self.poll_idle(&mut w, cx)
    }
}

impl Drop for NativeStream {
    fn drop(&mut self) {
        let r = self.read.get_mut().unwrap();
        let br = r.ring.as_ref().and_then(|ring| ring.buf_ring());
        if let (Some((bid, ..)), Some(br)) = (r.current.take(), br) {
            br.give_back(bid);
        }
    }
}
