//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! The core (the local queue and counters) sits in a slot of the handle; the thread in `block_on`
//! takes it and runs tasks between polls of its own future. Another thread calling `block_on` at
//! the same time polls only its own future until the core is free, then takes over. Wakes from
//! other threads go to a mutex-guarded queue and unpark the driver.

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::blocking::BlockingPool;
use crate::runtime::config::Config;
use crate::runtime::driver::Driver;
use crate::runtime::metrics::{
    worker_snapshot, PoolMetrics, RuntimeGauges, RuntimeMetrics, Telemetry, WorkerStats,
};
use crate::runtime::park::Parker;
use crate::runtime::{block_on as thread_block_on, coop};
use crate::task::list::OwnedTasks;
use crate::task::pool::{self, PoolShared};
use crate::task::SpawnMeta;
use crate::task::{self, JoinHandle, Notified, Schedule, Task};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::ptr;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

type Notif = Notified<Arc<Handle>>;

/// The shared side.
pub(crate) struct Handle {
    inject: Mutex<VecDeque<Notif>>,
    owned: OwnedTasks<Arc<Handle>>,
    driver: Driver,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Arc<Config>,
    core: Mutex<Option<Box<Core>>>,
    /// Threads waiting in `block_on` for the core.
    waiting: Mutex<Vec<Arc<Parker>>>,
    woken: AtomicBool,
    /// The telemetry segment every counter is published in.
    pub(crate) tel: Arc<Telemetry>,
    /// Which tasks get a `tracing` span.
    spans: task::Sampler,
    pools: Mutex<Vec<&'static PoolShared>>,
    shutdown: AtomicBool,
}

struct Core {
    tasks: VecDeque<Notif>,
    tick: u32,
    stats: WorkerStats,
}

struct CtContext {
    handle: Arc<Handle>,
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static CURRENT: Cell<*const CtContext> = const { Cell::new(ptr::null()) };
}

/// Wakes the main future of `block_on`.
struct MainWaker(Arc<Handle>);

impl Wake for MainWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.woken.store(true, Release);
        self.0.driver.parker(0).unpark();
    }
}

impl Handle {
    pub(crate) fn new(
        config: Arc<Config>,
        blocking: BlockingPool,
        driver: Driver,
        tel: Arc<Telemetry>,
    ) -> Arc<Handle> {
        let core = Box::new(Core {
            tasks: VecDeque::with_capacity(64),
            tick: 0,
            stats: WorkerStats::new(1),
        });
        let spans = task::Sampler::new(config.trace_tasks, tel.runtime_id());
        let handle = Arc::new(Handle {
            inject: Mutex::new(VecDeque::new()),
            owned: OwnedTasks::new(1),
            driver,
            blocking,
            config,
            core: Mutex::new(Some(core)),
            waiting: Mutex::new(Vec::new()),
            woken: AtomicBool::new(false),
            tel,
            spans,
            pools: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&handle);
        handle.tel.add_publisher(Box::new(move || {
            if let Some(h) = weak.upgrade() {
                h.publish_shared();
            }
        }));
        handle
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
            self.schedule_task(notified, true);
        }
        join
    }

    fn schedule_task(&self, task: Notif, is_spawn: bool) {
        if let Err(task) = try_schedule_local(self, task, is_spawn) {
            if is_spawn {
                self.tel.spawned_remote_add();
            }
            self.inject.lock().push_back(task);
            self.driver.parker(0).unpark();
        }
    }

    pub(crate) fn timer(&self) -> &crate::time::TimerHandle {
        self.driver.timer()
    }

    pub(crate) fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Runs `future` to completion, driving the runtime's tasks meanwhile if the core is free.
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        let mut future = pin!(future);
        let (parker, thread_waker) = thread_block_on::thread_parker();
        loop {
            let core = self.core.lock().take();
            if let Some(core) = core {
                return self.drive(core, future.as_mut());
            }
            self.waiting.lock().push(parker.clone());
            let mut cx = Context::from_waker(&thread_waker);
            if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
            if self.core.lock().is_none() {
                parker.park(None);
            }
        }
    }

    fn drive<F: Future>(
        self: &Arc<Self>,
        core: Box<Core>,
        mut future: std::pin::Pin<&mut F>,
    ) -> F::Output {
        let _pool = self.enter_pool();
        let _driving = self.driver.enter_io_driving(0);
        let _worker = WorkerIndexGuard::enter(self.tel.worker_tag());
        let cx = CtContext {
            handle: self.clone(),
            core: RefCell::new(Some(core)),
        };
        let prev = CURRENT.with(|c| c.replace(&cx));
        let _restore = RestoreOnDrop { cx: &cx, prev };
        let waker = Waker::from(std::sync::Arc::new(MainWaker(self.clone())));
        let mut task_cx = Context::from_waker(&waker);
        self.woken.store(true, Release);
        loop {
            if self.woken.swap(false, AcqRel) {
                let (res, _) = coop::budget(|| future.as_mut().poll(&mut task_cx));
                if let Poll::Ready(v) = res {
                    return v;
                }
            }
            self.run_batch(&cx);
        }
    }

    /// Runs up to `event_interval` tasks, then maintenance; parks if there is nothing to do.
    fn run_batch(&self, cx: &CtContext) {
        let mut core = cx.core.borrow_mut().take().expect("core present");
        for _ in 0..self.config.event_interval {
            core.tick = core.tick.wrapping_add(1);
            let Some(task) = self.next_task(&mut core) else {
                *cx.core.borrow_mut() = Some(core);
                self.park(cx);
                return;
            };
            core.stats.poll_started();
            *cx.core.borrow_mut() = Some(core);
            let (completed, exhausted) = coop::budget(|| task.run());
            core = cx.core.borrow_mut().take().expect("core present");
            core.stats.poll_ended();
            core.stats.completed += u64::from(completed);
            core.stats.budget_forced_yields += u64::from(exhausted && !completed);
            // Checked after a task, not before: a main future that keeps waking itself still
            // lets one task run per poll.
            if self.woken.load(Acquire) {
                break;
            }
        }
        if core.stats.stretch_ended() {
            self.publish(&mut core, true);
        }
        *cx.core.borrow_mut() = Some(core);
        self.driver.maintain();
    }

    fn next_task(&self, core: &mut Core) -> Option<Notif> {
        if core.tick.is_multiple_of(self.config.global_queue_interval) {
            if let Some(t) = self.inject.lock().pop_front() {
                return Some(t);
            }
        }
        core.tasks
            .pop_front()
            .or_else(|| self.inject.lock().pop_front())
    }

    fn park(&self, cx: &CtContext) {
        {
            let mut core = cx.core.borrow_mut();
            let core = core.as_mut().expect("core present");
            core.stats.parks += 1;
            let due = core.stats.stretch_ended();
            self.publish(core, due);
        }
        if !self.woken.load(Acquire) && self.inject.lock().is_empty() {
            self.driver.park(0, None);
        } else {
            self.driver.maintain();
        }
        if let Some(core) = cx.core.borrow_mut().as_mut() {
            core.stats.unparks += 1;
            core.stats.stretch_started();
        }
    }

    /// Publishes the core's counters; with `shared`, also the runtime-wide gauges and pools.
    fn publish(&self, core: &mut Core, shared: bool) {
        core.stats.local_queue_depth = core.tasks.len() as u64;
        core.stats.publish(&self.tel, 0);
        pool::publish();
        if shared {
            self.publish_shared();
        }
    }

    /// Publishes the gauges and pools into the segment and returns them (the core's holder
    /// when it publishes, the monitor every 100 ms, `metrics()`). One publisher at a time,
    /// reading under the pools' lock, so the last values stored are the last read (see the
    /// multi-thread scheduler's `publish_shared`).
    fn publish_shared(&self) -> (RuntimeGauges, Vec<PoolMetrics>) {
        let pools = self.pools.lock();
        let (threads, idle, queued) = self.blocking.counts();
        let g = RuntimeGauges {
            active_tasks: self.owned.len(),
            global_queue_depth: self.inject.lock().len(),
            blocking_threads: threads,
            idle_blocking_threads: idle,
            blocking_queue_depth: queued,
        };
        self.tel.publish_runtime(&g);
        let pools: Vec<PoolMetrics> = pools
            .iter()
            .map(|p| super::multi_thread_pool_metrics(p))
            .collect();
        for (i, p) in pools.iter().enumerate() {
            self.tel.publish_pool(i, &format!("task-cells/{i}"), p);
        }
        (g, pools)
    }

    /// Installs a task-cell pool on this thread and records it for metrics.
    fn enter_pool(&self) -> pool::EnterGuard {
        let g = pool::enter();
        let mut pools = self.pools.lock();
        if !pools.iter().any(|p| std::ptr::eq(*p, g.pool())) {
            pools.push(g.pool());
        }
        g
    }

    /// Puts the core back and lets a waiting `block_on` take it.
    fn release_core(&self, core: Box<Core>) {
        *self.core.lock() = Some(core);
        for p in self.waiting.lock().drain(..) {
            p.unpark();
        }
    }

    /// Cancels every task and drops every queued one (runtime drop).
    pub(crate) fn shutdown(self: &Arc<Self>) {
        if self.shutdown.swap(true, SeqCst) {
            return;
        }
        let core = self.core.lock().take();
        let _pool = self.enter_pool();
        let _driving = self.driver.enter_io_driving(0);
        let _worker = WorkerIndexGuard::enter(self.tel.worker_tag());
        let cx = CtContext {
            handle: self.clone(),
            core: RefCell::new(core),
        };
        let prev = CURRENT.with(|c| c.replace(&cx));
        let _restore = RestoreOnDrop { cx: &cx, prev };
        self.owned.close_and_shutdown_all();
        if let Some(core) = cx.core.borrow_mut().as_mut() {
            core.tasks.clear();
            self.publish(core, true);
        }
        self.inject.lock().clear();
        self.driver.shutdown();
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        // The worker's counters before the gauges (see the multi-thread `metrics`).
        let workers = vec![worker_snapshot(&self.tel, 0)];
        let spawned_remote = self.tel.spawned_remote();
        let (g, pools) = self.publish_shared();
        RuntimeMetrics {
            num_workers: 1,
            workers,
            spawned_remote,
            active_tasks: g.active_tasks,
            global_queue_depth: g.global_queue_depth,
            blocking_threads: g.blocking_threads,
            idle_blocking_threads: g.idle_blocking_threads,
            blocking_queue_depth: g.blocking_queue_depth,
            io: self.driver.io_metrics(),
            pools,
        }
    }
}

/// The thread holding the core is worker 0 (for telemetry) until dropped.
struct WorkerIndexGuard((Option<usize>, u64));

impl WorkerIndexGuard {
    fn enter(tag: u64) -> WorkerIndexGuard {
        let prev = crate::runtime::context::worker();
        crate::runtime::context::set_worker_index(Some(0), tag);
        WorkerIndexGuard(prev)
    }
}

impl Drop for WorkerIndexGuard {
    fn drop(&mut self) {
        let (index, tag) = self.0;
        crate::runtime::context::set_worker_index(index, tag);
    }
}

/// Restores the previous context and hands the core back when `drive`/`shutdown` ends.
struct RestoreOnDrop<'a> {
    cx: &'a CtContext,
    prev: *const CtContext,
}

impl Drop for RestoreOnDrop<'_> {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
        let core = self.cx.core.borrow_mut().take();
        if let Some(mut core) = core {
            // Nobody drives the scheduler until the next `block_on`: publish what it counted.
            core.stats.stretch_ended();
            self.cx.handle.publish(&mut core, true);
            self.cx.handle.release_core(core);
        }
    }
}

/// Queues `task` on this thread's core if this thread drives `handle`.
fn try_schedule_local(handle: &Handle, task: Notif, is_spawn: bool) -> Result<(), Notif> {
    let cx = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    if cx.is_null() {
        return Err(task);
    }
    // SAFETY: `CURRENT` is non-null only while `drive`/`shutdown` keep the context alive.
    let cx = unsafe { &*cx };
    if !ptr::eq(Arc::as_ptr(&cx.handle), handle) {
        return Err(task);
    }
    let Ok(mut core) = cx.core.try_borrow_mut() else {
        return Err(task);
    };
    match core.as_mut() {
        Some(core) => {
            core.stats.spawned_local += u64::from(is_spawn);
            core.tasks.push_back(task);
            Ok(())
        }
        None => Err(task),
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notif) {
        self.schedule_task(task, false);
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }

    fn telemetry(&self) -> Option<&Telemetry> {
        crate::runtime::metrics::ENABLED.then_some(&*self.tel)
    }
}
