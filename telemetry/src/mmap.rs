//! A shared mapping of a segment file, seen as words.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// A `MAP_SHARED` mapping of a whole file, unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; all access to it goes through
// `words()`, i.e. atomics, so sharing or sending it between threads cannot race.
unsafe impl Send for Mapping {}
// SAFETY: as for `Send`: `&Mapping` only hands out atomics.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` shared, writable when `write`. `len` must be a non-zero multiple
    /// of 8 no larger than the file.
    pub(crate) fn new(fd: BorrowedFd<'_>, len: usize, write: bool) -> io::Result<Mapping> {
        if len == 0 || !len.is_multiple_of(8) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mapping length",
            ));
        }
        let prot = libc::PROT_READ | if write { libc::PROT_WRITE } else { 0 };
        // SAFETY: a fresh mapping at an address the kernel chooses; it aliases no Rust object.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or_else(io::Error::last_os_error)?;
        Ok(Mapping { ptr, len })
    }

    /// A private anonymous mapping of `len` zeroed bytes (a segment nobody else can map: the
    /// runtime's own counters when publication is off). `len` as for [`Mapping::new`].
    pub(crate) fn anonymous(len: usize) -> io::Result<Mapping> {
        if len == 0 || !len.is_multiple_of(8) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mapping length",
            ));
        }
        // SAFETY: a fresh anonymous mapping at an address the kernel chooses; it aliases no
        // Rust object and is zero-filled.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or_else(io::Error::last_os_error)?;
        Ok(Mapping { ptr, len })
    }

    /// The mapping as words. The pointer is page-aligned, so word-aligned, and the mapping lives
    /// as long as `self`. Callers must not touch words past the file's current end (see the
    /// reader's truncation check).
    #[inline]
    pub(crate) fn words(&self) -> &[AtomicU64] {
        // SAFETY: `ptr` is page-aligned and valid for `len` bytes (a multiple of 8) while `self`
        // lives; `AtomicU64` has the size and alignment of `u64` and any bit pattern is valid;
        // every access through the slice is atomic, so concurrent writers (this or another
        // process) do not make it a data race. A read-only mapping is only ever loaded from.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<AtomicU64>(), self.len / 8) }
    }

    /// The mapped length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly the mapping made in `new`, and no reference into it
        // outlives `self` (`words` borrows `self`).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}
