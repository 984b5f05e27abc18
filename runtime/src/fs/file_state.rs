//! The state machine under [`File`](super::File): one operation in flight at a time.
//!
//! # Protocol
//!
//! [`Inner`] is `Idle` or `Busy`. `Busy` holds the one operation in flight: a boxed future over
//! the `sys` functions that owns the buffer and yields it back with a [`Done`]. Whoever reaches the
//! file next (a poll method, through `&mut File`, or an async method, under the file's mutex)
//! first waits for that operation; its outcome is recorded by [`Inner::finish`]:
//!
//! - a read's bytes become the *read-ahead* `buf[start..]`: read from the OS but not handed out,
//!   so the OS cursor is past them. Reads ask for at most what the caller has room for (and at
//!   most [`CHUNK_SIZE`]), so read-ahead exists only when a read was re-polled with less room or
//!   abandoned. Before the cursor is used otherwise it is given back: a write or `set_len` first
//!   seeks back over it, a seek from the current position subtracts it.
//! - a failed operation's error is kept in `error` and returned by the next operation, whatever
//!   it is (read, write, flush, seek, sync, ...). This is how a background write reports. If a
//!   second one fails before that, the first error is the one kept.
//! - a seek sets `pos`, the position `poll_complete` reports; reads and writes advance it.
//!
//! Writes do not wait: `poll_write` copies up to [`CHUNK_SIZE`] bytes into the owned buffer,
//! starts the write, polls it once so that it runs in the background, and returns at once.

use super::sys::{self, BufResult, StdFile};
use crate::io::ReadBuf;
use std::future::{poll_fn, Future};
use std::io::{self, SeekFrom};
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The most bytes one read or write operation of a [`File`](super::File) moves.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;

/// The outcome of a finished operation.
pub(super) enum Done {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    /// `set_len`, `sync_all`, `sync_data`.
    Other(io::Result<()>),
    /// An owned-buffer operation: the buffer is the caller's.
    Owned(io::Result<usize>),
}

type Op = Pin<Box<dyn Future<Output = (Done, Vec<u8>)> + Send>>;

enum State {
    Idle,
    Busy(Op),
}

/// A file's cursor state; see the module docs.
pub(super) struct Inner {
    std: StdFile,
    state: State,
    /// Idle: `buf[start..]` is read-ahead; the rest is spare capacity. Busy: empty.
    buf: Vec<u8>,
    start: usize,
    error: Option<io::Error>,
    pos: u64,
}

impl Inner {
    pub(super) fn new(std: StdFile, pos: u64) -> Inner {
        Inner {
            std,
            state: State::Idle,
            buf: Vec::new(),
            start: 0,
            error: None,
            pos,
        }
    }

    pub(super) fn is_busy(&self) -> bool {
        matches!(self.state, State::Busy(_))
    }

    /// Bytes read ahead of the caller.
    fn ahead(&self) -> usize {
        self.buf.len() - self.start
    }

    fn start(&mut self, op: impl Future<Output = (Done, Vec<u8>)> + Send + 'static) {
        debug_assert!(!self.is_busy(), "two file operations in flight");
        self.state = State::Busy(Box::pin(op));
    }

    /// Waits for the operation in flight, if any, and records its outcome. Ready with true when
    /// that operation was a read.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let State::Busy(op) = &mut self.state else {
            return Poll::Ready(false);
        };
        let (done, buf) = ready!(op.as_mut().poll(cx));
        self.state = State::Idle;
        Poll::Ready(self.finish(done, buf))
    }

    /// Records a finished operation's outcome; true if it was a read.
    fn finish(&mut self, done: Done, mut buf: Vec<u8>) -> bool {
        let is_read = matches!(done, Done::Read(_));
        if !is_read {
            buf.clear();
        }
        (self.buf, self.start) = (buf, 0);
        let res = match done {
            Done::Read(r) => r.map(drop),
            Done::Owned(r) => r.map(|n| self.pos += n as u64), // its caller was cancelled
            Done::Write(r) | Done::Other(r) => r,
            Done::Seek(r) => r.map(|p| self.pos = p),
        };
        if let Err(e) = res {
            self.error.get_or_insert(e); // the oldest unreported error is reported first
        }
        is_read
    }

    fn take_error(&mut self) -> io::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }

    /// Waits for the operation in flight and returns the error of any failed one.
    pub(super) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_idle(cx));
        Poll::Ready(self.take_error())
    }

    pub(super) async fn ready(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_ready(cx)).await
    }

    /// Hands out read-ahead into `dst`.
    fn copy_ahead(&mut self, dst: &mut ReadBuf<'_>) {
        let n = self.ahead().min(dst.remaining());
        dst.put_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        self.pos += n as u64;
    }

    /// Forgets the read-ahead; returns the seek that moves the OS cursor back over it.
    fn drop_ahead(&mut self) -> Option<SeekFrom> {
        let n = self.ahead();
        self.buf.clear();
        self.start = 0;
        (n > 0).then(|| SeekFrom::Current(-(n as i64)))
    }

    /// The spare buffer, emptied, with room for at least `want` bytes.
    fn spare(&mut self, want: usize) -> Vec<u8> {
        let mut buf = mem::take(&mut self.buf);
        buf.clear();
        buf.reserve_exact(want);
        buf
    }

    // ---- AsyncRead, AsyncWrite, AsyncSeek -----------------------------------------------------

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let was_read = ready!(self.poll_idle(cx));
            self.take_error()?;
            if was_read || self.ahead() > 0 || dst.remaining() == 0 {
                self.copy_ahead(dst);
                return Poll::Ready(Ok(()));
            }
            self.start_read(dst.remaining().min(CHUNK_SIZE));
        }
    }

    fn start_read(&mut self, want: usize) {
        let mut buf = self.spare(want);
        if buf.capacity() > want {
            buf = Vec::with_capacity(want); // never read further ahead than asked
        }
        let std = self.std.clone();
        self.start(async move {
            let (res, buf) = sys::read(std, buf).await;
            (Done::Read(res), buf)
        });
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_ready(cx))?;
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = src.len().min(CHUNK_SIZE);
        let back = self.drop_ahead();
        let mut buf = self.spare(n);
        buf.extend_from_slice(&src[..n]);
        self.start(write_op(self.std.clone(), back, buf));
        self.pos += n as u64;
        // Start it now so that it runs in the background; a quick outcome is recorded.
        let _ = self.poll_idle(cx);
        Poll::Ready(Ok(n))
    }

    pub(super) fn start_seek(&mut self, pos: SeekFrom) -> io::Result<()> {
        if self.is_busy() {
            return Err(io::Error::other(
                "another file operation is pending: call poll_complete before start_seek",
            ));
        }
        let pos = match pos {
            SeekFrom::Current(n) => SeekFrom::Current(n.saturating_sub(self.ahead() as i64)),
            other => other,
        };
        self.drop_ahead();
        let (std, buf) = (self.std.clone(), self.spare(0));
        self.start(async move { (Done::Seek(sys::seek(std, pos).await), buf) });
        Ok(())
    }

    pub(super) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        ready!(self.poll_ready(cx))?;
        Poll::Ready(Ok(self.pos))
    }

    // ---- async methods (under the file's mutex) -----------------------------------------------

    /// Starts `op` and waits for it, leaving it in flight if the caller is cancelled (the next
    /// operation then waits for it and reports its error).
    async fn run(
        &mut self,
        op: impl Future<Output = (Done, Vec<u8>)> + Send + 'static,
    ) -> (Done, Vec<u8>) {
        self.start(op);
        poll_fn(|cx| match &mut self.state {
            State::Busy(op) => {
                let out = ready!(op.as_mut().poll(cx));
                self.state = State::Idle;
                Poll::Ready(out)
            }
            State::Idle => unreachable!("the operation in flight finished without its caller"),
        })
        .await
    }

    /// Runs an operation whose buffer is the file's spare one and returns its error, if any.
    async fn run_spare(
        &mut self,
        op: impl Future<Output = (Done, Vec<u8>)> + Send + 'static,
    ) -> io::Result<()> {
        let (done, buf) = self.run(op).await;
        self.finish(done, buf);
        self.take_error()
    }

    pub(super) async fn sync(&mut self, data_only: bool) -> io::Result<()> {
        self.ready().await?;
        let (std, buf) = (self.std.clone(), self.spare(0));
        self.run_spare(async move {
            let res = match data_only {
                true => sys::sync_data(std).await,
                false => sys::sync_all(std).await,
            };
            (Done::Other(res), buf)
        })
        .await
    }

    pub(super) async fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.ready().await?;
        let back = self.drop_ahead();
        let (std, buf) = (self.std.clone(), self.spare(0));
        self.run_spare(async move {
            if let Err(e) = rewind(&std, back).await {
                return (Done::Other(Err(e)), buf);
            }
            (Done::Other(sys::set_len(std, len).await), buf)
        })
        .await
    }

    pub(super) async fn read_owned(&mut self, mut buf: Vec<u8>) -> BufResult<usize> {
        if let Err(e) = self.ready().await {
            return (Err(e), buf);
        }
        if self.ahead() > 0 {
            let n = self.ahead().min(buf.capacity() - buf.len());
            buf.extend_from_slice(&self.buf[self.start..self.start + n]);
            (self.start, self.pos) = (self.start + n, self.pos + n as u64);
            return (Ok(n), buf);
        }
        let std = self.std.clone();
        let (done, buf) = self
            .run(async move {
                let (res, buf) = sys::read(std, buf).await;
                (Done::Owned(res), buf)
            })
            .await;
        self.owned_outcome(done, buf)
    }

    pub(super) async fn write_all_owned(&mut self, buf: Vec<u8>) -> BufResult<()> {
        if let Err(e) = self.ready().await {
            return (Err(e), buf);
        }
        let (back, std, len) = (self.drop_ahead(), self.std.clone(), buf.len());
        let (done, buf) = self
            .run(async move {
                if let Err(e) = rewind(&std, back).await {
                    return (Done::Owned(Err(e)), buf);
                }
                let (res, buf) = sys::write_all(std, buf).await;
                (Done::Owned(res.map(|()| len)), buf)
            })
            .await;
        let (res, buf) = self.owned_outcome(done, buf);
        (res.map(drop), buf)
    }

    /// The result of an owned-buffer operation; advances the position by the bytes moved.
    fn owned_outcome(&mut self, done: Done, buf: Vec<u8>) -> BufResult<usize> {
        let res = match done {
            Done::Owned(res) => res,
            _ => unreachable!("an owned-buffer operation finished as another kind"),
        };
        if let Ok(n) = res {
            self.pos += n as u64;
        }
        (res, buf)
    }

    /// Gives the read-ahead back to the OS cursor now, for handing the file over.
    pub(super) fn rewind_now(&mut self) {
        if let Some(back) = self.drop_ahead() {
            let _ = sys::seek_now(&self.std, back);
        }
    }
}

/// Seeks back over dropped read-ahead, if any.
async fn rewind(std: &StdFile, back: Option<SeekFrom>) -> io::Result<()> {
    match back {
        Some(pos) => sys::seek(std.clone(), pos).await.map(drop),
        None => Ok(()),
    }
}

/// A background write of `buf` at the cursor, after seeking back over dropped read-ahead.
async fn write_op(std: StdFile, back: Option<SeekFrom>, buf: Vec<u8>) -> (Done, Vec<u8>) {
    if let Err(e) = rewind(&std, back).await {
        return (Done::Write(Err(e)), buf);
    }
    let (res, buf) = sys::write_all(std, buf).await;
    (Done::Write(res), buf)
}
