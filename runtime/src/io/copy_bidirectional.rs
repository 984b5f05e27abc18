//! [`copy_bidirectional`]: two copies at once, between two streams, each ending in a shutdown.

use super::copy::CopyBuffer;
use super::{AsyncRead, AsyncWrite};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Copies `a`'s bytes into `b` and `b`'s bytes into `a` at the same time, until both reach end
/// of stream; returns `(bytes a -> b, bytes b -> a)`.
///
/// When one direction's reader reaches end of stream, that direction's writer is flushed and
/// shut down (a TCP peer sees FIN) while the other direction keeps going. The first error of
/// either direction ends the whole copy. Not cancel safe: bytes read but not yet written are
/// lost.
///
/// ```
/// use zokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # zokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (mut client, mut proxy_left) = zokio::io::duplex(64);
/// let (mut proxy_right, mut server) = zokio::io::duplex(64);
/// let proxy = zokio::spawn(async move {
///     zokio::io::copy_bidirectional(&mut proxy_left, &mut proxy_right).await
/// });
/// client.write_all(b"ping").await.unwrap();
/// client.shutdown().await.unwrap();
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await.unwrap();
/// server.write_all(b"pong!").await.unwrap();
/// drop(server);
/// let mut reply = Vec::new();
/// client.read_to_end(&mut reply).await.unwrap();
/// assert_eq!((got.as_slice(), reply.as_slice()), (&b"ping"[..], &b"pong!"[..]));
/// assert_eq!(proxy.await.unwrap().unwrap(), (4, 5));
/// # });
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Transfer::Running(CopyBuffer::new());
    let mut b_to_a = Transfer::Running(CopyBuffer::new());
    poll_fn(|cx| {
        let ab = a_to_b.poll(cx, Pin::new(&mut *a), Pin::new(&mut *b))?;
        let ba = b_to_a.poll(cx, Pin::new(&mut *b), Pin::new(&mut *a))?;
        Poll::Ready(Ok((ready!(ab), ready!(ba))))
    })
    .await
}

/// One direction of a bidirectional copy.
enum Transfer {
    Running(CopyBuffer),
    ShuttingDown(u64),
    Done(u64),
}

impl Transfer {
    /// Drives this direction to `Done`; returns the bytes it copied.
    fn poll<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            *self = match self {
                Transfer::Running(buf) => {
                    let n = ready!(buf.poll_copy(cx, reader.as_mut(), writer.as_mut()))?;
                    Transfer::ShuttingDown(n)
                }
                Transfer::ShuttingDown(n) => {
                    ready!(writer.as_mut().poll_shutdown(cx))?;
                    Transfer::Done(*n)
                }
                Transfer::Done(n) => return Poll::Ready(Ok(*n)),
            }
        }
    }
}
