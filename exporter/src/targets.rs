//! The runtimes an exporter reads: the segments of this process (in-process endpoint), or of
//! every Zokio process of this user (the daemon). Found again at each collection, so a new
//! process is picked up at the next scrape and an exited one is dropped.

use crate::model::{MetricSet, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zokio_telemetry::{list_in, segment_dir, Reader, SegmentInfo, Snapshot};

/// Which processes to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The runtimes of the process with this pid.
    Process(u32),
    /// Every Zokio process of this user.
    All,
}

/// The open segments, by path.
#[derive(Debug)]
pub struct Targets {
    dir: PathBuf,
    which: Which,
    open: BTreeMap<PathBuf, (Reader, SegmentInfo)>,
    /// Segments that could not be opened or read, over the exporter's life.
    pub read_errors: u64,
}

impl Targets {
    /// The runtimes of this process, in the default segment directory.
    pub fn this_process() -> Targets {
        Targets::new(&segment_dir(), Which::Process(std::process::id()))
    }

    /// Every Zokio process of this user, in the default segment directory.
    pub fn all() -> Targets {
        Targets::new(&segment_dir(), Which::All)
    }

    /// `which` processes' segments in `dir`.
    pub fn new(dir: &Path, which: Which) -> Targets {
        Targets {
            dir: dir.to_owned(),
            which,
            open: BTreeMap::new(),
            read_errors: 0,
        }
    }

    /// Runtimes open after the last collection.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Finds the live segments, then adds each runtime's series to `set`.
    pub fn collect(&mut self, set: &mut MetricSet) {
        self.refresh();
        let mut gone = Vec::new();
        for (path, (reader, info)) in &self.open {
            match reader.counters() {
                Ok(snap) => set.add_runtime(target(info, &snap), &snap),
                Err(_) => {
                    self.read_errors += 1;
                    gone.push(path.clone());
                }
            }
        }
        for path in gone {
            self.open.remove(&path);
        }
    }

    /// Opens new live segments and forgets those no longer listed.
    fn refresh(&mut self) {
        let listing = match list_in(&self.dir) {
            Ok(l) => l,
            Err(_) => {
                self.read_errors += 1;
                return;
            }
        };
        // Segments of live processes that could not be read (corrupt, insecure mode...): an
        // error each time, so the counter keeps rising while the problem lasts.
        self.read_errors += listing.skipped.len() as u64;
        let live: Vec<SegmentInfo> = listing
            .segments
            .into_iter()
            .filter(|s| self.which == Which::All || self.which == Which::Process(s.pid))
            .collect();
        self.open
            .retain(|path, (_, old)| live.iter().any(|s| &s.path == path && s.pid == old.pid));
        for info in live {
            if self.open.contains_key(&info.path) {
                continue;
            }
            match Reader::open(&info.path) {
                Ok(reader) => {
                    self.open.insert(info.path.clone(), (reader, info));
                }
                Err(_) => self.read_errors += 1,
            }
        }
    }
}

fn target(info: &SegmentInfo, snap: &Snapshot) -> Target {
    Target {
        service: info.service_name.clone(),
        pid: info.pid,
        runtime: info.runtime_id,
        started_unix_ns: snap.header.created_unix_ns,
    }
}
