//! [`repeat`]: a reader that yields one byte forever.

use super::{AsyncRead, ReadBuf};
use crate::runtime::coop;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A reader that yields the same byte forever; made by [`repeat`].
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    byte: u8,
}

/// A reader that yields `byte` forever (combine with
/// [`take`](super::AsyncReadExt::take) for a finite stream).
///
/// ```
/// use zokio::io::AsyncReadExt;
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut buf = [0; 3];
/// zokio::io::repeat(b'z').read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"zzz");
/// # });
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

impl AsyncRead for Repeat {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        coop::poll_budgeted(cx, |_| {
            let n = buf.remaining();
            buf.initialize_unfilled_to(n).fill(self.byte);
            buf.advance(n);
            Poll::Ready(Ok(()))
        })
    }
}
