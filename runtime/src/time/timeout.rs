//! [`Timeout`], [`timeout`] and [`timeout_at`].

use super::error::Elapsed;
use super::sleep::Sleep;
use super::Instant;
use crate::runtime::coop;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Runs `future` with a time limit: `Ok(output)` if it completes within `duration`, otherwise
/// `Err(Elapsed)` once the duration has passed (and the future is dropped with the `Timeout`).
///
/// The future is polled before the deadline is checked, so a future ready on the poll where
/// the deadline passes still yields `Ok`. A too large duration (e.g. [`Duration::MAX`])
/// saturates to a deadline about 30 years away.
///
/// # Panics
///
/// Panics if called outside a Zokio runtime.
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    timeout_at(Instant::now().saturating_add(duration), future)
}

/// Like [`timeout`], with an absolute deadline.
///
/// # Panics
///
/// Panics if called outside a Zokio runtime.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        delay: Sleep::new(deadline),
    }
}

/// The future returned by [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Timeout<T> {
    /// Structurally pinned.
    value: T,
    /// Structurally pinned.
    delay: Sleep,
}

impl<T> Timeout<T> {
    /// A timeout on an explicit timer (tests).
    #[cfg(test)]
    pub(crate) fn new_with_timer(timer: super::TimerHandle, value: T, deadline: Instant) -> Self {
        Timeout {
            value,
            delay: Sleep::new_with_timer(timer, deadline),
        }
    }

    /// The inner future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The inner future, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Consumes the timeout, returning the inner future.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: neither field is ever moved out of `this` while pinned (`into_inner` and
        // `get_mut` need an unpinned `Timeout`); both are re-pinned below.
        let this = unsafe { self.get_unchecked_mut() };
        let had_budget = coop::has_budget_remaining();
        // SAFETY: structural pinning of `value`.
        if let Poll::Ready(v) = unsafe { Pin::new_unchecked(&mut this.value) }.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // SAFETY: structural pinning of `delay`.
        let delay = unsafe { Pin::new_unchecked(&mut this.delay) };
        // If the inner future spent the whole budget, the deadline must still be able to fire.
        let elapsed = if had_budget && !coop::has_budget_remaining() {
            coop::with_unconstrained(|| delay.poll(cx))
        } else {
            delay.poll(cx)
        };
        elapsed.map(|()| Err(Elapsed::new()))
    }
}
