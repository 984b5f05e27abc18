//! [`ReadBuf`]: a caller's buffer that may be partly uninitialized, with a filled cursor.

use std::fmt;
use std::mem::MaybeUninit;

/// A byte buffer being read into: `filled <= initialized <= capacity`.
///
/// Readers write at [`ReadBuf::unfilled_mut`] or append with [`ReadBuf::put_slice`]; the part
/// before `filled` is what has been read so far. Tracking the initialized length lets a buffer of
/// uninitialized memory be reused without zeroing it again.
pub struct ReadBuf<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
    initialized: usize,
}

impl<'a> ReadBuf<'a> {
    /// Wraps an initialized buffer; nothing is filled yet.
    pub fn new(buf: &'a mut [u8]) -> ReadBuf<'a> {
        let initialized = buf.len();
        // SAFETY: `u8` and `MaybeUninit<u8>` have the same layout, and this type never writes
        // uninitialized bytes into the slice, so the caller's `[u8]` stays initialized.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        ReadBuf {
            buf,
            filled: 0,
            initialized,
        }
    }

    /// Wraps a buffer of possibly uninitialized memory.
    pub fn uninit(buf: &'a mut [MaybeUninit<u8>]) -> ReadBuf<'a> {
        ReadBuf {
            buf,
            filled: 0,
            initialized: 0,
        }
    }

    /// Total size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The bytes read so far.
    pub fn filled(&self) -> &[u8] {
        // SAFETY: `filled <= initialized`, so these bytes are initialized.
        unsafe { &*(&self.buf[..self.filled] as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    /// The bytes read so far, mutably.
    pub fn filled_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `filled`.
        unsafe { &mut *(&mut self.buf[..self.filled] as *mut [MaybeUninit<u8>] as *mut [u8]) }
    }

    /// The initialized part of the buffer (filled or not).
    pub fn initialized(&self) -> &[u8] {
        // SAFETY: the first `initialized` bytes were written.
        unsafe { &*(&self.buf[..self.initialized] as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    /// How many bytes can still be read into the buffer.
    pub fn remaining(&self) -> usize {
        self.capacity() - self.filled
    }

    /// A sub-buffer over the first `n` unfilled bytes (at most what remains).
    pub fn take(&mut self, n: usize) -> ReadBuf<'_> {
        let end = self.filled + n.min(self.remaining());
        let initialized = self.initialized.clamp(self.filled, end) - self.filled;
        let mut sub = ReadBuf::uninit(&mut self.buf[self.filled..end]);
        sub.initialized = initialized;
        sub
    }

    /// The unfilled part, zeroing whatever of it was not initialized yet.
    pub fn initialize_unfilled(&mut self) -> &mut [u8] {
        self.initialize_unfilled_to(self.remaining())
    }

    /// The first `n` unfilled bytes, zeroed where they were uninitialized.
    ///
    /// # Panics
    /// If `n` is more than [`ReadBuf::remaining`].
    pub fn initialize_unfilled_to(&mut self, n: usize) -> &mut [u8] {
        assert!(n <= self.remaining(), "n exceeds the unfilled capacity");
        let end = self.filled + n;
        if self.initialized < end {
            for b in &mut self.buf[self.initialized..end] {
                b.write(0);
            }
            self.initialized = end;
        }
        // SAFETY: `filled..end` is initialized (just ensured above).
        unsafe { &mut *(&mut self.buf[self.filled..end] as *mut [MaybeUninit<u8>] as *mut [u8]) }
    }

    /// The unfilled part, possibly uninitialized.
    ///
    /// # Safety
    /// The caller must not write uninitialized bytes (de-initialize) into it.
    pub unsafe fn unfilled_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        &mut self.buf[self.filled..]
    }

    /// Forgets what was read: `filled` becomes zero.
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Marks `n` more bytes as filled.
    ///
    /// # Panics
    /// If the filled region would cover uninitialized bytes.
    pub fn advance(&mut self, n: usize) {
        let filled = self.filled.checked_add(n).expect("filled overflow");
        self.set_filled(filled);
    }

    /// Sets the filled length.
    ///
    /// # Panics
    /// If `n` is beyond the initialized bytes.
    pub fn set_filled(&mut self, n: usize) {
        assert!(
            n <= self.initialized,
            "filled must not exceed the initialized part of the buffer"
        );
        self.filled = n;
    }

    /// Declares the first `n` unfilled bytes initialized.
    ///
    /// # Safety
    /// Those bytes must have been written.
    pub unsafe fn assume_init(&mut self, n: usize) {
        let end = self.filled + n;
        if end > self.initialized {
            self.initialized = end;
        }
    }

    /// Appends `src` after the filled bytes.
    ///
    /// # Panics
    /// If `src` is longer than [`ReadBuf::remaining`].
    pub fn put_slice(&mut self, src: &[u8]) {
        assert!(
            src.len() <= self.remaining(),
            "put_slice of {} bytes into a buffer with {} remaining",
            src.len(),
            self.remaining()
        );
        let start = self.filled;
        let end = start + src.len();
        // SAFETY: `MaybeUninit<u8>` has the layout of `u8`; we copy initialized bytes in.
        let dst =
            unsafe { &mut *(&mut self.buf[start..end] as *mut [MaybeUninit<u8>] as *mut [u8]) };
        dst.copy_from_slice(src);
        if self.initialized < end {
            self.initialized = end;
        }
        self.filled = end;
    }
}

impl fmt::Debug for ReadBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuf")
            .field("filled", &self.filled)
            .field("initialized", &self.initialized)
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_and_advance_track_filled_and_initialized() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 8];
        let mut buf = ReadBuf::uninit(&mut storage);
        buf.put_slice(b"abc");
        assert_eq!(buf.filled(), b"abc");
        assert_eq!(buf.remaining(), 5);
        assert_eq!(buf.initialize_unfilled_to(2), &[0, 0]);
        buf.advance(2);
        assert_eq!(buf.filled(), b"abc\0\0");
        assert_eq!(buf.initialized().len(), 5);
        let mut sub = buf.take(10);
        assert_eq!(sub.capacity(), 3);
        sub.put_slice(b"xyz");
        assert_eq!(sub.filled(), b"xyz");
    }

    #[test]
    #[should_panic(expected = "initialized")]
    fn filling_past_initialized_panics() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        ReadBuf::uninit(&mut storage).advance(1);
    }
}
