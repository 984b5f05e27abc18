//! A worker thread: its core (run queue, counters) and its loop.
//!
//! The loop: every tick take the next task (the LIFO slot, then the local queue, then a batch of
//! the global queue; the global queue first every `global_queue_interval` ticks so it cannot
//! starve), else steal half of a random victim's queue, else park. Every `event_interval` ticks
//! run maintenance: fire due timers, publish counters, check for shutdown.
//!
//! While a task is polled, the core sits in the thread's `WorkerContext`, so wakes from that task
//! reach the local queue, and `block_in_place` can hand the core to a new thread. After the poll
//! the loop takes the core back; if it is gone, this thread stops being a worker.

use super::handle::{Handle, Kind, Notif};
use super::queue::{Local, MAX_LIFO_POLLS};
use crate::loom::sync::atomic::Ordering::Acquire;
use crate::runtime::metrics::WorkerStats;
use crate::runtime::scheduler::{IoCheck, IoSpin, IO_SPIN};
use crate::runtime::{context, coop};
use crate::task::pool;
use crate::util::rand::FastRand;
use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::Arc;
use std::time::Instant;

/// The worker's private state; moves between threads only through `block_in_place`.
pub(crate) struct Core {
    index: usize,
    run_queue: Local<Notif>,
    tick: u32,
    is_searching: bool,
    is_shutdown: bool,
    /// Set while the core runs the timer (maintenance, parking): wakes then go to the back.
    in_driver: bool,
    rand: FastRand,
    stats: WorkerStats,
    /// When it checks for I/O between maintenances.
    io_check: IoCheck,
    /// Whether it watches its ring a while before it sleeps.
    io_spin: IoSpin,
}

impl Core {
    pub(super) fn new(index: usize, workers: usize, run_queue: Local<Notif>) -> Box<Core> {
        Box::new(Core {
            index,
            run_queue,
            tick: 0,
            is_searching: false,
            is_shutdown: false,
            in_driver: false,
            rand: FastRand::new(0x9E37_79B9 ^ ((index as u64 + 1) << 32)),
            stats: WorkerStats::new(workers),
            io_check: IoCheck::new(),
            io_spin: IoSpin::new(),
        })
    }

    /// Drops every queued task reference (shutdown).
    pub(super) fn drain(&mut self) {
        while self.run_queue.pop().is_some() {}
    }

    /// Publishes this worker's counters; with `shared`, also the runtime-wide gauges and pools
    /// (they take locks to read, so only on the timed publications, at most once a millisecond).
    fn publish(&mut self, handle: &Handle, shared: bool) {
        self.stats.local_queue_depth = self.run_queue.len() as u64;
        self.stats.publish(&handle.tel, self.index);
        pool::publish();
        if shared {
            handle.publish_shared();
        }
    }

    fn next_task(&mut self, handle: &Handle) -> Option<Notif> {
        if self
            .tick
            .is_multiple_of(handle.config.global_queue_interval)
        {
            if let Some(t) = handle.pop_global(&self.run_queue, false) {
                return Some(t);
            }
        }
        self.run_queue
            .pop()
            .or_else(|| handle.pop_global(&self.run_queue, true))
    }

    fn steal_work(&mut self, handle: &Handle) -> Option<Notif> {
        if !self.is_searching {
            self.is_searching = handle.idle.transition_worker_to_searching();
            if !self.is_searching {
                return None;
            }
        }
        let n = handle.remotes.len();
        let start = self.rand.below(n as u32) as usize;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            self.stats.steal_attempts += 1;
            if let Some((task, count)) = handle.remotes[victim].steal_half_into(&mut self.run_queue)
            {
                self.stats.record_steal(victim, count);
                handle.tel.ev_steal(self.index, victim, count);
                return Some(task);
            }
        }
        handle.pop_global(&self.run_queue, true)
    }

    fn schedule_local(&mut self, handle: &Handle, task: Notif, kind: Kind) {
        // Wake events come with the sampled polls only (one each per wake is too much for
        // message-heavy workloads).
        if kind == Kind::Wake && self.stats.sampled() {
            let by = (!self.in_driver).then(crate::task::try_id).flatten();
            handle
                .tel
                .ev_wake(self.index, task.id().as_u64(), by.map(|i| i.as_u64()));
        }
        let pushed_to_queue = match kind {
            // Woken by the running task: run it next, while the data it was woken for is warm.
            // Timer wakes from the driver go to the back, so due timers run in deadline order.
            Kind::Wake if !self.in_driver => self.run_queue.push_lifo(task),
            Kind::Wake => {
                // No wake-up per task: the driver may hand over many at once, and this worker
                // wakes one helper afterwards if it has more than it runs next (see
                // `with_core_installed`).
                self.run_queue.push_back(task);
                false
            }
            Kind::Spawn => {
                // New tasks go where other workers can steal them: the LIFO slot is private, and a
                // task left there while its worker blocks would wait for that worker.
                self.stats.spawned_local += 1;
                self.run_queue.push_back(task);
                true
            }
            Kind::Yield => {
                // No wake-up: this worker is running and will reach it; waking a sleeper for
                // a task that merely yielded costs more than it saves.
                self.run_queue.push_back(task);
                false
            }
        };
        if pushed_to_queue {
            handle.notify_parked();
        }
    }
}

/// The thread's worker context, reachable through `CURRENT` while the worker runs.
struct WorkerContext {
    handle: Arc<Handle>,
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static CURRENT: Cell<*const WorkerContext> = const { Cell::new(ptr::null()) };
}

/// Queues `task` on this thread's core if this thread is a worker of `handle` holding its core.
pub(super) fn try_schedule_local(handle: &Handle, task: Notif, kind: Kind) -> Result<(), Notif> {
    let cx = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    if cx.is_null() {
        return Err(task);
    }
    // SAFETY: `CURRENT` is non-null only while `run` keeps the context alive on this thread.
    let cx = unsafe { &*cx };
    if !ptr::eq(Arc::as_ptr(&cx.handle), handle) {
        return Err(task);
    }
    let Ok(mut core) = cx.core.try_borrow_mut() else {
        return Err(task);
    };
    match core.as_mut() {
        Some(core) => {
            core.schedule_local(handle, task, kind);
            Ok(())
        }
        None => Err(task),
    }
}

/// Runs a worker on this thread until shutdown (or until its core is handed away).
pub(super) fn run(handle: Arc<Handle>, core: Box<Core>) {
    let pool = pool::enter();
    {
        let mut pools = handle.pools.lock();
        if !pools.iter().any(|p| ptr::eq(*p, pool.pool())) {
            pools.push(pool.pool());
        }
    }
    let _runtime = context::enter_runtime();
    let _driving = handle.driver.enter_io_driving(core.index);
    context::set_worker_index(Some(core.index), handle.tel.worker_tag());
    let cx = WorkerContext {
        handle,
        core: RefCell::new(None),
    };
    let prev = CURRENT.with(|c| c.replace(&cx));
    let core = cx.run(core);
    CURRENT.with(|c| c.set(prev));
    context::set_worker_index(None, 0);
    if let Some(mut core) = core {
        core.publish(&cx.handle, true);
        core.drain();
        cx.handle.exited.lock().push(core);
    }
}

impl WorkerContext {
    fn run(&self, mut core: Box<Core>) -> Option<Box<Core>> {
        let handle = &*self.handle;
        core.stats.stretch_started();
        while !core.is_shutdown {
            core.tick = core.tick.wrapping_add(1);
            if core.tick.is_multiple_of(handle.config.event_interval) {
                core = self.maintenance(core)?;
                if core.is_shutdown {
                    break;
                }
                core.io_check.maintained();
            } else if core.io_check.tick() {
                core = self.io_check(core)?;
            }
            if let Some(task) = core.next_task(handle) {
                core = self.run_task(task, core)?;
                continue;
            }
            if let Some(task) = core.steal_work(handle) {
                core = self.run_task(task, core)?;
                continue;
            }
            if handle.driver.io_driver().may_spin() && core.io_spin.should_spin() {
                let found;
                (core, found) = self.spin_for_io(core)?;
                if found {
                    continue;
                }
            }
            core = self.park(core)?;
        }
        Some(core)
    }

    /// Before sleeping with io_uring operations in flight (the caller checked): watches this
    /// worker's ring, the global queue and the other workers' queues for up to [`IO_SPIN`] (see
    /// [`IoSpin`]). Returns whether it found work (queued here, to run next).
    ///
    /// A searcher that finds work wakes another worker as it stops searching (there may be
    /// more). When what it found is a completion of its own that queued at most one task, the
    /// last searcher wakes a sleeper only if another worker's queue or the global queue holds
    /// work: waking one for the task it runs itself cost a file read in a loop a context
    /// switch per read.
    #[cold]
    #[inline(never)]
    fn spin_for_io(&self, mut core: Box<Core>) -> Option<(Box<Core>, bool)> {
        let handle = &*self.handle;
        let io = handle.driver.io_driver();
        let start = Instant::now();
        let mut looks = 0u32;
        let found = loop {
            let mut completed = 0;
            core = self.run_installed(core, || {
                completed = io.poll_now();
                completed > 0
            })?;
            if completed > 0 || !core.run_queue.is_empty() {
                if core.run_queue.len() <= 1
                    && std::mem::take(&mut core.is_searching)
                    && handle.idle.transition_worker_from_searching()
                {
                    // The last searcher leaves: a sleeper is woken only for work elsewhere.
                    handle.notify_if_work_elsewhere(core.index);
                }
                break true;
            }
            looks += 1;
            // The other queues and the clock every 8 looks.
            if looks.is_multiple_of(8) {
                if let Some(task) = core.steal_work(handle) {
                    core.run_queue.push_back(task);
                    break true;
                }
                if start.elapsed() >= IO_SPIN || !io.has_io() || handle.shutdown.load(Acquire) {
                    break false;
                }
            }
            // About a microsecond between looks: a look takes the ring's locks, and the steals
            // touch the other workers' queues (lines a busy worker writes).
            for _ in 0..16 {
                std::hint::spin_loop();
            }
        };
        core.io_spin.spun(found);
        Some((core, found))
    }

    fn run_task(&self, task: Notif, mut core: Box<Core>) -> Option<Box<Core>> {
        if core.is_searching {
            core.is_searching = false;
            if self.handle.idle.transition_worker_from_searching() {
                self.handle.notify_parked();
            }
        }
        core = self.poll(task, core)?;
        for _ in 0..MAX_LIFO_POLLS {
            let Some(task) = core.run_queue.take_lifo() else {
                return Some(core);
            };
            core.stats.lifo_hits += 1;
            core = self.poll(task, core)?;
        }
        // The LIFO chain hit its limit: the slot's task waits its turn like the others.
        if core.run_queue.flush_lifo() {
            self.handle.notify_parked();
        }
        Some(core)
    }

    /// Polls one task with the core in the context; takes it back afterwards.
    fn poll(&self, task: Notif, mut core: Box<Core>) -> Option<Box<Core>> {
        core.stats.poll_started();
        *self.core.borrow_mut() = Some(core);
        let (completed, exhausted) = coop::budget(|| task.run());
        let mut core = self.core.borrow_mut().take()?;
        core.stats.poll_ended();
        core.stats.completed += u64::from(completed);
        core.stats.budget_forced_yields += u64::from(exhausted && !completed);
        Some(core)
    }

    /// Runs `f` with the core in the context (so wakes it causes reach the local queue).
    fn with_core_installed(&self, core: Box<Core>, f: impl FnOnce()) -> Option<Box<Core>> {
        self.run_installed(core, || {
            f();
            true
        })
    }

    /// [`WorkerContext::with_core_installed`] for an `f` that says whether it may have queued
    /// tasks (no sleeper is woken when it did not).
    fn run_installed(&self, mut core: Box<Core>, f: impl FnOnce() -> bool) -> Option<Box<Core>> {
        core.in_driver = true;
        *self.core.borrow_mut() = Some(core);
        let queued = f();
        let mut core = self.core.borrow_mut().take()?;
        core.in_driver = false;
        // The driver queued tasks here without waking anyone: if there is more than the one
        // this worker runs next, one sleeper comes to steal (it wakes another if it finds
        // more, and so on).
        if queued && core.run_queue.len() > 1 {
            self.handle.notify_parked();
        }
        Some(core)
    }

    /// The I/O check between maintenances (see [`IoCheck`]).
    fn io_check(&self, mut core: Box<Core>) -> Option<Box<Core>> {
        let io = self.handle.driver.io_driver();
        if io.has_io() {
            let mut found = 0;
            // Only a check that found something may have queued tasks: one that found
            // nothing wakes no sleeper.
            core = self.run_installed(core, || {
                found = io.poll_now();
                found > 0
            })?;
            core.io_check
                .checked(found, io.empty_check_is_a_system_call());
        }
        Some(core)
    }

    fn maintenance(&self, mut core: Box<Core>) -> Option<Box<Core>> {
        if core.stats.stretch_ended() {
            core.publish(&self.handle, true);
        }
        core.is_shutdown = self.handle.shutdown.load(Acquire);
        self.with_core_installed(core, || self.handle.driver.maintain())
    }

    fn park(&self, mut core: Box<Core>) -> Option<Box<Core>> {
        let handle = &*self.handle;
        let index = core.index;
        let was_searching = std::mem::take(&mut core.is_searching);
        if handle
            .idle
            .transition_worker_to_parked(index, was_searching)
        {
            handle.notify_if_work_pending();
        }
        core.stats.parks += 1;
        // Always publish before sleeping, so an idle runtime's counters are exact. (Deferring it
        // behind a timed park measured slower on `chained_spawn` than publishing every time.)
        let due = core.stats.stretch_ended();
        core.publish(handle, due);
        handle.tel.ev_park(index, true, &core.stats);
        loop {
            core = self.with_core_installed(core, || {
                handle.driver.park(index, None);
            })?;
            if handle.shutdown.load(Acquire) {
                core.is_shutdown = true;
                handle.idle.unpark_worker_by_id(index);
                break;
            }
            if !handle.idle.is_parked(index) {
                // Woken by `notify_parked`: we count as searching.
                core.is_searching = true;
                break;
            }
            if !core.run_queue.is_empty() {
                // Timers fired or I/O completed while we slept and queued work here. If a
                // notifier took us off the sleeper list meanwhile, it counted us as searching:
                // we are then a searcher, and must say so when we stop.
                if !handle.idle.unpark_worker_by_id(index) {
                    core.is_searching = true;
                }
                break;
            }
            core.stats.spurious_wakeups += 1;
        }
        core.stats.unparks += 1;
        core.stats.stretch_started();
        handle.tel.ev_park(index, false, &core.stats);
        Some(core)
    }
}

/// Runs blocking code on a worker thread without stalling the runtime: the worker's core (its
/// queue) is handed to a new thread first, so other tasks keep running meanwhile.
///
/// Outside a runtime it just runs `f`. Panics on the current-thread runtime, which has no other
/// thread to hand its work to.
#[track_caller]
pub(crate) fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    let cx = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    if cx.is_null() {
        if context::is_in_runtime()
            && context::with_current(|h| h.is_current_thread()).unwrap_or(false)
        {
            panic!("can call blocking only when running on the multi-threaded runtime");
        }
        return f();
    }
    // SAFETY: `CURRENT` is non-null only while `run` keeps the context alive on this thread.
    let cx = unsafe { &*cx };
    let core = cx.core.borrow_mut().take();
    if let Some(mut core) = core {
        if core.run_queue.flush_lifo() {
            cx.handle.notify_parked();
        }
        core.publish(&cx.handle, false);
        if let Err(e) = cx.handle.start_worker(core) {
            panic!("block_in_place: failed to start a replacement worker thread: {e}");
        }
    }
    // The replacement thread drives this worker's ring now, and is this worker for telemetry;
    // ours submits like any other thread and writes no worker's events.
    let _not_driving = crate::io::driver::suspend_driving();
    context::set_worker_index(None, 0);
    context::exit_runtime(f)
}
