//! Files a reader must refuse, and a file that shrinks under the reader's mapping.

#![cfg(not(loom))]

mod common;

use common::{filled_segment, TempDir};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zokio_telemetry::*;

/// Writes `bytes` to a new file `name` in `dir` with `mode`.
fn write_file(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)
        .unwrap();
    f.write_all(bytes).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn a_file_readable_by_others_is_refused() {
    let dir = TempDir::new("mode");
    let seg = filled_segment(dir.path());
    let copy = write_file(
        dir.path(),
        "copy-0644",
        &fs::read(seg.path()).unwrap(),
        0o644,
    );
    let err = Reader::open(&copy).unwrap_err();
    assert!(matches!(err, Error::Insecure { mode: 0o644 }), "{err}");
    assert!(err.to_string().contains("mode 644"));
    let ok = write_file(
        dir.path(),
        "copy-0600",
        &fs::read(seg.path()).unwrap(),
        0o600,
    );
    assert_eq!(
        Reader::open(&ok)
            .unwrap()
            .snapshot()
            .unwrap()
            .header
            .service_name,
        "orders"
    );
}

#[test]
fn a_symlink_is_not_followed() {
    let dir = TempDir::new("symlink");
    let seg = filled_segment(dir.path());
    let link = dir.path().join("link.seg");
    std::os::unix::fs::symlink(seg.path(), &link).unwrap();
    let err = Reader::open(&link).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn an_unknown_major_version_names_both_versions() {
    let dir = TempDir::new("version");
    let seg = filled_segment(dir.path());
    let mut bytes = fs::read(seg.path()).unwrap();
    bytes[8..16].copy_from_slice(&(2u64 << 32 | 3).to_ne_bytes());
    let path = write_file(dir.path(), "v2", &bytes, 0o600);
    let err = Reader::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::VersionMismatch {
                found: (2, 3),
                supported: 1
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("ABI 2.3") && err.to_string().contains("ABI 1.x"));
}

#[test]
fn a_segment_without_magic_is_not_zokio() {
    let dir = TempDir::new("magic");
    let path = write_file(dir.path(), "zeros", &[0u8; 4096], 0o600);
    assert!(matches!(Reader::open(&path), Err(Error::NotZokio)));
    let empty = write_file(dir.path(), "empty", &[], 0o600);
    assert!(matches!(Reader::open(&empty), Err(Error::NotZokio)));
}

#[test]
fn a_file_truncated_after_mapping_gives_an_error_not_sigbus() {
    let dir = TempDir::new("truncate");
    let seg = filled_segment(dir.path());
    let reader = Reader::open(seg.path()).unwrap();
    assert!(reader.snapshot().is_ok());
    OpenOptions::new()
        .write(true)
        .open(seg.path())
        .unwrap()
        .set_len(4096)
        .unwrap();
    let err = reader.snapshot().unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("shrank"), "{err}");
    assert!(reader.events(0, &mut EventCursor::new()).is_err());
    assert!(reader.header().is_err());
    // A new reader sees the header's size disagree with the file's.
    let err = Reader::open(seg.path()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}
