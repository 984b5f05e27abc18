//! What every stream type shares (each has a `core: StreamCore` field): the trait impls, the
//! common methods,
//! borrowed and owned halves of `split`/`into_split`, and the owned-buffer helpers.

use crate::io::ReadBuf;
use std::future::poll_fn;
use std::io;
use std::task::{ready, Context, Poll};

/// Reads into `buf`'s spare capacity with `read`; returns the count and the buffer.
pub(crate) async fn read_owned(
    mut buf: Vec<u8>,
    mut read: impl FnMut(&mut Context<'_>, &mut ReadBuf<'_>) -> Poll<io::Result<()>>,
) -> (io::Result<usize>, Vec<u8>) {
    if buf.capacity() == buf.len() {
        buf.reserve(8 * 1024);
    }
    let len = buf.len();
    let res = poll_fn(|cx| {
        let mut rb = ReadBuf::uninit(buf.spare_capacity_mut());
        ready!(read(cx, &mut rb))?;
        Poll::Ready(Ok(rb.filled().len()))
    })
    .await;
    if let Ok(n) = res {
        // SAFETY: `n` bytes of the spare capacity were filled (initialized) by the read.
        unsafe { buf.set_len(len + n) };
    }
    (res, buf)
}

/// Writes all of `buf` with `write`, then flushes.
pub(crate) async fn write_all(
    buf: &[u8],
    mut write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
    mut flush: impl FnMut(&mut Context<'_>) -> Poll<io::Result<()>>,
) -> io::Result<()> {
    let mut off = 0;
    while off < buf.len() {
        match poll_fn(|cx| write(cx, &buf[off..])).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => off += n,
        }
    }
    poll_fn(|cx| flush(cx)).await
}

/// Implements zokio's, futures-io's and (with `tokio-compat`) tokio's I/O traits for a stream
/// type whose `core` field is a `StreamCore` (invoked in the type's own module).
macro_rules! stream_impls {
    ($t:ty) => {
        impl $crate::io::AsyncRead for $t {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.core.poll_read(cx, buf)
            }
        }

        impl $crate::io::AsyncWrite for $t {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.core.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.core.poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.core.poll_flush(cx)
            }

            fn poll_shutdown(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.core.poll_shutdown(cx)
            }
        }

        $crate::io::impl_compat_traits!($t);
    };
}
pub(crate) use stream_impls;

/// The methods every stream type has, over its `core` field (invoked inside its `impl`).
macro_rules! stream_methods {
    () => {
        /// Waits until the stream may be readable.
        pub async fn readable(&self) -> ::std::io::Result<()> {
            self.core.ready($crate::io::driver::Direction::Read).await
        }

        /// Waits until the stream may be writable.
        pub async fn writable(&self) -> ::std::io::Result<()> {
            self.core.ready($crate::io::driver::Direction::Write).await
        }

        /// Reads what is available without waiting; `WouldBlock` if nothing is.
        pub fn try_read(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
            self.core.try_read(buf)
        }

        /// Writes what fits without waiting; `WouldBlock` if nothing does.
        pub fn try_write(&self, buf: &[u8]) -> ::std::io::Result<usize> {
            self.core.try_write(buf)
        }

        /// Reads what is available into `bufs`, each filled before the next, without waiting;
        /// `WouldBlock` if nothing is.
        pub fn try_read_vectored(
            &self,
            bufs: &mut [::std::io::IoSliceMut<'_>],
        ) -> ::std::io::Result<usize> {
            self.core.try_read_vectored(bufs)
        }

        /// Reads what is available into the spare capacity of `buf` (a `bytes::BufMut`) and
        /// advances it, without waiting; `WouldBlock` if nothing is.
        pub fn try_read_buf<B: ::bytes::BufMut + ?Sized>(
            &self,
            buf: &mut B,
        ) -> ::std::io::Result<usize> {
            self.core.try_read_buf(buf)
        }

        /// Writes what fits of `bufs`, in order, without waiting; `WouldBlock` if nothing does.
        pub fn try_write_vectored(
            &self,
            bufs: &[::std::io::IoSlice<'_>],
        ) -> ::std::io::Result<usize> {
            self.core.try_write_vectored(bufs)
        }

        /// Waits until the stream may be ready for any of `interest`; returns what it was
        /// found ready for (with `READ_CLOSED` once the peer has closed its side). Readiness
        /// can be stale: the call it announces may still return `WouldBlock`.
        pub async fn ready(
            &self,
            interest: $crate::io::Interest,
        ) -> ::std::io::Result<$crate::io::Ready> {
            ::std::future::poll_fn(|cx| self.core.poll_ready_interest(cx, interest)).await
        }

        /// Polls for read readiness: `Ready(Ok(()))` when a read may make progress, else
        /// registers the task to be woken when one may.
        pub fn poll_read_ready(
            &self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            self.core
                .poll_ready_interest(cx, $crate::io::Interest::READABLE)
                .map_ok(drop)
        }

        /// Polls for write readiness (see [`Self::poll_read_ready`]).
        pub fn poll_write_ready(
            &self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            self.core
                .poll_ready_interest(cx, $crate::io::Interest::WRITABLE)
                .map_ok(drop)
        }

        /// Runs `f`, a non-blocking call on the socket's descriptor of the caller's choosing
        /// (`recvmsg` with flags, `sendmsg` with ancillary data), once, without waiting. If it
        /// returns `WouldBlock`, the readiness of `interest` is forgotten, so the next wait for
        /// it waits for a new event.
        ///
        /// On io_uring the stream reads through a receive of its own once it has been read
        /// with `read` or `peek`; from then on `Interest::READABLE` here fails with
        /// `ErrorKind::Unsupported` (a raw read beside that receive would miss or reorder
        /// bytes): a stream read with raw calls should be read only with them, `try_read` and
        /// `readable()`/`ready()`. With `Interest::WRITABLE`, bytes written before through the
        /// stream go out first (`WouldBlock` until they have).
        pub fn try_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> ::std::io::Result<R>,
        ) -> ::std::io::Result<R> {
            self.core.try_io(interest, f)
        }

        /// Waits for `interest` and runs `f` (see [`Self::try_io`]) until it does not return
        /// `WouldBlock`.
        pub async fn async_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnMut() -> ::std::io::Result<R>,
        ) -> ::std::io::Result<R> {
            self.core.async_io(interest, f).await
        }

        /// Reads into the spare capacity of an owned buffer (8 KiB is reserved if it has
        /// none) and returns the result with the buffer, the bytes read appended to it.
        pub async fn read_owned(&self, buf: Vec<u8>) -> (::std::io::Result<usize>, Vec<u8>) {
            $crate::net::split::read_owned(buf, |cx, rb| self.core.poll_read(cx, rb)).await
        }

        /// Writes the whole owned buffer (handing it to the kernel) and returns the buffer.
        pub async fn write_all_owned(&self, buf: Vec<u8>) -> (::std::io::Result<()>, Vec<u8>) {
            let res = $crate::net::split::write_all(
                &buf,
                |cx, b| self.core.poll_write(cx, b),
                |cx| self.core.poll_flush(cx),
            )
            .await;
            (res, buf)
        }

        /// Splits into a read half and a write half that borrow the stream.
        pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
            (ReadHalf(self), WriteHalf(self))
        }

        /// Splits into owned halves that can move to different tasks; `OwnedReadHalf::reunite`
        /// puts them back together. Dropping the write half shuts the write direction down.
        pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
            let arc = ::std::sync::Arc::new(self);
            (
                OwnedReadHalf(arc.clone()),
                OwnedWriteHalf {
                    inner: arc,
                    shutdown_on_drop: true,
                },
            )
        }
    };
}
pub(crate) use stream_methods;

/// Defines `ReadHalf`, `WriteHalf`, `OwnedReadHalf`, `OwnedWriteHalf` and `ReuniteError` for a
/// stream type in the calling module.
macro_rules! stream_halves {
    ($t:ident) => {
        /// The read half of a stream split by reference.
        #[derive(Debug)]
        pub struct ReadHalf<'a>(&'a $t);

        /// The write half of a stream split by reference.
        #[derive(Debug)]
        pub struct WriteHalf<'a>(&'a $t);

        /// The owned read half of a stream.
        #[derive(Debug)]
        pub struct OwnedReadHalf(::std::sync::Arc<$t>);

        /// The owned write half of a stream; dropping it shuts the write direction down.
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            inner: ::std::sync::Arc<$t>,
            shutdown_on_drop: bool,
        }

        /// The halves given to `reunite` came from different streams.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl ::std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl ::std::error::Error for ReuniteError {}

        impl OwnedReadHalf {
            /// Puts the stream back together; fails if `other` came from another stream.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$t, ReuniteError> {
                if !::std::sync::Arc::ptr_eq(&self.0, &other.inner) {
                    return Err(ReuniteError(self, other));
                }
                let mut other = other;
                other.shutdown_on_drop = false;
                let inner = other.inner.clone();
                drop(other);
                drop(self);
                Ok(::std::sync::Arc::try_unwrap(inner).expect("both halves were given back"))
            }
        }

        impl OwnedWriteHalf {
            /// Drops the half without shutting the write direction down.
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    let _ = self.inner.core.shutdown(::std::net::Shutdown::Write);
                }
            }
        }

        impl AsRef<$t> for ReadHalf<'_> {
            fn as_ref(&self) -> &$t {
                self.0
            }
        }

        impl AsRef<$t> for WriteHalf<'_> {
            fn as_ref(&self) -> &$t {
                self.0
            }
        }

        impl AsRef<$t> for OwnedReadHalf {
            fn as_ref(&self) -> &$t {
                &self.0
            }
        }

        impl AsRef<$t> for OwnedWriteHalf {
            fn as_ref(&self) -> &$t {
                &self.inner
            }
        }

        impl $crate::io::AsyncRead for ReadHalf<'_> {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.0.core.poll_read(cx, buf)
            }
        }

        impl $crate::io::AsyncRead for OwnedReadHalf {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.0.core.poll_read(cx, buf)
            }
        }

        $crate::net::split::half_methods!(ReadHalf<'_>, OwnedReadHalf; WriteHalf<'_>, OwnedWriteHalf; $t);

        $crate::net::split::half_write_impl!(WriteHalf<'_>, $t);
        $crate::net::split::half_write_impl!(OwnedWriteHalf, $t);
        $crate::io::impl_compat_traits!(OwnedReadHalf: read);
        $crate::io::impl_compat_traits!(OwnedWriteHalf: write);
    };
}
pub(crate) use stream_halves;

/// The readiness and non-waiting methods of the halves (the stream's, for its side).
macro_rules! half_methods {
    ($($read:ty),+; $($write:ty),+; $t:ty) => {
        $(impl $read {
            /// Waits until the stream may be readable.
            pub async fn readable(&self) -> ::std::io::Result<()> {
                AsRef::<$t>::as_ref(self).readable().await
            }

            /// Waits until the stream may be ready for any of `interest` (see the stream's
            /// `ready`).
            pub async fn ready(
                &self,
                interest: $crate::io::Interest,
            ) -> ::std::io::Result<$crate::io::Ready> {
                AsRef::<$t>::as_ref(self).ready(interest).await
            }

            /// Reads what is available without waiting; `WouldBlock` if nothing is.
            pub fn try_read(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                AsRef::<$t>::as_ref(self).try_read(buf)
            }

            /// Reads what is available into `bufs` without waiting.
            pub fn try_read_vectored(
                &self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                AsRef::<$t>::as_ref(self).try_read_vectored(bufs)
            }
        })+

        $(impl $write {
            /// Waits until the stream may be writable.
            pub async fn writable(&self) -> ::std::io::Result<()> {
                AsRef::<$t>::as_ref(self).writable().await
            }

            /// Waits until the stream may be ready for any of `interest` (see the stream's
            /// `ready`).
            pub async fn ready(
                &self,
                interest: $crate::io::Interest,
            ) -> ::std::io::Result<$crate::io::Ready> {
                AsRef::<$t>::as_ref(self).ready(interest).await
            }

            /// Writes what fits without waiting; `WouldBlock` if nothing does.
            pub fn try_write(&self, buf: &[u8]) -> ::std::io::Result<usize> {
                AsRef::<$t>::as_ref(self).try_write(buf)
            }

            /// Writes what fits of `bufs` without waiting.
            pub fn try_write_vectored(
                &self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                AsRef::<$t>::as_ref(self).try_write_vectored(bufs)
            }
        })+
    };
}
pub(crate) use half_methods;

/// `AsyncWrite` for a half, given how to reach the stream.
macro_rules! half_write_impl {
    ($half:ty, $t:ty) => {
        impl $crate::io::AsyncWrite for $half {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                AsRef::<$t>::as_ref(&*self).core.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                AsRef::<$t>::as_ref(&*self)
                    .core
                    .poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                AsRef::<$t>::as_ref(&*self).core.poll_flush(cx)
            }

            fn poll_shutdown(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                AsRef::<$t>::as_ref(&*self).core.poll_shutdown(cx)
            }
        }
    };
}
pub(crate) use half_write_impl;
