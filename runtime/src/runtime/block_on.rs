//! Blocking the current thread on a future, with a waker that unparks this thread.

use super::park::Parker;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct ThreadWaker(Arc<Parker>);

impl Wake for ThreadWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static PARKER: (Arc<Parker>, Waker) = {
        let p = Arc::new(Parker::new());
        let w = Waker::from(std::sync::Arc::new(ThreadWaker(p.clone())));
        (p, w)
    };
}

/// Polls `f` to completion on this thread, sleeping between wake-ups.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    PARKER.with(|(parker, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(v) = super::coop::with_unconstrained(|| f.as_mut().poll(&mut cx)) {
                return v;
            }
            parker.park(None);
        }
    })
}

/// This thread's parker and a waker for it.
pub(crate) fn thread_parker() -> (Arc<Parker>, Waker) {
    PARKER.with(|(p, w)| (p.clone(), w.clone()))
}
