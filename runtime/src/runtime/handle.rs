//! `Handle`: a cheap, cloneable reference to a runtime.

use super::context;
use super::metrics::RuntimeMetrics;
use super::runtime::{block_on_current_thread_or_multi, RuntimeFlavor};
use super::scheduler;
use crate::task::{JoinHandle, SpawnMeta};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

/// A handle to a runtime: spawn onto it, block on it, read its metrics.
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: scheduler::Handle,
}

/// Returned by [`Handle::try_current`] outside a runtime.
#[derive(Debug)]
pub struct TryCurrentError {
    _p: (),
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("there is no Zokio runtime on this thread: call from inside a runtime (a task, `block_on`, or after `Runtime::enter`)")
    }
}

impl std::error::Error for TryCurrentError {}

/// Keeps a runtime current on this thread; see [`Handle::enter`].
#[must_use = "the runtime stops being current when the guard is dropped"]
pub struct EnterGuard<'a> {
    _guard: context::SetCurrentGuard,
    _p: PhantomData<&'a Handle>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}

impl Handle {
    /// The handle of the runtime this thread is in. Panics outside a runtime.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime this thread is in, if any.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|h| Handle { inner: h.clone() }).ok_or(TryCurrentError { _p: () })
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::enter_handle(self.inner.clone()),
            _p: PhantomData,
        }
    }

    /// Spawns a task onto this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future, SpawnMeta::caller())
    }

    /// Runs `f` on the runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking().spawn_blocking(&self.inner, f)
    }

    /// Runs `future` to completion on this thread with this runtime current. On a current-thread
    /// runtime, this thread also runs the runtime's tasks if no other thread is doing so.
    ///
    /// Panics if called from inside a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _rt = context::enter_runtime();
        let _enter = context::enter_handle(self.inner.clone());
        block_on_current_thread_or_multi(&self.inner, future)
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.inner.metrics()
    }

    /// Which scheduler this runtime uses.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        if self.inner.is_current_thread() {
            RuntimeFlavor::CurrentThread
        } else {
            RuntimeFlavor::MultiThread
        }
    }

    /// The I/O backend this runtime's driver uses and why it was chosen.
    ///
    /// ```
    /// let rt = zokio::runtime::Runtime::new().unwrap();
    /// let choice = rt.handle().io_backend();
    /// println!("I/O on {} ({})", choice.backend, choice.reason);
    /// ```
    pub fn io_backend(&self) -> crate::io::driver::IoBackendChoice {
        self.inner.driver().io_backend()
    }

    /// The name this runtime reports in telemetry.
    pub fn service_name(&self) -> &str {
        &self.inner.config().service_name
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .finish_non_exhaustive()
    }
}
