//! Cooperative budget: a task that keeps finding work ready yields back to its worker after
//! [`BUDGET`] resource operations, so it cannot starve timers, I/O or other queues.
//!
//! The worker calls [`budget`] around each poll; leaf futures (channel receives, lock acquires,
//! semaphore permits, sleeps) call [`poll_proceed`] before doing ready work. Outside a runtime the
//! budget is unconstrained.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations a task may complete in one poll before it is made to yield.
pub(crate) const BUDGET: u8 = 128;

thread_local! {
    /// `None`: unconstrained (not inside a budgeted poll).
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` with a fresh budget; returns its result and whether the budget ran out during it.
#[inline]
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let prev = CURRENT.with(|c| c.replace(Some(BUDGET)));
    let out = f();
    let exhausted = CURRENT.with(|c| c.replace(prev)) == Some(0);
    (out, exhausted)
}

/// Runs `f` without a budget (used by `block_on` on a thread that is not a worker).
#[inline]
pub(crate) fn with_unconstrained<R>(f: impl FnOnce() -> R) -> R {
    let prev = CURRENT.with(|c| c.replace(None));
    let out = f();
    CURRENT.with(|c| c.set(prev));
    out
}

/// Takes one unit of budget, or wakes the task and returns `Pending` if none is left.
///
/// On `Ready`, the returned guard gives the unit back when dropped unless [`RestoreOnPending::made_progress`]
/// is called: a leaf that ends up `Pending` anyway did no work and should not be charged.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    CURRENT.with(|c| match c.get() {
        None => Poll::Ready(RestoreOnPending(None)),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            c.set(Some(n - 1));
            Poll::Ready(RestoreOnPending(Some(n)))
        }
    })
}

/// Whether the current task still has budget left (true outside a runtime).
#[inline]
pub(crate) fn has_budget_remaining() -> bool {
    CURRENT.with(|c| c.get() != Some(0))
}

/// Gives back a unit of budget on drop unless progress was made.
#[must_use]
pub(crate) struct RestoreOnPending(Option<u8>);

impl RestoreOnPending {
    /// The leaf completed work: keep the unit spent.
    #[inline]
    pub(crate) fn made_progress(&mut self) {
        self.0 = None;
    }
}

impl Drop for RestoreOnPending {
    #[inline]
    fn drop(&mut self) {
        if let Some(n) = self.0 {
            CURRENT.with(|c| c.set(Some(n)));
        }
    }
}

/// Polls `f` only if budget remains; the common helper for leaf futures.
#[inline]
pub(crate) fn poll_budgeted<T>(
    cx: &mut Context<'_>,
    f: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let mut restore = std::task::ready!(poll_proceed(cx));
    let out = f(cx);
    if out.is_ready() {
        restore.made_progress();
    }
    out
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn budget_runs_out_after_exactly_budget_operations() {
        let mut cx = Context::from_waker(Waker::noop());
        let ((), exhausted) = budget(|| {
            for _ in 0..BUDGET {
                assert!(poll_budgeted(&mut cx, |_| Poll::Ready(())).is_ready());
            }
            assert!(poll_budgeted(&mut cx, |_| Poll::Ready(())).is_pending());
        });
        assert!(exhausted);
    }

    #[test]
    fn pending_leaf_is_not_charged() {
        let mut cx = Context::from_waker(Waker::noop());
        let ((), exhausted) = budget(|| {
            for _ in 0..1000 {
                assert!(poll_budgeted(&mut cx, |_| Poll::<()>::Pending).is_pending());
            }
            assert!(has_budget_remaining());
        });
        assert!(!exhausted);
    }
}
