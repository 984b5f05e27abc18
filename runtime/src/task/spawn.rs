//! `spawn`, `spawn_blocking`, `block_in_place`.

use super::{JoinHandle, SpawnMeta};
use crate::runtime::context;
use std::future::Future;

const NO_RUNTIME: &str = "there is no Zokio runtime on this thread: `spawn` must be called from \
                          inside a runtime (a task, `block_on`, or after `Runtime::enter`)";

/// Spawns a task on the current runtime. It starts running at once in the background; await the
/// returned [`JoinHandle`] for its output. Panics outside a runtime.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let h = zokio::spawn(async { "done" });
/// assert_eq!(h.await.unwrap(), "done");
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_with(future, SpawnMeta::caller())
}

#[track_caller]
pub(crate) fn spawn_with<F>(future: F, meta: SpawnMeta) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut future = Some(future);
    let mut meta = Some(meta);
    match context::with_current(|h| h.spawn(future.take().unwrap(), meta.take().unwrap())) {
        Some(j) => j,
        None => panic!("{NO_RUNTIME}"),
    }
}

/// Runs a blocking closure on the runtime's blocking pool and returns a handle to its result.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let sum = zokio::task::spawn_blocking(|| (1..=10u64).sum::<u64>()).await.unwrap();
/// assert_eq!(sum, 55);
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let mut f = Some(f);
    match context::with_current(|h| h.blocking().spawn_blocking(h, f.take().unwrap())) {
        Some(j) => j,
        None => panic!("{NO_RUNTIME}"),
    }
}

/// Runs blocking code inside a task without stalling the other tasks: the worker hands its queue
/// to a new thread first. Panics on the current-thread runtime.
#[track_caller]
pub fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    crate::runtime::scheduler::multi_thread::block_in_place(f)
}
