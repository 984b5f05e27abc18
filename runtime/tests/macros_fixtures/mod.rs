//! Fixtures shared by the `macros_*` tests: futures that count their polls and drops.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// Returns `Pending` (waking itself at once) `pendings` times, then `Ready(output)`.
/// Counts its polls and its drop, and logs its name on every poll.
pub struct Countdown<T> {
    pendings: usize,
    output: Option<T>,
    name: &'static str,
    pub probe: Probe,
}

/// What a `Countdown` reports, readable after the future is gone.
#[derive(Clone, Default)]
pub struct Probe {
    pub polls: Rc<Cell<usize>>,
    pub drops: Rc<Cell<usize>>,
    pub log: Rc<RefCell<Vec<&'static str>>>,
}

impl Probe {
    pub fn polls(&self) -> usize {
        self.polls.get()
    }

    pub fn drops(&self) -> usize {
        self.drops.get()
    }

    pub fn log(&self) -> Vec<&'static str> {
        self.log.borrow().clone()
    }
}

impl<T> Countdown<T> {
    pub fn new(pendings: usize, output: T) -> Countdown<T> {
        Countdown::named("", pendings, output, &Probe::default())
    }

    /// A countdown reporting into `probe`; futures sharing a probe add up their counts and
    /// interleave their names in its log.
    pub fn named(name: &'static str, pendings: usize, output: T, probe: &Probe) -> Countdown<T> {
        Countdown {
            pendings,
            output: Some(output),
            name,
            probe: probe.clone(),
        }
    }
}

impl<T: Unpin> Future for Countdown<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.probe.polls.set(self.probe.polls.get() + 1);
        self.probe.log.borrow_mut().push(self.name);
        if self.pendings == 0 {
            return Poll::Ready(
                self.output
                    .take()
                    .expect("Countdown polled after completion"),
            );
        }
        self.pendings -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<T> Drop for Countdown<T> {
    fn drop(&mut self) {
        self.probe.drops.set(self.probe.drops.get() + 1);
    }
}

/// A future that never completes, counting polls and drops.
pub fn never<T: Unpin>(probe: &Probe) -> Countdown<T> {
    Countdown {
        pendings: usize::MAX,
        output: None,
        name: "never",
        probe: probe.clone(),
    }
}
