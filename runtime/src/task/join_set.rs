//! `JoinSet`: a collection of spawned tasks, awaited in completion order.

use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A set of tasks spawned together; [`JoinSet::join_next`] yields their outputs as they finish.
/// Dropping the set aborts every task still in it.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut set = zokio::task::JoinSet::new();
/// for i in 0..3u32 {
///     set.spawn(async move { i * 10 });
/// }
/// let mut sum = 0;
/// while let Some(r) = set.join_next().await {
///     sum += r.unwrap();
/// }
/// assert_eq!(sum, 30);
/// # });
/// ```
pub struct JoinSet<T> {
    tasks: Vec<JoinHandle<T>>,
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet { tasks: Vec::new() }
    }

    /// Tasks in the set.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Aborts every task in the set (they stay in it until joined).
    pub fn abort_all(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }

    /// Aborts every task and waits for them all to finish.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting them.
    pub fn detach_all(&mut self) {
        self.tasks.clear();
    }

    /// Polls for the next finished task.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|o| o.map(|r| r.map(|(_, v)| v)))
    }

    /// Polls for the next finished task, with its id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        let mut i = 0;
        while i < self.tasks.len() {
            let id = self.tasks[i].id();
            if let Poll::Ready(r) = Pin::new(&mut self.tasks[i]).poll(cx) {
                self.tasks.swap_remove(i);
                return Poll::Ready(Some(r.map(|v| (id, v))));
            }
            i += 1;
        }
        Poll::Pending
    }

    /// Waits for the next task to finish; `None` when the set is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Waits for the next task to finish, with its id.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Waits for every task, returning outputs in completion order; panics are resumed.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(r) = self.join_next().await {
            match r {
                Ok(v) => out.push(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("{e}"),
            }
        }
        out
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns a task on the current runtime into the set.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(super::spawn(future))
    }

    /// Spawns a task on `handle` into the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs a blocking closure into the set.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(super::spawn_blocking(f))
    }

    fn insert(&mut self, h: JoinHandle<T>) -> AbortHandle {
        let a = h.abort_handle();
        self.tasks.push(h);
        a
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> std::fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
