//! Discovery: the segments of this user's live Zokio processes.
//!
//! A segment is listed only if its process is alive and is the process that wrote it: the pid in
//! the file name and the header agree, `/proc/<pid>` exists, and its start time equals the
//! header's. A segment left by a process killed with SIGKILL (or whose pid now names another
//! process) is not listed, and is removed when it is ours.

use crate::dir::{euid, segment_dir, PrivateDir};
use crate::error::Error;
use crate::identity::process_start_time;
use crate::reader::Reader;
use std::ffi::OsStr;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A live segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The file.
    pub path: PathBuf,
    /// Process id.
    pub pid: u32,
    /// Process name.
    pub process_name: String,
    /// Service name.
    pub service_name: String,
    /// Runtime id within the process.
    pub runtime_id: u64,
    /// Worker threads.
    pub workers: usize,
    /// I/O backend.
    pub backend: String,
    /// Why that backend.
    pub backend_reason: String,
    /// Time since the segment was created.
    pub uptime: Duration,
    /// ABI version, `(major, minor)`.
    pub abi: (u32, u32),
}

/// What [`list`] found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Live segments, by pid then runtime id.
    pub segments: Vec<SegmentInfo>,
    /// Files of live processes that could not be read, with the reason.
    pub skipped: Vec<(PathBuf, Error)>,
    /// Stale segments (dead or reused pid) that were removed.
    pub removed: usize,
}

/// The live segments in [`segment_dir`].
pub fn list() -> io::Result<Listing> {
    list_in(&segment_dir())
}

/// The live segments in `dir` (an empty listing if it does not exist).
pub fn list_in(dir: &Path) -> io::Result<Listing> {
    let mut listing = Listing::default();
    match PrivateDir::open(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listing),
        other => other?,
    };
    for entry in std::fs::read_dir(dir)?.filter_map(|e| e.ok()) {
        if let Some((pid, _)) = parse_name(&entry.file_name()) {
            visit(&entry.path(), pid, &mut listing);
        }
    }
    listing.segments.sort_by_key(|s| (s.pid, s.runtime_id));
    Ok(listing)
}

/// `<pid>-<runtime id>.seg` → `(pid, runtime id)`.
pub(crate) fn parse_name(name: &OsStr) -> Option<(u32, u64)> {
    let (pid, runtime) = name.to_str()?.strip_suffix(".seg")?.split_once('-')?;
    Some((pid.parse().ok()?, runtime.parse().ok()?))
}

fn visit(path: &Path, pid: u32, listing: &mut Listing) {
    let header = Reader::open(path).and_then(|r| r.header());
    let alive = process_start_time(pid).ok();
    match header {
        Ok(h) if h.pid == pid && alive == Some(h.start_time) => {
            listing.segments.push(info(path, h))
        }
        Ok(h) if h.pid == pid => remove_stale(path, listing),
        Ok(_) => listing.skipped.push((
            path.to_owned(),
            Error::Corrupt("file name and header name different pids".into()),
        )),
        Err(_) if alive.is_none() => remove_stale(path, listing),
        Err(e) => listing.skipped.push((path.to_owned(), e)),
    }
}

fn remove_stale(path: &Path, listing: &mut Listing) {
    let ours = std::fs::symlink_metadata(path).is_ok_and(|m| m.uid() == euid() && m.is_file());
    if ours && std::fs::remove_file(path).is_ok() {
        listing.removed += 1;
    }
}

fn info(path: &Path, h: crate::HeaderInfo) -> SegmentInfo {
    let now = crate::identity::unix_now_ns();
    SegmentInfo {
        path: path.to_owned(),
        pid: h.pid,
        process_name: h.process_name,
        service_name: h.service_name,
        runtime_id: h.runtime_id,
        workers: h.workers,
        backend: h.backend,
        backend_reason: h.backend_reason,
        uptime: Duration::from_nanos(now.saturating_sub(h.created_unix_ns)),
        abi: (h.abi_major, h.abi_minor),
    }
}
