//! Blocking on a future from a plain thread, for the `blocking_*` methods.
//!
//! The thread parks; the waker unparks it. Wake-ups are never lost because `unpark` before `park`
//! makes the next `park` return at once, and the future is polled again after every return.

use crate::loom::thread::{self, Thread};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` to completion on the current thread, parking between polls.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    // `Waker::from` needs the standard `Arc`: this is the waker's vtable, not shared state.
    let waker = Waker::from(std::sync::Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
