//! Discovery lists live processes only; stale segments are not listed and are cleaned up.

#![cfg(not(loom))]

mod common;

use common::{filled_segment, identity, small_config, TempDir};
use zokio_telemetry::*;

#[test]
fn lists_our_own_segment() {
    let dir = TempDir::new("list");
    let seg = filled_segment(dir.path());
    let listing = list_in(dir.path()).unwrap();
    assert_eq!((listing.segments.len(), listing.removed), (1, 0));
    assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
    let s = &listing.segments[0];
    assert_eq!((s.pid, s.runtime_id, s.workers), (std::process::id(), 1, 3));
    assert_eq!(
        (s.service_name.as_str(), s.backend.as_str()),
        ("orders", "io_uring")
    );
    assert_eq!(s.abi, (ABI_MAJOR, ABI_MINOR));
    assert_eq!(s.path, seg.path());
    assert!(s.uptime < std::time::Duration::from_secs(600));
}

#[test]
fn a_dead_pid_or_a_reused_pid_is_not_listed_and_is_removed() {
    let dir = TempDir::new("stale");
    let live = filled_segment(dir.path());
    // A pid above any kernel's pid_max: the process cannot exist.
    let mut dead = identity(7);
    dead.pid = 4_000_000_000;
    let dead = Segment::create_in(dir.path(), &small_config(), &dead).unwrap();
    // Our pid, but another start time: the pid was reused.
    let mut reused = identity(8);
    reused.start_time += 1;
    let reused = Segment::create_in(dir.path(), &small_config(), &reused).unwrap();

    let listing = list_in(dir.path()).unwrap();
    let listed: Vec<u64> = listing.segments.iter().map(|s| s.runtime_id).collect();
    assert_eq!(listed, vec![1]);
    assert_eq!(listing.removed, 2);
    assert!(!dead.path().exists() && !reused.path().exists() && live.path().exists());
}

#[test]
fn a_missing_directory_lists_nothing() {
    let dir = TempDir::new("missing");
    let listing = list_in(&dir.path().join("absent")).unwrap();
    assert!(listing.segments.is_empty() && listing.skipped.is_empty());
}

#[test]
fn open_pid_finds_the_first_runtime_of_a_live_process() {
    let dir = TempDir::new("open-pid");
    let _first = filled_segment(dir.path());
    let _second = Segment::create_in(dir.path(), &small_config(), &identity(5)).unwrap();
    let reader = Reader::open_pid_in(dir.path(), std::process::id()).unwrap();
    assert_eq!(reader.header().unwrap().runtime_id, 1);
    assert!(matches!(
        Reader::open_pid_in(dir.path(), 4_000_000_001),
        Err(Error::Gone)
    ));
}
