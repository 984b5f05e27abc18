//! The free functions of [`crate::fs`]: whole-file reads and writes, and operations on paths.
//!
//! Errors are the operating system's, as std reports them (with the OS message; the kind is
//! exact, e.g. [`io::ErrorKind::NotFound`] for a missing path).

use super::sys;
use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

fn owned(path: impl AsRef<Path>) -> PathBuf {
    path.as_ref().to_owned()
}

/// Reads the whole file at `path`.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("zokio-doc-read-{}", std::process::id()));
/// zokio::fs::write(&path, b"bytes").await.unwrap();
/// assert_eq!(zokio::fs::read(&path).await.unwrap(), b"bytes");
/// zokio::fs::remove_file(&path).await.unwrap();
/// let missing = zokio::fs::read(&path).await.unwrap_err();
/// assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
/// # });
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    sys::read_whole(owned(path)).await
}

/// Reads the whole file at `path` as UTF-8; [`io::ErrorKind::InvalidData`] if it is not.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    sys::read_to_string(owned(path)).await
}

/// Creates the file at `path` (or truncates it) and writes `contents` to it.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    sys::write_whole(owned(path), contents.as_ref().to_owned()).await
}

/// The metadata of `path`, following symlinks.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    sys::metadata(owned(path)).await
}

/// The metadata of `path` itself: a final symlink is not followed.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    sys::symlink_metadata(owned(path)).await
}

/// Whether `path` exists (following symlinks): `Ok(false)` if it does not, an error if that
/// cannot be told (e.g. permission denied on a parent).
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    sys::try_exists(owned(path)).await
}

/// Creates a directory; its parent must exist.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    sys::create_dir(owned(path)).await
}

/// Creates a directory and any missing parents; succeeds if it already exists.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    sys::create_dir_all(owned(path)).await
}

/// Removes a file (or symlink).
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    sys::remove_file(owned(path)).await
}

/// Removes an empty directory.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    sys::remove_dir(owned(path)).await
}

/// Removes a directory and everything in it. Symlinks inside are removed, not followed.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    sys::remove_dir_all(owned(path)).await
}

/// Renames `from` to `to`, replacing `to` if it exists (on the same filesystem).
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    sys::rename(owned(from), owned(to)).await
}

/// Copies the contents and permission bits of `from` to `to` (created or truncated); returns
/// the number of bytes copied.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    sys::copy(owned(from), owned(to)).await
}

/// Creates `dst` as a new hard link to the file `src`.
pub async fn hard_link(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> io::Result<()> {
    sys::hard_link(owned(src), owned(dst)).await
}

/// The absolute form of `path`, with every symlink, `.` and `..` resolved.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    sys::canonicalize(owned(path)).await
}

/// The target a symlink points to.
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    sys::read_link(owned(path)).await
}

/// Changes the permissions of `path`.
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    sys::set_permissions(owned(path), perm).await
}
