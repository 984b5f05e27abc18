//! [`File`]: an open file, read and written without blocking the runtime's workers.

use super::file_state::Inner;
use super::sys::{self, BufResult, StdFile};
use super::OpenOptions;
use crate::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use crate::sync::Mutex;
use std::fmt;
use std::fs::{Metadata, Permissions};
use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// An open file: the async twin of [`std::fs::File`].
///
/// It implements [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]. One operation is in flight at
/// a time. A write is copied into an owned buffer (at most 64 KiB per call), started in the
/// background, and reported as done at once; the next operation on the file (or a flush) waits
/// for it and returns its error if it failed. So flush before dropping a file whose last write
/// matters: a write still in flight when the `File` is dropped completes, but its error is lost.
///
/// Reads, writes and seeks use the file's own cursor, as in std: handles made by
/// [`File::try_clone`] share it. The position `poll_complete` reports without a seek started is
/// the last seek's result moved by the bytes read and written since (in append mode, start a
/// seek to learn where the end is).
///
/// ```
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use zokio::io::{AsyncWrite, ReadBuf, AsyncRead};
///
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("zokio-doc-file-{}", std::process::id()));
/// let mut file = zokio::fs::File::create(&path).await.unwrap();
/// let n = poll_fn(|cx| Pin::new(&mut file).poll_write(cx, b"hello")).await.unwrap();
/// assert_eq!(n, 5);
/// poll_fn(|cx| Pin::new(&mut file).poll_flush(cx)).await.unwrap();
///
/// let mut file = zokio::fs::File::open(&path).await.unwrap();
/// let mut storage = [0u8; 16];
/// let mut buf = ReadBuf::new(&mut storage);
/// poll_fn(|cx| Pin::new(&mut file).poll_read(cx, &mut buf)).await.unwrap();
/// assert_eq!(buf.filled(), b"hello");
/// zokio::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
pub struct File {
    std: StdFile,
    inner: Mutex<Inner>,
}

impl File {
    /// Opens an existing file for reading.
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if it does not exist, and the other errors of `open(2)`.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating it or truncating it to length 0.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let mut opts = OpenOptions::new();
        opts.write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a new file for reading and writing; fails with
    /// [`io::ErrorKind::AlreadyExists`] if it exists.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        let mut opts = OpenOptions::new();
        opts.read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// A blank [`OpenOptions`], to open a file in another mode.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file; its cursor is where std left it.
    pub fn from_std(std: std::fs::File) -> File {
        let pos = sys::seek_now(&std, SeekFrom::Current(0)).unwrap_or(0);
        File::from_std_at(std, pos)
    }

    pub(crate) fn from_std_at(std: std::fs::File, pos: u64) -> File {
        let std = Arc::new(std);
        let inner = Mutex::new(Inner::new(std.clone(), pos));
        File { std, inner }
    }

    /// Waits for the operation in flight and returns the std file, its cursor just after the
    /// last byte handed out. The outcome of that operation is dropped: flush first to see it.
    pub async fn into_std(mut self) -> std::fs::File {
        let inner = self.inner.get_mut();
        let _ = inner.ready().await;
        inner.rewind_now();
        drop(self.inner);
        Arc::try_unwrap(self.std).unwrap_or_else(|shared| {
            // A cancelled `metadata` or `set_permissions` may still hold the file.
            shared
                .try_clone()
                .expect("failed to duplicate a file descriptor")
        })
    }

    /// The std file if no operation is in flight (nor any other use of the file), else `self`.
    #[allow(clippy::result_large_err)] // tokio's signature: the file itself comes back
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        let inner = self.inner.get_mut();
        if inner.is_busy() || Arc::strong_count(&self.std) > 2 {
            return Err(self);
        }
        inner.rewind_now();
        drop(self.inner);
        Ok(Arc::try_unwrap(self.std).expect("the file has no other owner"))
    }

    /// Flushes buffered writes, then data and metadata, to the device (`fsync`).
    pub async fn sync_all(&self) -> io::Result<()> {
        self.inner.lock().await.sync(false).await
    }

    /// Flushes buffered writes, then data (not necessarily metadata), to the device
    /// (`fdatasync`).
    pub async fn sync_data(&self) -> io::Result<()> {
        self.inner.lock().await.sync(true).await
    }

    /// Truncates the file or extends it with zeros to `size` bytes, after buffered writes. The
    /// cursor does not move.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        self.inner.lock().await.set_len(size).await
    }

    /// The file's metadata, once buffered writes are done.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.inner.lock().await.ready().await?;
        sys::file_metadata(self.std.clone()).await
    }

    /// A new `File` on the same open file (sharing its cursor), once buffered writes are done.
    pub async fn try_clone(&self) -> io::Result<File> {
        self.inner.lock().await.ready().await?;
        let std = sys::try_clone(self.std.clone()).await?;
        Ok(File::from_std(std))
    }

    /// Changes the file's permissions.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        sys::set_file_permissions(self.std.clone(), perm).await
    }

    /// Reads at the cursor into the spare capacity of `buf` (after its length), extends its
    /// length by the count read and returns the count with the buffer. 0 means end of file, or
    /// no spare capacity. If cancelled, the read still happens and its bytes are lost.
    ///
    /// ```
    /// # zokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let path = std::env::temp_dir().join(format!("zokio-doc-owned-{}", std::process::id()));
    /// let file = zokio::fs::File::create_new(&path).await.unwrap();
    /// let (res, _) = file.write_all_owned(b"owned".to_vec()).await;
    /// res.unwrap();
    /// let (res, buf) = file.read_at_owned(Vec::with_capacity(8), 1).await;
    /// assert_eq!((res.unwrap(), &buf[..]), (4, &b"wned"[..]));
    /// # zokio::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn read_owned(&self, buf: Vec<u8>) -> BufResult<usize> {
        self.inner.lock().await.read_owned(buf).await
    }

    /// Writes all of `buf` at the cursor, after buffered writes, and returns the buffer.
    pub async fn write_all_owned(&self, buf: Vec<u8>) -> BufResult<()> {
        self.inner.lock().await.write_all_owned(buf).await
    }

    /// Reads at `offset` into the spare capacity of `buf` like [`File::read_owned`], once
    /// buffered writes are done; the cursor does not move.
    #[cfg(unix)]
    pub async fn read_at_owned(&self, buf: Vec<u8>, offset: u64) -> BufResult<usize> {
        if let Err(e) = self.inner.lock().await.ready().await {
            return (Err(e), buf);
        }
        sys::read_at(self.std.clone(), buf, offset).await
    }

    /// Writes all of `buf` at `offset`, once buffered writes are done; the cursor does not move
    /// (except in append mode, where the system appends).
    #[cfg(unix)]
    pub async fn write_all_at_owned(&self, buf: Vec<u8>, offset: u64) -> BufResult<()> {
        if let Err(e) = self.inner.lock().await.ready().await {
            return (Err(e), buf);
        }
        sys::write_all_at(self.std.clone(), buf, offset).await
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("std", &self.std).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.get_mut().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_ready(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_ready(cx)
    }
}

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().inner.get_mut().start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().inner.get_mut().poll_complete(cx)
    }
}
