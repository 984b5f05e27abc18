//! [`read_dir`], [`ReadDir`] and [`DirEntry`]: listing a directory.

use super::sys;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// Entries read per trip to the blocking pool.
const BATCH: usize = 32;

type Batch = (Option<std::fs::ReadDir>, Vec<io::Result<sys::Entry>>);

/// Opens the directory at `path` for listing. `.` and `..` are not listed; the order is the
/// filesystem's.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("zokio-doc-dir-{}", std::process::id()));
/// zokio::fs::create_dir(&dir).await.unwrap();
/// zokio::fs::write(dir.join("a"), b"").await.unwrap();
/// let mut entries = zokio::fs::read_dir(&dir).await.unwrap();
/// let entry = entries.next_entry().await.unwrap().unwrap();
/// assert_eq!(entry.file_name(), "a");
/// assert!(entry.file_type().await.unwrap().is_file());
/// assert!(entries.next_entry().await.unwrap().is_none());
/// zokio::fs::remove_dir_all(&dir).await.unwrap();
/// # });
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let dir = sys::read_dir(path.as_ref().to_owned()).await?;
    Ok(ReadDir {
        dir: Some(dir),
        ready: VecDeque::new(),
        pending: None,
    })
}

/// A directory listing, read in batches on the blocking pool.
pub struct ReadDir {
    /// The listing, unless exhausted or lent to `pending`.
    dir: Option<std::fs::ReadDir>,
    ready: VecDeque<io::Result<sys::Entry>>,
    pending: Option<Pin<Box<dyn Future<Output = Batch> + Send + Sync>>>,
}

impl ReadDir {
    /// The next entry, or `None` once the listing is exhausted.
    ///
    /// Cancel safe: an entry is only taken from the listing by the call that returns it.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` once the listing is exhausted.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Poll::Ready(entry.map(|e| Some(DirEntry::new(e))));
            }
            if let Some(batch) = &mut self.pending {
                (self.dir, self.ready) = {
                    let (dir, entries) = ready!(batch.as_mut().poll(cx));
                    (dir, entries.into())
                };
                self.pending = None;
                continue;
            }
            let Some(dir) = self.dir.take() else {
                return Poll::Ready(Ok(None));
            };
            self.pending = Some(Box::pin(sys::next_entries(dir, BATCH)));
        }
    }
}

impl std::fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadDir")
            .field("buffered", &self.ready.len())
            .field("reading", &self.pending.is_some())
            .finish()
    }
}

/// One entry of a [`ReadDir`] listing.
#[derive(Debug)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    file_type: Option<FileType>,
}

impl DirEntry {
    fn new((std, file_type): sys::Entry) -> DirEntry {
        DirEntry {
            std: Arc::new(std),
            file_type,
        }
    }

    /// The full path: the listed directory's path joined with [`DirEntry::file_name`].
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without any leading path.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata; a symlink is not followed.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        sys::entry_metadata(self.std.clone()).await
    }

    /// The entry's type (file, directory, symlink, ...); a symlink is not followed. Usually known
    /// from the listing itself, with no further system call.
    pub async fn file_type(&self) -> io::Result<FileType> {
        match self.file_type {
            Some(ty) => Ok(ty),
            None => sys::entry_file_type(self.std.clone()).await,
        }
    }

    /// The inode number of the entry.
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        use std::os::unix::fs::DirEntryExt;
        self.std.ino()
    }
}
