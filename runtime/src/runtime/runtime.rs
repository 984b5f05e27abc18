//! `Runtime`: owns the scheduler, the timer and the blocking pool.

use super::blocking::BlockingPool;
use super::context;
use super::handle::{EnterGuard, Handle};
use super::metrics::RuntimeMetrics;
use super::{block_on, scheduler, Builder};
use crate::task::{JoinHandle, SpawnMeta};
use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

/// The flavor of a runtime's scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// All tasks on the thread in `block_on`.
    CurrentThread,
    /// A pool of work-stealing worker threads.
    MultiThread,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheduler {
    CurrentThread,
    MultiThread,
}

/// The Zokio runtime: a scheduler, a timer and a blocking pool.
///
/// Dropping it cancels every task still alive (their futures are dropped) and waits for the
/// runtime's threads; see [`Runtime::shutdown_timeout`] to bound that wait.
///
/// ```
/// let rt = zokio::runtime::Runtime::new().unwrap();
/// let answer = rt.block_on(async { zokio::spawn(async { 42 }).await.unwrap() });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    scheduler: Scheduler,
    handle: Handle,
    blocking: BlockingPool,
    shut_down: bool,
}

impl Runtime {
    pub(crate) fn from_parts(
        scheduler: Scheduler,
        inner: scheduler::Handle,
        blocking: BlockingPool,
    ) -> Runtime {
        Runtime {
            scheduler,
            handle: Handle { inner },
            blocking,
            shut_down: false,
        }
    }

    /// A multi-thread runtime with default settings (one worker per CPU).
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    /// Runs `future` to completion on this thread, with this runtime as the current one.
    ///
    /// Panics if called from inside a runtime (a worker, or another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task onto this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.inner.spawn(future, SpawnMeta::caller())
    }

    /// Runs `f` on the blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts down, waiting at most `timeout` for the runtime's threads (tasks stuck in a blocking
    /// call are left behind).
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for the runtime's threads.
    pub fn shutdown_background(mut self) {
        self.shutdown(Some(Duration::ZERO));
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        let _enter = context::enter_handle(self.handle.inner.clone());
        match &self.handle.inner {
            scheduler::Handle::CurrentThread(h) => h.shutdown(),
            scheduler::Handle::MultiThread(h) => h.shutdown(),
        }
        self.blocking.shutdown(timeout);
        if let scheduler::Handle::MultiThread(h) = &self.handle.inner {
            h.finish_shutdown();
        }
    }

    pub(crate) fn flavor(&self) -> RuntimeFlavor {
        match self.scheduler {
            Scheduler::CurrentThread => RuntimeFlavor::CurrentThread,
            Scheduler::MultiThread => RuntimeFlavor::MultiThread,
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.flavor())
            .finish_non_exhaustive()
    }
}

pub(crate) fn block_on_current_thread_or_multi<F: Future>(
    inner: &scheduler::Handle,
    future: F,
) -> F::Output {
    match inner {
        scheduler::Handle::CurrentThread(h) => h.block_on(future),
        scheduler::Handle::MultiThread(_) => block_on::block_on(future),
    }
}
