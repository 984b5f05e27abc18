//! The shared side of the multi-thread scheduler: what any thread may touch.

use super::idle::Idle;
use super::queue::{self, Injector, Remote, Steal};
use super::worker::{self, Core};
use crate::loom::sync::atomic::{fence, AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::blocking::BlockingPool;
use crate::runtime::config::Config;
use crate::runtime::driver::Driver;
use crate::runtime::metrics::{
    worker_snapshot, PoolMetrics, RuntimeGauges, RuntimeMetrics, Telemetry,
};
use crate::runtime::scheduler;
use crate::task::list::OwnedTasks;
use crate::task::pool::PoolShared;
use crate::task::SpawnMeta;
use crate::task::{self, JoinHandle, Notified, Schedule, Task};
use std::future::Future;
use std::sync::Arc;

pub(crate) type Notif = Notified<Arc<Handle>>;

/// A worker core; boxed so it moves between threads as one pointer (`block_in_place`).
pub(crate) type CoreBox = Box<Core>;

/// Everything the workers share.
pub(crate) struct Handle {
    pub(super) remotes: Box<[Remote<Notif>]>,
    pub(super) inject: Injector<Notif>,
    pub(super) idle: Idle,
    pub(super) owned: OwnedTasks<Arc<Handle>>,
    pub(super) driver: Driver,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Arc<Config>,
    /// The telemetry segment every counter is published in.
    pub(crate) tel: Arc<Telemetry>,
    /// Which tasks get a `tracing` span.
    spans: task::Sampler,
    pub(super) pools: Mutex<Vec<&'static PoolShared>>,
    pub(super) shutdown: AtomicBool,
    /// Cores of workers that exited on shutdown.
    pub(super) exited: Mutex<Vec<CoreBox>>,
}

impl Handle {
    /// Builds the scheduler and returns its handle and the workers' cores (not yet started).
    pub(crate) fn new(
        config: Arc<Config>,
        blocking: BlockingPool,
        driver: Driver,
        tel: Arc<Telemetry>,
    ) -> (Arc<Handle>, Vec<CoreBox>) {
        let n = config.worker_threads;
        let mut remotes = Vec::with_capacity(n);
        let mut cores = Vec::with_capacity(n);
        for index in 0..n {
            let (local, remote) = queue::Local::new();
            remotes.push(remote);
            cores.push(Core::new(index, n, local));
        }
        let spans = task::Sampler::new(config.trace_tasks, tel.runtime_id());
        let handle = Arc::new(Handle {
            remotes: remotes.into_boxed_slice(),
            inject: Injector::new(),
            idle: Idle::new(n),
            owned: OwnedTasks::new(4 * n),
            driver,
            blocking,
            tel,
            spans,
            pools: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            exited: Mutex::new(Vec::new()),
            config,
        });
        let weak = Arc::downgrade(&handle);
        handle.tel.add_publisher(Box::new(move || {
            if let Some(h) = weak.upgrade() {
                h.publish_shared();
            }
        }));
        (handle, cores)
    }

    /// Starts one thread per core.
    pub(crate) fn launch(self: &Arc<Self>, cores: Vec<CoreBox>) -> std::io::Result<()> {
        for core in cores {
            self.start_worker(core)?;
        }
        Ok(())
    }

    pub(super) fn start_worker(self: &Arc<Self>, core: Box<Core>) -> std::io::Result<()> {
        let h = self.clone();
        let sched = scheduler::Handle::MultiThread(self.clone());
        self.blocking
            .spawn_dedicated(sched, Box::new(move || worker::run(h, core)))
    }

    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, meta: SpawnMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let slot = self.tel.task_spawned(
            meta.id.as_u64(),
            task::try_id().map_or(0, |p| p.as_u64()),
            meta.location,
            meta.name.as_deref(),
        );
        let span = self.spans.span_for(&meta);
        let (task, notified, join) = task::new_task(future, self.clone(), meta, span);
        notified
            .header()
            .tel_slot
            .store(slot, std::sync::atomic::Ordering::Relaxed);
        if let Some(notified) = self.owned.bind(task, notified) {
            self.schedule_task(notified, Kind::Spawn);
        }
        join
    }

    pub(super) fn schedule_task(&self, task: Notif, kind: Kind) {
        if let Err(task) = worker::try_schedule_local(self, task, kind) {
            if kind == Kind::Spawn {
                self.tel.spawned_remote_add();
            }
            self.inject.push(task);
            self.notify_parked();
        }
    }

    /// Wakes one sleeping worker if work is waiting and nobody is searching for it.
    pub(super) fn notify_parked(&self) {
        if let Some(w) = self.idle.worker_to_notify() {
            self.driver.parker(w).unpark();
        }
    }

    /// Called by the last searcher going to sleep: work that arrived meanwhile gets a worker.
    pub(super) fn notify_if_work_pending(&self) {
        if self.remotes.iter().any(|r| !r.is_empty()) || !self.inject.is_empty() {
            self.notify_parked();
        }
    }

    /// Like [`Handle::notify_if_work_pending`], for a last searcher leaving with a task of its
    /// own to run: only work in another worker's queue or the global queue wakes a sleeper.
    pub(super) fn notify_if_work_elsewhere(&self, me: usize) {
        // As after parking: orders the caller's state change before the queue checks, against
        // a producer's push then `should_wake` (one of the two sees the other).
        fence(SeqCst);
        let elsewhere = self
            .remotes
            .iter()
            .enumerate()
            .any(|(i, r)| i != me && !r.is_empty());
        if elsewhere || !self.inject.is_empty() {
            self.notify_parked();
        }
    }

    /// Takes one task from the global queue, moving a batch into `dst`.
    pub(super) fn pop_global(&self, dst: &queue::Local<Notif>, batch: bool) -> Option<Notif> {
        loop {
            let s = if batch {
                self.inject.steal_batch_and_pop(dst.deque())
            } else {
                self.inject.steal()
            };
            match s {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::spin_loop(),
            }
        }
    }

    pub(crate) fn timer(&self) -> &crate::time::TimerHandle {
        self.driver.timer()
    }

    pub(crate) fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Starts shutdown: workers stop at their next check, idle tasks are cancelled here.
    pub(crate) fn shutdown(&self) {
        if self.shutdown.swap(true, SeqCst) {
            return;
        }
        for i in 0..self.remotes.len() {
            self.driver.parker(i).unpark();
        }
        self.owned.close_and_shutdown_all();
    }

    /// After the workers are gone: drop what is left in the queues, fire the timers.
    pub(crate) fn finish_shutdown(&self) {
        self.owned.close_and_shutdown_all();
        while self.pop_global_any().is_some() {}
        for core in self.exited.lock().iter_mut() {
            core.drain();
        }
        self.driver.shutdown();
    }

    fn pop_global_any(&self) -> Option<Notif> {
        loop {
            match self.inject.steal() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::spin_loop(),
            }
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// The runtime-wide gauges now.
    pub(super) fn gauges(&self) -> RuntimeGauges {
        let (threads, idle, queued) = self.blocking.counts();
        RuntimeGauges {
            active_tasks: self.owned.len(),
            global_queue_depth: self.inject.len(),
            blocking_threads: threads,
            idle_blocking_threads: idle,
            blocking_queue_depth: queued,
        }
    }

    /// Publishes the gauges and every pool into the segment (workers do it when they publish,
    /// the monitor every 100 ms; `metrics()` does it so the segment agrees with what it
    /// returns).
    ///
    /// One publisher at a time, each reading under the pools' lock: the last values stored are
    /// the last read. (Unserialized, a worker that read `active_tasks` before a task left could
    /// store it after `metrics()` stored the newer value, and an idle runtime's segment kept
    /// showing the finished task.)
    pub(super) fn publish_shared(&self) -> (RuntimeGauges, Vec<PoolMetrics>) {
        let pools = self.pools.lock();
        let g = self.gauges();
        self.tel.publish_runtime(&g);
        let pools: Vec<PoolMetrics> = pools.iter().map(|p| pool_metrics(p)).collect();
        for (i, p) in pools.iter().enumerate() {
            self.tel.publish_pool(i, &format!("task-cells/{i}"), p);
        }
        (g, pools)
    }

    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        // The workers' counters first, the gauges after: a task leaves the owned list before
        // its worker counts it completed, so a snapshot that shows N completions also shows
        // those N tasks gone from `active_tasks`. (Gauges first, a task could complete in
        // between: counted completed yet still active in one snapshot.)
        let n = self.remotes.len();
        let workers = (0..n).map(|i| worker_snapshot(&self.tel, i)).collect();
        let spawned_remote = self.tel.spawned_remote();
        let (g, pools) = self.publish_shared();
        RuntimeMetrics {
            num_workers: n,
            workers,
            spawned_remote,
            active_tasks: g.active_tasks,
            global_queue_depth: g.global_queue_depth,
            blocking_threads: g.blocking_threads,
            idle_blocking_threads: g.idle_blocking_threads,
            blocking_queue_depth: g.blocking_queue_depth,
            pools,
            io: self.driver.io_metrics(),
        }
    }
}

pub(crate) fn pool_metrics(p: &PoolShared) -> PoolMetrics {
    let s = &p.stats;
    PoolMetrics {
        hits: s.hits.load(Relaxed),
        misses: s.misses.load(Relaxed),
        in_use: s.in_use.load(Relaxed),
        bytes_held: s.bytes_held.load(Relaxed),
        remote_frees: s.remote_frees.load(Relaxed),
    }
}

/// Why a task is being queued.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// A new task: back of the queue.
    Spawn,
    /// Woken by someone else: the LIFO slot.
    Wake,
    /// Woke itself during its poll: back of the queue.
    Yield,
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notif) {
        self.schedule_task(task, Kind::Wake);
    }

    fn yield_now(&self, task: Notif) {
        self.schedule_task(task, Kind::Yield);
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }

    fn telemetry(&self) -> Option<&Telemetry> {
        crate::runtime::metrics::ENABLED.then_some(&*self.tel)
    }
}
