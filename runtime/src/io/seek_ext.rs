//! [`AsyncSeekExt`]: `seek`, `rewind` and `stream_position`, over any [`AsyncSeek`].

use super::AsyncSeek;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Seeking methods for every [`AsyncSeek`]: the async twins of [`std::io::Seek`]'s.
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use zokio::io::{AsyncReadExt, AsyncSeekExt};
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut file = Cursor::new(b"hello world".to_vec());
/// assert_eq!(file.seek(SeekFrom::End(-5)).await.unwrap(), 6);
/// let mut word = String::new();
/// file.read_to_string(&mut word).await.unwrap();
/// assert_eq!(word, "world");
/// assert_eq!(file.stream_position().await.unwrap(), 11);
/// file.rewind().await.unwrap();
/// assert_eq!(file.read_u8().await.unwrap(), b'h');
/// # });
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the cursor and returns the new position from the start of the stream.
    ///
    /// Not cancel safe: a cancelled seek may or may not have moved the cursor.
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek {
            seeker: self,
            pos,
            started: false,
        }
    }

    /// Moves the cursor back to the start of the stream.
    fn rewind(&mut self) -> Rewind<'_, Self>
    where
        Self: Unpin,
    {
        Rewind(self.seek(SeekFrom::Start(0)))
    }

    /// The cursor's position from the start of the stream.
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Future of [`AsyncSeekExt::seek`] and [`AsyncSeekExt::stream_position`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Seek<'a, S: ?Sized> {
    seeker: &'a mut S,
    pos: SeekFrom,
    started: bool,
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        let mut seeker = Pin::new(&mut *me.seeker);
        if !me.started {
            // Finish a seek someone else started (or nothing) before starting ours.
            ready!(seeker.as_mut().poll_complete(cx))?;
            seeker.as_mut().start_seek(me.pos)?;
            me.started = true;
        }
        seeker.poll_complete(cx)
    }
}

/// Future of [`AsyncSeekExt::rewind`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Rewind<'a, S: ?Sized>(Seek<'a, S>);

impl<S: AsyncSeek + Unpin + ?Sized> Future for Rewind<'_, S> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll(cx).map_ok(drop)
    }
}
