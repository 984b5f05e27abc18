//! The park driver: the one thread that sleeps on behalf of the timer.
//!
//! Among the workers that go to sleep, the first to take the driver lock becomes the *driver
//! owner*: it sleeps only until the next timer deadline and fires due timers when it wakes. The
//! others sleep without a timeout. When a timer is registered earlier than what the owner waits
//! for, the timer calls [`Driver::unpark_owner`]. The owner index is published with SeqCst before the
//! owner reads the next deadline, and the timer updates its deadline before reading the owner, so
//! one of the two always sees the other (no missed early timer).
//!
//! The owner sleeps in the I/O driver (io_uring or epoll), so it also wakes for I/O completions;
//! the driver stack is time -> io -> park. On io_uring every worker has a ring of its own and
//! every worker sleeps in it (the owner with the timer's timeout); on epoll the others sleep on
//! their condvars after flushing. Busy workers flush and reap during maintenance.

use super::park::{DriverWaker, Parker};
use crate::io::driver::{IoDriver, IoHandle, Selection};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use crate::runtime::metrics::{IoMetrics, IoStats, Telemetry};
use crate::time::TimerHandle;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NO_OWNER: usize = usize::MAX;

/// Wakes whichever parker currently owns the driver.
#[derive(Debug)]
pub(crate) struct DriverUnpark {
    owner: AtomicUsize,
    parkers: Box<[Arc<Parker>]>,
}

impl DriverUnpark {
    pub(crate) fn unpark_owner(&self) {
        let owner = self.owner.load(SeqCst);
        if owner != NO_OWNER {
            self.parkers[owner].unpark();
        }
    }
}

/// The timer plus the lock that elects the thread sleeping for it.
pub(crate) struct Driver {
    tel: Arc<Telemetry>,
    lock: Mutex<()>,
    unpark: Arc<DriverUnpark>,
    timer: TimerHandle,
    io: Arc<IoDriver>,
}

impl Driver {
    /// A driver for `n` parkers (one per worker; the index is the worker's).
    pub(crate) fn new(
        n: usize,
        selection: &Selection,
        tel: &Arc<Telemetry>,
    ) -> std::io::Result<Driver> {
        let stats = Arc::new(IoStats::new(tel.clone()));
        let io = Arc::new(IoDriver::new(selection, n, stats)?);
        tel.set_backend(io.choice().backend.as_str(), &io.choice().reason);
        let weak = Arc::downgrade(&io);
        tel.add_publisher(Box::new(move || {
            if let Some(io) = weak.upgrade() {
                io.publish();
            }
        }));
        let parkers = (0..n)
            .map(|i| {
                let io = io.clone();
                let waker: DriverWaker = Arc::new(move || io.unpark(i));
                Arc::new(Parker::with_driver_waker(Some(waker)))
            })
            .collect();
        let unpark = Arc::new(DriverUnpark {
            owner: AtomicUsize::new(NO_OWNER),
            parkers,
        });
        let shards = unpark.parkers.len();
        let u = unpark.clone();
        let timer = TimerHandle::new(shards, std::sync::Arc::new(move || u.unpark_owner()));
        Ok(Driver {
            tel: tel.clone(),
            lock: Mutex::new(()),
            unpark,
            timer,
            io,
        })
    }

    /// Marks this thread as worker `index`, driving that worker's part of the I/O driver (see
    /// `Rings::enter_driving`).
    pub(crate) fn enter_io_driving(&self, index: usize) -> Option<impl Drop> {
        self.io.enter_driving(index)
    }

    pub(crate) fn io(&self) -> &IoHandle {
        self.io.handle()
    }

    pub(crate) fn io_backend(&self) -> crate::io::driver::IoBackendChoice {
        self.io.choice().clone()
    }

    pub(crate) fn io_metrics(&self) -> IoMetrics {
        self.io.metrics()
    }

    pub(crate) fn timer(&self) -> &TimerHandle {
        &self.timer
    }

    pub(crate) fn parker(&self, index: usize) -> &Arc<Parker> {
        &self.unpark.parkers[index]
    }

    /// Sleeps worker `index` until unparked (or `limit` passes). Returns true if woken by a token.
    pub(crate) fn park(&self, index: usize, limit: Option<Duration>) -> bool {
        let parker = &self.unpark.parkers[index];
        let Some(_owner) = self.lock.try_lock() else {
            if self.io.parks_every_worker() {
                self.io.prepare_park(index);
                return parker.park_driver(limit, |t| self.io.park(index, t));
            }
            self.io.flush();
            return parker.park(limit);
        };
        self.unpark.owner.store(index, SeqCst);
        let timeout = self.timeout(limit);
        // Before the parker state changes, so a wake-up another thread reaps in between is
        // passed on rather than lost.
        self.io.prepare_park(index);
        let woken = parker.park_driver(timeout, |t| self.io.park(index, t));
        self.unpark.owner.store(NO_OWNER, SeqCst);
        self.fire_timers();
        woken
    }

    fn timeout(&self, limit: Option<Duration>) -> Option<Duration> {
        let timer = self
            .timer
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        match (timer, limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The I/O driver (a busy worker's I/O check between maintenances).
    pub(crate) fn io_driver(&self) -> &IoDriver {
        &self.io
    }

    /// Fires due timers if no thread is sleeping for them (busy workers call this between tasks).
    pub(crate) fn maintain(&self) {
        self.io.maintain();
        if self
            .timer
            .next_deadline()
            .is_some_and(|d| d <= Instant::now())
        {
            if let Some(_g) = self.lock.try_lock() {
                self.fire_timers();
            }
        }
    }

    /// Fires the due timers, one telemetry event each.
    fn fire_timers(&self) {
        for _ in 0..self.timer.process(Instant::now()) {
            self.tel.ev_timer(0);
        }
    }

    /// Wakes every timer (runtime shutdown).
    pub(crate) fn shutdown(&self) {
        self.timer.shutdown();
        self.io.shutdown();
    }
}
