//! Items the macro expansions refer to by path. Not a public interface.

pub use core::future::{poll_fn, Future, IntoFuture};
pub use core::pin::{pin, Pin};
pub use core::task::{Context, Poll};

pub use zokio_macros::{join_internal, select_internal, try_join_internal};

pub use super::maybe_done::{is_err, take_err, take_ok, take_output, MaybeDone};

/// A number in `0..n` from this thread's generator (`n` > 0): the first branch `select!` polls.
#[doc(hidden)]
pub fn thread_rng_n(n: u32) -> u32 {
    crate::util::rand::thread_rng_n(n)
}
