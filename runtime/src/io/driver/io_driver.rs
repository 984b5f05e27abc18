//! [`IoDriver`]: the backend a runtime chose, behind one contract (park, unpark, maintain,
//! shutdown), and [`IoHandle`], the cheap clone I/O objects keep.

use super::backend::{log_choice, wants_io_uring, IoBackend, IoBackendChoice, Selection};
use super::poll::Reactor;
#[cfg(target_os = "linux")]
use super::uring::Rings;
use crate::runtime::metrics::{IoMetrics, IoStats};
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// The shared state of a runtime's I/O backend.
#[derive(Clone)]
pub(crate) enum IoHandle {
    /// io_uring: one ring per worker.
    #[cfg(target_os = "linux")]
    Uring(Arc<Rings>),
    /// Readiness polling.
    Poll(Arc<Reactor>),
}

impl IoHandle {
    /// The backend in use.
    pub(crate) fn backend(&self) -> IoBackend {
        match self {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(_) => IoBackend::IoUring,
            IoHandle::Poll(_) => IoBackend::Poll,
        }
    }

    /// The counters of whichever backend this is.
    pub(crate) fn stats(&self) -> &crate::runtime::metrics::IoStats {
        match self {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.stats(),
            IoHandle::Poll(r) => r.stats(),
        }
    }
}

/// A runtime's I/O driver.
pub(crate) struct IoDriver {
    handle: IoHandle,
    choice: IoBackendChoice,
}

impl IoDriver {
    /// Sets up the backend `selection` leads to, for `workers` workers (each gets its own ring
    /// on io_uring). This is the one place the choice is made.
    pub(crate) fn new(
        selection: &Selection,
        workers: usize,
        stats: Arc<IoStats>,
    ) -> io::Result<IoDriver> {
        let (handle, reason) = match Self::try_uring(selection, workers, &stats) {
            Ok(handle) => (handle, "io_uring available".to_string()),
            Err(reason) => (IoHandle::Poll(Arc::new(Reactor::new(stats)?)), reason),
        };
        let choice = IoBackendChoice {
            backend: handle.backend(),
            reason,
        };
        log_choice(&choice);
        Ok(IoDriver { handle, choice })
    }

    #[cfg(target_os = "linux")]
    fn try_uring(
        selection: &Selection,
        workers: usize,
        stats: &Arc<IoStats>,
    ) -> Result<IoHandle, String> {
        wants_io_uring(selection)?;
        Ok(IoHandle::Uring(Arc::new(Rings::new(
            workers,
            selection.inject_setup_errno,
            stats.clone(),
        )?)))
    }

    #[cfg(not(target_os = "linux"))]
    fn try_uring(
        selection: &Selection,
        _workers: usize,
        _stats: &Arc<IoStats>,
    ) -> Result<IoHandle, String> {
        wants_io_uring(selection).map(|_| unreachable!())
    }

    pub(crate) fn handle(&self) -> &IoHandle {
        &self.handle
    }

    pub(crate) fn choice(&self) -> &IoBackendChoice {
        &self.choice
    }

    /// Whether every worker sleeps in the backend (io_uring: each in its own ring), rather than
    /// one worker in the backend and the others on their condvars (poll).
    pub(crate) fn parks_every_worker(&self) -> bool {
        matches!(self.handle, IoHandle::Uring(_))
    }

    /// Marks this thread as worker `index`, which flushes its submissions before sleeping,
    /// until the guard drops.
    pub(crate) fn enter_driving(&self, index: usize) -> Option<impl Drop> {
        match &self.handle {
            IoHandle::Uring(u) => Some(u.enter_driving(index)),
            IoHandle::Poll(_) => None,
        }
    }

    /// Worker `index` is about to sleep in [`IoDriver::park`]: wake-ups other threads reap from
    /// now on are passed on to it.
    pub(crate) fn prepare_park(&self, index: usize) {
        match &self.handle {
            IoHandle::Uring(u) => u.get(index).prepare_park(),
            IoHandle::Poll(r) => r.prepare_park(),
        }
    }

    /// Sleeps worker `index` in the backend until an event, [`IoDriver::unpark`] or `timeout`;
    /// dispatches events.
    pub(crate) fn park(&self, index: usize, timeout: Option<Duration>) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.get(index).park(timeout),
            IoHandle::Poll(r) => r.park(timeout),
        }
    }

    /// Wakes worker `index` sleeping in [`IoDriver::park`].
    pub(crate) fn unpark(&self, index: usize) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.get(index).unpark(),
            IoHandle::Poll(r) => r.unpark(),
        }
    }

    /// A busy worker's turn: flush its submissions and dispatch what is already complete.
    pub(crate) fn maintain(&self) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => {
                let ring = u.current();
                ring.submit();
                ring.reap();
            }
            IoHandle::Poll(r) => r.park(Some(Duration::ZERO)),
        }
    }

    /// Whether the backend has anything a busy worker's I/O check could find (io_uring: this
    /// worker's ring has submissions queued or operations in flight; poll: a source is
    /// registered). A few loads, no lock.
    pub(crate) fn has_io(&self) -> bool {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.current().has_io(),
            IoHandle::Poll(r) => r.has_io(),
        }
    }

    /// A busy worker's frequent I/O check, between its maintenances: what is already complete
    /// or ready, without waiting (io_uring: this worker's ring, its submissions flushed).
    /// Returns how many things it found or did.
    pub(crate) fn poll_now(&self) -> usize {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.current().poll_now(),
            IoHandle::Poll(r) => r.poll_now(),
        }
    }

    /// Whether a worker about to sleep may watch its ring first: io_uring with something queued
    /// or in flight (two loads).
    #[inline]
    pub(crate) fn may_spin(&self) -> bool {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.current().has_io(),
            IoHandle::Poll(_) => false,
        }
    }

    /// Whether a check that finds nothing still costs a system call (poll: `epoll_wait`;
    /// io_uring reads its rings in memory and enters the kernel only for work).
    pub(crate) fn empty_check_is_a_system_call(&self) -> bool {
        matches!(self.handle, IoHandle::Poll(_))
    }

    /// Flushes submissions before a worker sleeps somewhere other than in the driver.
    pub(crate) fn flush(&self) {
        #[cfg(target_os = "linux")]
        if let IoHandle::Uring(u) = &self.handle {
            u.current().submit();
        }
    }

    /// Runtime shutdown: drain what is in flight and wake every waiter.
    pub(crate) fn shutdown(&self) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.all().iter().for_each(|r| r.drain(Duration::from_secs(1))),
            IoHandle::Poll(r) => r.shutdown(),
        }
    }

    /// Publishes the driver-wide values computed from the rings into the telemetry segment.
    pub(crate) fn publish(&self) {
        self.metrics();
    }

    /// Fills the I/O part of a metrics snapshot.
    pub(crate) fn metrics(&self) -> IoMetrics {
        let mut m = IoMetrics {
            backend: self.choice.backend.as_str(),
            backend_reason: self.choice.reason.clone(),
            ..IoMetrics::default()
        };
        self.handle.stats().snapshot(&mut m);
        if let IoHandle::Uring(u) = &self.handle {
            m.stray_completions = u.stray_completions();
            if let Some(b) = u.buffer_metrics() {
                m.buffers = b;
            }
        }
        self.handle.stats().publish_driver(&m);
        m
    }
}

/// The calling thread stops driving its ring until the guard drops (a worker thread that hands
/// its core away to run blocking code; see `uring::suspend_driving`).
pub(crate) fn suspend_driving() -> impl Drop {
    #[cfg(target_os = "linux")]
    return super::uring::suspend_driving();
    #[cfg(not(target_os = "linux"))]
    return NotDriving;
}

#[cfg(not(target_os = "linux"))]
struct NotDriving;

#[cfg(not(target_os = "linux"))]
impl Drop for NotDriving {
    fn drop(&mut self) {}
}
