//! [`IoDriver`]: the backend a runtime chose, behind one contract (park, unpark, maintain,
//! shutdown), and [`IoHandle`], the cheap clone I/O objects keep.

use super::backend::{log_choice, wants_io_uring, IoBackend, IoBackendChoice, Selection};
use super::poll::Reactor;
#[cfg(target_os = "linux")]
use super::uring::Uring;
use crate::runtime::metrics::IoMetrics;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// The shared state of a runtime's I/O backend.
#[derive(Clone)]
pub(crate) enum IoHandle {
    /// io_uring.
    #[cfg(target_os = "linux")]
    Uring(Arc<Uring>),
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
    /// Sets up the backend `selection` leads to. This is the one place the choice is made.
    pub(crate) fn new(selection: &Selection) -> io::Result<IoDriver> {
        let (handle, reason) = match Self::try_uring(selection) {
            Ok(handle) => (handle, "io_uring available".to_string()),
            Err(reason) => (IoHandle::Poll(Arc::new(Reactor::new()?)), reason),
        };
        let choice = IoBackendChoice {
            backend: handle.backend(),
            reason,
        };
        log_choice(&choice);
        Ok(IoDriver { handle, choice })
    }

    #[cfg(target_os = "linux")]
    fn try_uring(selection: &Selection) -> Result<IoHandle, String> {
        wants_io_uring(selection)?;
        Ok(IoHandle::Uring(Arc::new(Uring::new(
            selection.inject_setup_errno,
        )?)))
    }

    #[cfg(not(target_os = "linux"))]
    fn try_uring(selection: &Selection) -> Result<IoHandle, String> {
        wants_io_uring(selection).map(|_| unreachable!())
    }

    pub(crate) fn handle(&self) -> &IoHandle {
        &self.handle
    }

    pub(crate) fn choice(&self) -> &IoBackendChoice {
        &self.choice
    }

    /// Marks this thread as one that flushes submissions before sleeping, until the guard drops.
    pub(crate) fn enter_driving(&self) -> Option<impl Drop> {
        match &self.handle {
            IoHandle::Uring(u) => Some(u.enter_driving()),
            IoHandle::Poll(_) => None,
        }
    }

    /// The owner is about to sleep in [`IoDriver::park`]: wake-ups other threads reap from now
    /// on are passed on to it.
    pub(crate) fn prepare_park(&self) {
        match &self.handle {
            IoHandle::Uring(u) => u.prepare_park(),
            IoHandle::Poll(r) => r.prepare_park(),
        }
    }

    /// Sleeps in the backend until an event, [`IoDriver::unpark`] or `timeout`; dispatches events.
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.park(timeout),
            IoHandle::Poll(r) => r.park(timeout),
        }
    }

    /// Wakes the thread in [`IoDriver::park`].
    pub(crate) fn unpark(&self) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.unpark(),
            IoHandle::Poll(r) => r.unpark(),
        }
    }

    /// A busy worker's turn: flush submissions and dispatch what is already complete.
    pub(crate) fn maintain(&self) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => {
                u.submit();
                u.reap();
            }
            IoHandle::Poll(r) => r.park(Some(Duration::ZERO)),
        }
    }

    /// Flushes submissions before a worker sleeps somewhere other than in the driver.
    pub(crate) fn flush(&self) {
        #[cfg(target_os = "linux")]
        if let IoHandle::Uring(u) = &self.handle {
            u.submit();
        }
    }

    /// Runtime shutdown: drain what is in flight and wake every waiter.
    pub(crate) fn shutdown(&self) {
        match &self.handle {
            #[cfg(target_os = "linux")]
            IoHandle::Uring(u) => u.drain(Duration::from_secs(1)),
            IoHandle::Poll(r) => r.shutdown(),
        }
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
            if let Some(b) = u.buf_ring() {
                m.buffers = b.metrics();
            }
        }
        m
    }
}
