//! Where segments live, and the checks that keep them private to their user.
//!
//! The directory is, in order of preference: `$ZOKIO_TELEMETRY_DIR` (tests, unusual setups);
//! `$XDG_RUNTIME_DIR/zokio` when `XDG_RUNTIME_DIR` is set and on tmpfs; `/dev/shm/zokio-<uid>`.
//! It is created mode 0700 and, before each use, opened with `O_NOFOLLOW` and checked with
//! `fstat`: a directory, owned by us, no group or other permission bits. Segment files are created
//! inside it through that descriptor (`openat`, `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600), so a
//! directory swapped for a symlink after the check is not followed.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Overrides the segment directory.
pub const DIR_ENV: &str = "ZOKIO_TELEMETRY_DIR";

/// `ZOKIO_TELEMETRY=off` disables publication.
pub const SWITCH_ENV: &str = "ZOKIO_TELEMETRY";

/// `statfs` magic of tmpfs.
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// Whether publication is enabled (`ZOKIO_TELEMETRY` is not `off`).
pub fn enabled() -> bool {
    std::env::var_os(SWITCH_ENV).is_none_or(|v| v != "off")
}

/// The segment directory for this user (see the module docs); it may not exist yet.
pub fn segment_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(xdg) if is_tmpfs(&xdg) => xdg.join("zokio"),
        _ => PathBuf::from(format!("/dev/shm/zokio-{}", euid())),
    }
}

/// The effective uid of this process.
pub(crate) fn euid() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Whether `path` is on tmpfs.
fn is_tmpfs(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: an all-zero `statfs` is a valid value of the plain C struct.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out pointer for the call.
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    rc == 0 && st.f_type as i64 == TMPFS_MAGIC
}

/// An open, checked private directory.
#[derive(Debug)]
pub(crate) struct PrivateDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `path` (mode 0700) if missing, then opens and checks it.
    pub(crate) fn create(path: &Path) -> io::Result<PrivateDir> {
        match std::fs::DirBuilder::new().mode(0o700).create(path) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        PrivateDir::open(path)
    }

    /// Opens `path` without following a symlink and checks it is ours and private.
    pub(crate) fn open(path: &Path) -> io::Result<PrivateDir> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let fd = open_raw(None, path, flags, 0)?;
        let meta = File::from(fd.try_clone()?).metadata()?;
        check_private(&meta, path, 0o077)?;
        Ok(PrivateDir {
            fd,
            path: path.to_owned(),
        })
    }

    /// Creates file `name` in the directory: `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600.
    pub(crate) fn create_file(&self, name: &str) -> io::Result<File> {
        let flags =
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        open_raw(Some(&self.fd), Path::new(name), flags, 0o600).map(File::from)
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// `openat(dir or AT_FDCWD, path, flags, mode)`.
pub(crate) fn open_raw(
    dir: Option<&OwnedFd>,
    path: &Path,
    flags: i32,
    mode: u32,
) -> io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    let at = dir.map_or(libc::AT_FDCWD, |d| d.as_fd().as_raw_fd());
    // SAFETY: `c` is NUL-terminated and outlives the call; `at` is a directory fd we own or
    // `AT_FDCWD`.
    let fd = unsafe { libc::openat(at, c.as_ptr(), flags, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by `openat` and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Checks `meta` is owned by us (root may read anyone's) and has none of the `forbidden` mode
/// bits; the error names the owner or the mode.
pub(crate) fn check_private(
    meta: &std::fs::Metadata,
    path: &Path,
    forbidden: u32,
) -> io::Result<()> {
    let me = euid();
    if meta.uid() != me && me != 0 {
        let msg = format!(
            "{} is owned by uid {}, not by us (uid {me})",
            path.display(),
            meta.uid()
        );
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, msg));
    }
    if meta.mode() & forbidden != 0 {
        let msg = format!(
            "{} has mode {:o}: group or others may access it",
            path.display(),
            meta.mode() & 0o7777
        );
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, msg));
    }
    Ok(())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    pub(crate) fn temp_dir(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("zokio-dir-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn created_private_and_refused_when_opened_up() {
        let p = temp_dir("mode");
        PrivateDir::create(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o700);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = PrivateDir::open(&p).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("mode 755"), "{err}");
        std::fs::remove_dir_all(&p).unwrap();
    }

    #[test]
    fn a_symlinked_dir_is_refused() {
        let (real, link) = (temp_dir("real"), temp_dir("link"));
        PrivateDir::create(&real).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(PrivateDir::open(&link).is_err());
        std::fs::remove_file(&link).unwrap();
        std::fs::remove_dir_all(&real).unwrap();
    }
}
