//! The filesystem operations io_uring does natively: `openat`, `read`, `write` and `fsync`.
//! [`sys`](super::sys) calls these when the current runtime runs on io_uring.
//!
//! Every operation keeps running when its future is dropped (the sys contract): the future
//! detaches the operation instead of cancelling it, and the kernel's reference keeps the buffer,
//! path and file alive until the completion arrives.

use crate::io::driver::uring::{Cqe, Op, OpData, Uring};
use crate::io::driver::{IoHandle, OpKind};
use io_uring::{opcode, types};
use std::ffi::CString;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Largest single read or write submitted.
const MAX_IO: usize = 1 << 30;

/// The ring this thread submits to in the current runtime, if it runs on io_uring.
pub(super) fn ring() -> Option<Arc<Uring>> {
    match crate::runtime::context::io_handle()? {
        IoHandle::Uring(rings) => Some(rings.current().clone()),
        IoHandle::Poll(_) => None,
    }
}

/// Completes an operation; dropping it detaches the operation rather than cancelling it.
struct Detached<T: OpData>(Option<Op<T>>);

impl<T: OpData> Future for Detached<T> {
    type Output = (Cqe, T);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(Cqe, T)> {
        let op = self.0.as_mut().expect("polled after completion");
        let out = std::task::ready!(op.poll_complete(cx));
        self.0 = None;
        Poll::Ready(out)
    }
}

impl<T: OpData> Drop for Detached<T> {
    fn drop(&mut self) {
        if let Some(op) = self.0.take() {
            op.detach();
        }
    }
}

async fn run<T: OpData>(
    ring: &Arc<Uring>,
    kind: OpKind,
    data: T,
    build: impl Fn(&mut T) -> io_uring::squeue::Entry,
) -> io::Result<(Cqe, T)> {
    let mut data = data;
    loop {
        let op = Op::submit(ring, kind, data, &build)?;
        let (cqe, back) = Detached(Some(op)).await;
        if !ring.cancelled_by_thread_exit(cqe.result) {
            return Ok((cqe, back));
        }
        // The thread that submitted it exited first; nothing was done: submit it again.
        data = back;
    }
}

struct OpenData(CString);

impl OpData for OpenData {
    fn orphaned(&mut self, cqe: Cqe) {
        if cqe.result >= 0 {
            // SAFETY: a successful open returned a descriptor nobody else owns.
            drop(unsafe { File::from_raw_fd(cqe.result) });
        }
    }
}

/// `openat(AT_FDCWD, path, flags, mode)`.
pub(super) async fn open(
    ring: &Arc<Uring>,
    path: &Path,
    flags: i32,
    mode: u32,
) -> io::Result<File> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    let (cqe, _) = run(ring, OpKind::OpenAt, OpenData(c), |d| {
        opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), d.0.as_ptr())
            .flags(flags)
            .mode(mode)
            .build()
    })
    .await?;
    let fd = cqe.into_result()? as i32;
    // SAFETY: a successful open returned a descriptor nobody else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

struct IoData {
    _file: Arc<File>,
    buf: Vec<u8>,
}

impl OpData for IoData {}

/// One `read` into the spare capacity of `buf` at `offset` (`u64::MAX`: at the cursor).
pub(super) async fn read(
    ring: &Arc<Uring>,
    file: Arc<File>,
    buf: Vec<u8>,
    offset: u64,
) -> (io::Result<usize>, Vec<u8>) {
    let fd = types::Fd(file.as_raw_fd());
    let data = IoData { _file: file, buf };
    let res = run(ring, OpKind::Read, data, |d| {
        let len = d.buf.len();
        let spare = (d.buf.capacity() - len).min(MAX_IO) as u32;
        // SAFETY: `len <= capacity`, so the pointer stays inside the allocation.
        let ptr = unsafe { d.buf.as_mut_ptr().add(len) };
        opcode::Read::new(fd, ptr, spare).offset(offset).build()
    })
    .await;
    match res {
        Err(e) => (Err(e), Vec::new()),
        Ok((cqe, mut d)) => {
            let res = cqe.into_result().map(|n| n as usize);
            if let Ok(n) = res {
                // SAFETY: the kernel initialized `n` bytes after the old length.
                unsafe { d.buf.set_len(d.buf.len() + n) };
            }
            (res, d.buf)
        }
    }
}

/// Writes all of `buf` at `offset` (`u64::MAX`: at the cursor), repeating short writes.
pub(super) async fn write_all(
    ring: &Arc<Uring>,
    file: Arc<File>,
    buf: Vec<u8>,
    offset: u64,
) -> (io::Result<()>, Vec<u8>) {
    let fd = types::Fd(file.as_raw_fd());
    let mut data = IoData { _file: file, buf };
    let mut done = 0usize;
    while done < data.buf.len() {
        let at = if offset == u64::MAX {
            offset
        } else {
            offset + done as u64
        };
        let res = run(ring, OpKind::Write, data, |d| {
            let rest = &d.buf[done..];
            opcode::Write::new(fd, rest.as_ptr(), rest.len().min(MAX_IO) as u32)
                .offset(at)
                .build()
        })
        .await;
        let (cqe, d) = match res {
            Ok(x) => x,
            Err(e) => return (Err(e), Vec::new()),
        };
        data = d;
        match cqe.into_result() {
            Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), data.buf),
            Ok(n) => done += n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (Err(e), data.buf),
        }
    }
    (Ok(()), data.buf)
}

/// `fsync`, of data only when `data_only`.
pub(super) async fn fsync(ring: &Arc<Uring>, file: Arc<File>, data_only: bool) -> io::Result<()> {
    let fd = types::Fd(file.as_raw_fd());
    let flags = if data_only {
        types::FsyncFlags::DATASYNC
    } else {
        types::FsyncFlags::empty()
    };
    let data = IoData {
        _file: file,
        buf: Vec::new(),
    };
    let (cqe, _) = run(ring, OpKind::Fsync, data, |_| {
        opcode::Fsync::new(fd).flags(flags).build()
    })
    .await?;
    cqe.into_result().map(|_| ())
}

/// Reads the whole file from its start, in reads of up to 1 MiB.
pub(super) async fn read_to_end(ring: &Arc<Uring>, file: Arc<File>) -> io::Result<Vec<u8>> {
    const CHUNK: usize = 1 << 20;
    let mut buf = Vec::new();
    loop {
        buf.reserve(CHUNK.min(buf.len().max(64 * 1024)));
        let offset = buf.len() as u64;
        let (res, b) = read(ring, file.clone(), buf, offset).await;
        buf = b;
        match res {
            Ok(0) => return Ok(buf),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
