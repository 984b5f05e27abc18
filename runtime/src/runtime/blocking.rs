//! The blocking pool: threads for `spawn_blocking`, bounded by `max_blocking_threads`, kept alive
//! idle for a while, and reused. Worker threads of the multi-thread scheduler are started through
//! it too (outside that bound), so shutdown joins every thread the runtime started.

use super::config::Config;
use super::scheduler;
use crate::loom::sync::{Condvar, Mutex};
use crate::task::{self, Id, JoinHandle, NewSpan, Notified, Schedule, SpawnMeta, Task};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Handle to the pool; cheap to clone.
#[derive(Clone)]
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    work: Condvar,
    exited: Condvar,
    config: Arc<Config>,
    keep_alive: Duration,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Notified<BlockingSchedule>>,
    /// Pool threads (for `spawn_blocking`), busy or idle.
    threads: usize,
    idle: usize,
    /// Idle threads already signalled for queued work.
    notified: usize,
    /// All threads alive, pool and dedicated.
    alive: usize,
    shutdown: bool,
    handles: Vec<std::thread::JoinHandle<()>>,
}

/// The scheduler of blocking tasks: they complete in their first poll and are never woken.
pub(crate) struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified<Self>) {
        debug_assert!(false, "a blocking task was woken");
        drop(task);
    }

    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        None
    }
}

/// Runs a closure as a future that completes in one poll, outside any cooperative budget.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .0
            .take()
            .expect("blocking task polled after completion");
        Poll::Ready(super::coop::with_unconstrained(f))
    }
}

impl BlockingPool {
    pub(crate) fn new(config: Arc<Config>) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                exited: Condvar::new(),
                keep_alive: config.thread_keep_alive,
                config,
            }),
        }
    }

    /// Queues `f` for a pool thread; `handle` is entered on the thread that runs it.
    #[track_caller]
    pub(crate) fn spawn_blocking<F, R>(&self, handle: &scheduler::Handle, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let meta = SpawnMeta {
            id: Id::next(),
            name: None,
            location: Location::caller(),
        };
        // Blocking tasks get no span: they run one closure, outside any poll to enter it for.
        let (task, notified, join) = task::new_task(
            BlockingTask(Some(f)),
            BlockingSchedule,
            meta,
            NewSpan::none(),
        );
        drop(task);
        let mut st = self.inner.state.lock();
        if st.shutdown {
            drop(st);
            // SAFETY: the queue reference is handed to shutdown, which cancels the task.
            unsafe { notified.into_raw().shutdown() };
            return join;
        }
        st.queue.push_back(notified);
        if st.idle > st.notified {
            st.notified += 1;
            self.inner.work.notify_one();
        } else if st.threads < self.inner.config.max_blocking_threads {
            st.threads += 1;
            if let Err(e) = self.start_thread(&mut st, handle.clone(), None) {
                st.threads -= 1;
                if st.threads == 0 {
                    panic!("failed to start a blocking thread: {e}");
                }
            }
        }
        join
    }

    /// Starts a dedicated thread running `f` (a worker), joined at shutdown.
    pub(crate) fn spawn_dedicated(
        &self,
        handle: scheduler::Handle,
        f: Box<dyn FnOnce() + Send>,
    ) -> std::io::Result<()> {
        let mut st = self.inner.state.lock();
        self.start_thread(&mut st, handle, Some(f))
    }

    fn start_thread(
        &self,
        st: &mut State,
        handle: scheduler::Handle,
        job: Option<Box<dyn FnOnce() + Send>>,
    ) -> std::io::Result<()> {
        let cfg = &self.inner.config;
        let mut b = std::thread::Builder::new().name((cfg.thread_name)());
        if let Some(size) = cfg.thread_stack_size {
            b = b.stack_size(size);
        }
        let inner = self.inner.clone();
        let h = b.spawn(move || inner.thread_main(handle, job))?;
        st.alive += 1;
        st.handles.retain(|h| !h.is_finished());
        st.handles.push(h);
        Ok(())
    }

    /// Cancels queued tasks, stops idle threads and waits up to `timeout` for every thread.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let (queued, handles) = {
            let mut st = self.inner.state.lock();
            st.shutdown = true;
            self.inner.work.notify_all();
            (
                std::mem::take(&mut st.queue),
                std::mem::take(&mut st.handles),
            )
        };
        for t in queued {
            // SAFETY: the queue reference is handed to shutdown, which cancels the task.
            unsafe { t.into_raw().shutdown() };
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let me = std::thread::current().id();
        let mut st = self.inner.state.lock();
        // A pool thread dropping the runtime cannot wait for itself.
        let own = usize::from(handles.iter().any(|h| h.thread().id() == me));
        while st.alive > own {
            st = match deadline {
                None => self.inner.exited.wait(st),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return;
                    }
                    self.inner.exited.wait_timeout(st, d - now)
                }
            };
        }
        drop(st);
        for h in handles {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
    }

    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let st = self.inner.state.lock();
        (st.threads, st.idle, st.queue.len())
    }
}

impl Inner {
    fn thread_main(
        self: Arc<Self>,
        handle: scheduler::Handle,
        job: Option<Box<dyn FnOnce() + Send>>,
    ) {
        let _enter = super::context::enter_handle(handle);
        if let Some(f) = &self.config.on_thread_start {
            f();
        }
        match job {
            Some(job) => job(),
            None => self.pool_loop(),
        }
        if let Some(f) = &self.config.on_thread_stop {
            f();
        }
        let mut st = self.state.lock();
        st.alive -= 1;
        self.exited.notify_all();
    }

    fn pool_loop(&self) {
        let mut st = self.state.lock();
        loop {
            if let Some(task) = st.queue.pop_front() {
                drop(st);
                task.run();
                st = self.state.lock();
                continue;
            }
            if st.shutdown {
                break;
            }
            st.idle += 1;
            let start = Instant::now();
            st = self.work.wait_timeout(st, self.keep_alive);
            st.idle -= 1;
            if st.notified > 0 {
                st.notified -= 1;
            } else if st.queue.is_empty() && start.elapsed() >= self.keep_alive {
                break;
            }
        }
        st.threads -= 1;
    }
}
