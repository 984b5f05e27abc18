//! Shared fixtures: the scheduler flavors every runtime test runs over, and counting futures.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use zokio::runtime::{Builder, Runtime};

/// The flavors: current-thread, multi-thread with one worker, multi-thread with four.
pub const FLAVORS: [(&str, fn() -> Runtime); 3] = [
    ("current_thread", || Builder::new_current_thread().build().unwrap()),
    ("multi_thread_1", || Builder::new_multi_thread().worker_threads(1).build().unwrap()),
    ("multi_thread_4", || Builder::new_multi_thread().worker_threads(4).build().unwrap()),
];

/// Generates one `#[test]` per flavor for each listed function `fn name(rt: Runtime)`.
#[macro_export]
macro_rules! rt_test {
    ($($name:ident),* $(,)?) => {
        mod current_thread {
            $( #[test] fn $name() { super::$name(super::support::FLAVORS[0].1()) } )*
        }
        mod multi_thread_1 {
            $( #[test] fn $name() { super::$name(super::support::FLAVORS[1].1()) } )*
        }
        mod multi_thread_4 {
            $( #[test] fn $name() { super::$name(super::support::FLAVORS[2].1()) } )*
        }
    };
}

/// Counts how often it was dropped.
#[derive(Clone, Default)]
pub struct DropCounter(pub Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }
    pub fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Adds one to its counter when dropped.
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future that never completes, holding a token.
pub struct Forever(pub DropToken);

impl Future for Forever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}
