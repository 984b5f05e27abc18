//! Every filesystem operation of [`crate::fs`], in one place.
//!
//! Each function here is one operation as a plain `async fn`; the rest of the module never calls
//! `std::fs` itself. On a runtime whose driver is io_uring, `open`, `read`, `write_all`,
//! `read_at`, `write_all_at`, `sync_all` and `sync_data` are io_uring operations
//! ([`uring`](super::uring)); everything else (and every operation on the poll backend) runs on
//! the blocking pool (`spawn_blocking`).
//!
//! # Contract
//!
//! - Buffers are owned: an operation takes its `Vec<u8>` and gives it back with the result, so a
//!   completion-based driver can hold the memory while the kernel uses it. Reads fill the spare
//!   capacity (after `len`) and extend `len` by the count read; writes take the whole `Vec`.
//! - Once polled, an operation runs to completion even if its future is dropped (the blocking
//!   closure keeps running; a completion driver keeps the buffer until the kernel is done). Callers
//!   rely on this: `File` starts a write, returns, and collects the outcome later.
//! - Cursor operations (`read`, `write_all`) use and advance the file's own position, like
//!   `read(2)`/`write(2)` (io_uring: offset `-1`). Positional ones (`read_at`, `write_all_at`)
//!   leave it alone. io_uring has no seek, so `seek` stays a system call (it never waits on disk).
//! - Errors are the OS errors std reports, kinds untouched.

use super::{uring, OpenOptions};
use std::fs::{self as stdfs, FileType, Metadata, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// A shared handle on an open file, as operations take it.
pub(crate) type StdFile = Arc<stdfs::File>;

/// An owned-buffer result: the outcome and the buffer back.
pub(crate) type BufResult<T> = (io::Result<T>, Vec<u8>);

/// Runs `f` on the blocking pool.
async fn blocking<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    crate::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(lost(e)))
}

/// Runs an owned-buffer `f` on the blocking pool.
async fn blocking_buf<T, F>(f: F) -> BufResult<T>
where
    F: FnOnce() -> BufResult<T> + Send + 'static,
    T: Send + 'static,
{
    crate::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| (Err(lost(e)), Vec::new()))
}

/// The error for an operation whose blocking task did not finish (runtime shut down).
fn lost(e: crate::task::JoinError) -> io::Error {
    io::Error::other(format!("filesystem operation did not complete: {e}"))
}

/// Reads into the spare capacity of `buf` with `read`, extending its length.
fn fill(buf: &mut Vec<u8>, read: impl FnOnce(&mut [u8]) -> io::Result<usize>) -> io::Result<usize> {
    let len = buf.len();
    buf.resize(buf.capacity(), 0);
    let res = read(&mut buf[len..]);
    buf.truncate(len + *res.as_ref().unwrap_or(&0));
    res
}

// ---- files ------------------------------------------------------------------------------------

/// Opens `path` with `opts` (io_uring: `openat`).
pub(crate) async fn open(path: PathBuf, opts: OpenOptions) -> io::Result<stdfs::File> {
    if let (Some(ring), Some((flags, mode))) = (uring::ring(), opts.open_flags()) {
        return uring::open(&ring, &path, flags, mode).await;
    }
    blocking(move || opts.to_std().open(path)).await
}

/// Reads at the cursor into the spare capacity of `buf` (io_uring: `read`, offset -1).
pub(crate) async fn read(file: StdFile, mut buf: Vec<u8>) -> BufResult<usize> {
    if let Some(ring) = uring::ring() {
        return uring::read(&ring, file, buf, u64::MAX).await;
    }
    blocking_buf(move || (fill(&mut buf, |b| (&*file).read(b)), buf)).await
}

/// Writes all of `buf` at the cursor (io_uring: `write`, offset -1, repeated on short writes).
pub(crate) async fn write_all(file: StdFile, buf: Vec<u8>) -> BufResult<()> {
    if let Some(ring) = uring::ring() {
        return uring::write_all(&ring, file, buf, u64::MAX).await;
    }
    blocking_buf(move || ((&*file).write_all(&buf), buf)).await
}

/// Reads at `offset` into the spare capacity of `buf` (io_uring: `read`).
#[cfg(unix)]
pub(crate) async fn read_at(file: StdFile, mut buf: Vec<u8>, offset: u64) -> BufResult<usize> {
    use std::os::unix::fs::FileExt;
    if let Some(ring) = uring::ring().filter(|_| offset != u64::MAX) {
        return uring::read(&ring, file, buf, offset).await;
    }
    blocking_buf(move || (fill(&mut buf, |b| file.read_at(b, offset)), buf)).await
}

/// Writes all of `buf` at `offset` (io_uring: `write`, repeated on short writes).
#[cfg(unix)]
pub(crate) async fn write_all_at(file: StdFile, buf: Vec<u8>, offset: u64) -> BufResult<()> {
    use std::os::unix::fs::FileExt;
    if let Some(ring) = uring::ring().filter(|_| offset != u64::MAX) {
        return uring::write_all(&ring, file, buf, offset).await;
    }
    blocking_buf(move || (file.write_all_at(&buf, offset), buf)).await
}

/// Moves the cursor; returns the new position from the start.
pub(crate) async fn seek(file: StdFile, pos: SeekFrom) -> io::Result<u64> {
    blocking(move || (&*file).seek(pos)).await
}

/// Moves the cursor at once, on the calling thread (`lseek` never waits on the disk).
pub(crate) fn seek_now(file: &stdfs::File, pos: SeekFrom) -> io::Result<u64> {
    let mut file = file;
    file.seek(pos)
}

/// Flushes data and metadata to the device (io_uring: `fsync`).
pub(crate) async fn sync_all(file: StdFile) -> io::Result<()> {
    if let Some(ring) = uring::ring() {
        return uring::fsync(&ring, file, false).await;
    }
    blocking(move || file.sync_all()).await
}

/// Flushes data to the device (io_uring: `fsync` with `DATASYNC`).
pub(crate) async fn sync_data(file: StdFile) -> io::Result<()> {
    if let Some(ring) = uring::ring() {
        return uring::fsync(&ring, file, true).await;
    }
    blocking(move || file.sync_data()).await
}

/// Truncates or extends the file (io_uring: `ftruncate`, kernel 6.9+).
pub(crate) async fn set_len(file: StdFile, len: u64) -> io::Result<()> {
    blocking(move || file.set_len(len)).await
}

/// The open file's metadata (io_uring: `statx` with `AT_EMPTY_PATH`).
pub(crate) async fn file_metadata(file: StdFile) -> io::Result<Metadata> {
    blocking(move || file.metadata()).await
}

/// A second handle on the same open file (`dup`).
pub(crate) async fn try_clone(file: StdFile) -> io::Result<stdfs::File> {
    blocking(move || file.try_clone()).await
}

/// Changes the open file's permissions (`fchmod`).
pub(crate) async fn set_file_permissions(file: StdFile, perm: Permissions) -> io::Result<()> {
    blocking(move || file.set_permissions(perm)).await
}

// ---- whole files and paths --------------------------------------------------------------------

/// Reads a whole file.
pub(crate) async fn read_whole(path: PathBuf) -> io::Result<Vec<u8>> {
    if let Some(ring) = uring::ring() {
        let flags = libc::O_RDONLY | libc::O_CLOEXEC;
        let file = Arc::new(uring::open(&ring, &path, flags, 0).await?);
        return uring::read_to_end(&ring, file).await;
    }
    blocking(move || stdfs::read(path)).await
}

/// Reads a whole file as UTF-8.
pub(crate) async fn read_to_string(path: PathBuf) -> io::Result<String> {
    blocking(move || stdfs::read_to_string(path)).await
}

/// Creates or truncates a file and writes `contents` to it.
pub(crate) async fn write_whole(path: PathBuf, contents: Vec<u8>) -> io::Result<()> {
    if let Some(ring) = uring::ring() {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC;
        let file = Arc::new(uring::open(&ring, &path, flags, 0o666).await?);
        return uring::write_all(&ring, file, contents, 0).await.0;
    }
    blocking(move || stdfs::write(path, contents)).await
}

/// Metadata of `path`, following symlinks (io_uring: `statx`).
pub(crate) async fn metadata(path: PathBuf) -> io::Result<Metadata> {
    blocking(move || stdfs::metadata(path)).await
}

/// Metadata of `path` itself, not following a final symlink (io_uring: `statx`, `NOFOLLOW`).
pub(crate) async fn symlink_metadata(path: PathBuf) -> io::Result<Metadata> {
    blocking(move || stdfs::symlink_metadata(path)).await
}

/// Whether `path` exists; errors other than "not found" are returned.
pub(crate) async fn try_exists(path: PathBuf) -> io::Result<bool> {
    blocking(move || path.try_exists()).await
}

/// Creates one directory (io_uring: `mkdirat`).
pub(crate) async fn create_dir(path: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::create_dir(path)).await
}

/// Creates a directory and its missing parents.
pub(crate) async fn create_dir_all(path: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::create_dir_all(path)).await
}

/// Removes a file (io_uring: `unlinkat`).
pub(crate) async fn remove_file(path: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::remove_file(path)).await
}

/// Removes an empty directory (io_uring: `unlinkat` with `AT_REMOVEDIR`).
pub(crate) async fn remove_dir(path: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::remove_dir(path)).await
}

/// Removes a directory and everything in it.
pub(crate) async fn remove_dir_all(path: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::remove_dir_all(path)).await
}

/// Renames `from` to `to`, replacing `to` (io_uring: `renameat`).
pub(crate) async fn rename(from: PathBuf, to: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::rename(from, to)).await
}

/// Copies the contents and permissions of `from` to `to`; returns the bytes copied.
pub(crate) async fn copy(from: PathBuf, to: PathBuf) -> io::Result<u64> {
    blocking(move || stdfs::copy(from, to)).await
}

/// Makes `dst` a hard link to `src` (io_uring: `linkat`).
pub(crate) async fn hard_link(src: PathBuf, dst: PathBuf) -> io::Result<()> {
    blocking(move || stdfs::hard_link(src, dst)).await
}

/// The absolute path with every symlink and `.`/`..` resolved.
pub(crate) async fn canonicalize(path: PathBuf) -> io::Result<PathBuf> {
    blocking(move || stdfs::canonicalize(path)).await
}

/// The target of a symlink.
pub(crate) async fn read_link(path: PathBuf) -> io::Result<PathBuf> {
    blocking(move || stdfs::read_link(path)).await
}

/// Changes the permissions of `path`.
pub(crate) async fn set_permissions(path: PathBuf, perm: Permissions) -> io::Result<()> {
    blocking(move || stdfs::set_permissions(path, perm)).await
}

// ---- directories ------------------------------------------------------------------------------

/// One directory entry with its type when the listing already knew it (`d_type`).
pub(crate) type Entry = (stdfs::DirEntry, Option<FileType>);

/// Opens a directory listing.
pub(crate) async fn read_dir(path: PathBuf) -> io::Result<stdfs::ReadDir> {
    blocking(move || stdfs::read_dir(path)).await
}

/// Reads up to `max` entries; gives the listing back unless it is exhausted.
pub(crate) async fn next_entries(
    mut dir: stdfs::ReadDir,
    max: usize,
) -> (Option<stdfs::ReadDir>, Vec<io::Result<Entry>>) {
    let batch = move || {
        let entries: Vec<_> = dir.by_ref().take(max).map(with_type).collect();
        let rest = (entries.len() == max).then_some(dir);
        (rest, entries)
    };
    crate::task::spawn_blocking(batch)
        .await
        .unwrap_or_else(|e| (None, vec![Err(lost(e))]))
}

fn with_type(entry: io::Result<stdfs::DirEntry>) -> io::Result<Entry> {
    entry.map(|e| {
        let ty = e.file_type().ok();
        (e, ty)
    })
}

/// The metadata of a listed entry (not following a final symlink).
pub(crate) async fn entry_metadata(entry: Arc<stdfs::DirEntry>) -> io::Result<Metadata> {
    blocking(move || entry.metadata()).await
}

/// The type of a listed entry.
pub(crate) async fn entry_file_type(entry: Arc<stdfs::DirEntry>) -> io::Result<FileType> {
    blocking(move || entry.file_type()).await
}
