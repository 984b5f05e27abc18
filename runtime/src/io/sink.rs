//! [`sink`]: a writer that accepts and discards everything.

use super::AsyncWrite;
use crate::runtime::coop;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A writer that accepts every byte and discards it; made by [`sink`].
#[derive(Debug, Clone, Copy)]
pub struct Sink {
    _priv: (),
}

/// A writer that accepts every byte and discards it.
///
/// ```
/// use zokio::io::AsyncWriteExt;
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(zokio::io::sink().write(b"gone").await.unwrap(), 4);
/// # });
/// ```
pub fn sink() -> Sink {
    Sink { _priv: () }
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        coop::poll_budgeted(cx, |_| Poll::Ready(Ok(buf.len())))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total = bufs.iter().map(|b| b.len()).sum();
        coop::poll_budgeted(cx, |_| Poll::Ready(Ok(total)))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
