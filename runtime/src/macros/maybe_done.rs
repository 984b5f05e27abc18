//! `MaybeDone`: a future that keeps its output after completing, so `join!` can poll many futures
//! and collect all outputs at the end.
//!
//! Pinning: the `Future` variant is structurally pinned (the inner future is never moved while
//! the `MaybeDone` is pinned; it is dropped in place when replaced by `Done`). The output in `Done`
//! is not pinned and may be moved out.

use core::future::Future;
use core::mem;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

/// A future, then its output, then nothing once the output is taken.
#[derive(Debug)]
pub enum MaybeDone<F: Future> {
    /// Not completed yet.
    Future(F),
    /// Completed; holds the output.
    Done(F::Output),
    /// The output was taken.
    Gone,
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not been polled yet.
    pub fn new(future: F) -> MaybeDone<F> {
        MaybeDone::Future(future)
    }

    /// The output, if the future completed and the output was not taken.
    pub fn output_mut(self: Pin<&mut Self>) -> Option<&mut F::Output> {
        // SAFETY: only the `Done` payload is exposed, and it is not structurally pinned.
        match unsafe { self.get_unchecked_mut() } {
            MaybeDone::Done(out) => Some(out),
            _ => None,
        }
    }

    /// Takes the output, leaving `Gone`; `None` unless the state is `Done`.
    pub fn take_output(self: Pin<&mut Self>) -> Option<F::Output> {
        if !matches!(*self, MaybeDone::Done(_)) {
            return None;
        }
        // SAFETY: the state is `Done`, so no pinned future is moved: only the unpinned output is.
        let this = unsafe { self.get_unchecked_mut() };
        match mem::replace(this, MaybeDone::Gone) {
            MaybeDone::Done(out) => Some(out),
            _ => None,
        }
    }
}

impl<F: Future> Future for MaybeDone<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the inner future is not moved out; assigning `Done` drops it in place.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            MaybeDone::Future(future) => {
                // SAFETY: `future` lives inside a pinned `MaybeDone` and is structurally pinned.
                let out = ready!(unsafe { Pin::new_unchecked(future) }.poll(cx));
                *this = MaybeDone::Done(out);
                Poll::Ready(())
            }
            MaybeDone::Done(_) => Poll::Ready(()),
            MaybeDone::Gone => panic!("MaybeDone polled after its output was taken"),
        }
    }
}

/// The output of a completed future, for `join!`.
pub fn take_output<F: Future>(done: Pin<&mut MaybeDone<F>>) -> F::Output {
    match done.take_output() {
        Some(out) => out,
        None => panic!("join! took an output that is not ready"),
    }
}

/// Whether a completed future's output is an `Err`, for `try_join!`.
pub fn is_err<F, T, E>(done: Pin<&mut MaybeDone<F>>) -> bool
where
    F: Future<Output = Result<T, E>>,
{
    matches!(done.output_mut(), Some(Err(_)))
}

/// The `Ok` value of a completed future, for `try_join!`.
pub fn take_ok<F, T, E>(done: Pin<&mut MaybeDone<F>>) -> T
where
    F: Future<Output = Result<T, E>>,
{
    match done.take_output() {
        Some(Ok(value)) => value,
        _ => panic!("try_join! took an output that is not a ready `Ok`"),
    }
}

/// The `Err` value of a completed future, for `try_join!`.
pub fn take_err<F, T, E>(done: Pin<&mut MaybeDone<F>>) -> E
where
    F: Future<Output = Result<T, E>>,
{
    match done.take_output() {
        Some(Err(error)) => error,
        _ => panic!("try_join! took an output that is not a ready `Err`"),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use core::pin::pin;

    #[test]
    fn keeps_the_output_until_taken() {
        let mut done = pin!(MaybeDone::new(async { 5 }));
        assert!(done.as_mut().output_mut().is_none());
        futures::executor::block_on(done.as_mut());
        assert_eq!(done.as_mut().output_mut().copied(), Some(5));
        assert_eq!(done.as_mut().take_output(), Some(5));
        assert_eq!(done.as_mut().take_output(), None);
        assert!(matches!(*done, MaybeDone::Gone));
    }

    #[test]
    fn result_helpers_split_ok_and_err() {
        let mut ok = pin!(MaybeDone::new(async { Ok::<u8, &str>(1) }));
        let mut err = pin!(MaybeDone::new(async { Err::<u8, &str>("no") }));
        futures::executor::block_on(async {
            ok.as_mut().await;
            err.as_mut().await;
        });
        assert!(!is_err(ok.as_mut()) && is_err(err.as_mut()));
        assert_eq!((take_ok(ok.as_mut()), take_err(err.as_mut())), (1, "no"));
    }
}
