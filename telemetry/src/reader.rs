//! The readers: [`Reader`] over a segment file, [`SliceReader`] over bytes. Both validate the
//! whole layout before any other access and run the same reading code.
//!
//! # Never SIGBUS
//!
//! A mapped file that shrinks under its mapping raises SIGBUS on access to the lost pages. The
//! writer never shrinks its file: it unlinks it on exit, which keeps the pages readable. So only
//! another process of the same user (the file is 0600 and checked to be ours) could truncate it.
//! [`Reader`] guards against that with `fstat` before every read: a file shorter than the mapping
//! is an error, a file with no links left is [`Error::Gone`]. The race that remains is a
//! truncation between that check and the loads of the same call (microseconds), by a process of
//! the same user acting against us. Copying with `pread` instead would close it, but a copy is
//! not word-atomic, so counters could be read torn; the mapping keeps the promise that every
//! counter is read whole.

use crate::dir::{check_private, euid, open_raw, segment_dir};
use crate::error::{corrupt, Error, Result};
use crate::identity::process_start_time;
use crate::layout::Layout;
use crate::mmap::Mapping;
use crate::ring::{EventBatch, EventCursor};
use crate::snapshot::{HeaderInfo, Snapshot};
use crate::view::View;
use crate::words::ByteWords;
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Largest segment file a reader maps.
const MAX_FILE: u64 = 16 << 30;

/// A read-only view of a running process's segment.
#[derive(Debug)]
pub struct Reader {
    file: File,
    map: Mapping,
    view: View,
    path: PathBuf,
}

impl Reader {
    /// Opens and validates the segment file at `path`: no symlink, owned by us (or we are root),
    /// no group or other permission bits; mapped read-only.
    pub fn open(path: &Path) -> Result<Reader> {
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let file = File::from(open_raw(None, path, flags, 0).map_err(open_error)?);
        let meta = file.metadata()?;
        check_owner(&meta, path)?;
        if !meta.is_file() || meta.len() < 8 {
            return Err(Error::NotZokio);
        }
        if meta.len() % 8 != 0 || meta.len() > MAX_FILE {
            return Err(corrupt!("file size {} is not a segment's", meta.len()));
        }
        let map = Mapping::new(file.as_fd(), meta.len() as usize, false)?;
        let view = View::new(map.words(), meta.len())?;
        Ok(Reader {
            file,
            map,
            view,
            path: path.to_owned(),
        })
    }

    /// Opens the segment of process `pid` in [`segment_dir`] (its first runtime's), checking
    /// that the process is alive and is the one that wrote it.
    pub fn open_pid(pid: u32) -> Result<Reader> {
        Reader::open_pid_in(&segment_dir(), pid)
    }

    /// [`Reader::open_pid`] in directory `dir`.
    pub fn open_pid_in(dir: &Path, pid: u32) -> Result<Reader> {
        let mut candidates: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                crate::discovery::parse_name(&e.file_name())
                    .filter(|n| n.0 == pid)
                    .map(|n| (n.1, e.path()))
            })
            .collect();
        candidates.sort();
        let (_, path) = candidates.into_iter().next().ok_or(Error::Gone)?;
        let reader = Reader::open(&path)?;
        let header = reader.header()?;
        match process_start_time(pid) {
            Ok(t) if t == header.start_time && header.pid == pid => Ok(reader),
            _ => Err(Error::Gone),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The validated layout.
    pub fn layout(&self) -> &Layout {
        &self.view.layout
    }

    /// The header.
    pub fn header(&self) -> Result<HeaderInfo> {
        self.check_file()?;
        Ok(self.view.header(self.map.words()))
    }

    /// Everything in the segment now.
    pub fn snapshot(&self) -> Result<Snapshot> {
        self.check_file()?;
        Ok(self.view.snapshot(self.map.words()))
    }

    /// Everything but the task table (left empty): the counters, pools, I/O and strings, for
    /// readers that scrape often and need no per-task data (the task table is the bulk of a
    /// segment: 128 bytes per slot).
    pub fn counters(&self) -> Result<Snapshot> {
        self.check_file()?;
        Ok(self.view.read(self.map.words(), false))
    }

    /// The events of `worker`'s ring from `cursor` on; advances the cursor.
    pub fn events(&self, worker: usize, cursor: &mut EventCursor) -> Result<EventBatch> {
        self.check_file()?;
        self.view.events(self.map.words(), worker, cursor)
    }

    /// A cursor at the oldest event still in `worker`'s ring (so nothing is counted lost for
    /// events overwritten before the reader attached).
    pub fn oldest_cursor(&self, worker: usize) -> Result<EventCursor> {
        self.check_file()?;
        self.view.oldest(self.map.words(), worker)
    }

    /// The file still covers the mapping (so no access can SIGBUS) and still has a name.
    fn check_file(&self) -> Result<()> {
        let meta = self.file.metadata()?;
        if meta.nlink() == 0 {
            return Err(Error::Gone);
        }
        if meta.len() < self.map.len() as u64 {
            return Err(corrupt!(
                "the file shrank from {} to {} bytes while mapped",
                self.map.len(),
                meta.len()
            ));
        }
        Ok(())
    }
}

/// `ELOOP` (a symlink under `O_NOFOLLOW`) is named as such.
fn open_error(e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return corrupt!("the segment path is a symbolic link");
    }
    e.into()
}

/// The owner and mode checks, with the reader's error kinds.
fn check_owner(meta: &std::fs::Metadata, path: &Path) -> Result<()> {
    if meta.uid() != euid() && euid() != 0 {
        return Err(Error::PermissionDenied { owner: meta.uid() });
    }
    check_private(meta, path, 0o077).map_err(|_| Error::Insecure {
        mode: meta.mode() & 0o7777,
    })
}

/// A reader over bytes (a copy of a segment, or anything else): the same validation and reading
/// code as [`Reader`], for tests and fuzzing.
#[derive(Debug, Clone)]
pub struct SliceReader<'a> {
    words: ByteWords<'a>,
    view: View,
}

impl<'a> SliceReader<'a> {
    /// Validates `bytes` as a segment.
    pub fn new(bytes: &'a [u8]) -> Result<SliceReader<'a>> {
        let words = ByteWords(bytes);
        let view = View::new(&words, bytes.len() as u64)?;
        Ok(SliceReader { words, view })
    }

    /// The validated layout.
    pub fn layout(&self) -> &Layout {
        &self.view.layout
    }

    /// The header.
    pub fn header(&self) -> HeaderInfo {
        self.view.header(&self.words)
    }

    /// Everything in the segment.
    pub fn snapshot(&self) -> Snapshot {
        self.view.snapshot(&self.words)
    }

    /// The events of `worker`'s ring from `cursor` on.
    pub fn events(&self, worker: usize, cursor: &mut EventCursor) -> Result<EventBatch> {
        self.view.events(&self.words, worker, cursor)
    }
}
