//! The two scheduler flavors behind one enum (static dispatch, no trait object).

pub(crate) mod current_thread;
pub(crate) mod multi_thread;

use super::blocking::BlockingPool;
use super::metrics::RuntimeMetrics;
use crate::task::{JoinHandle, SpawnMeta};
use std::future::Future;
use std::sync::Arc;

pub(crate) use multi_thread::handle_pool_metrics as multi_thread_pool_metrics;

/// When a busy worker of the multi-thread runtime checks for I/O between its maintenances
/// (every `event_interval` ticks): it flushes its ring's submissions and reaps what completed
/// (io_uring), or takes the events already there (poll backend, no wait), so the tasks that
/// I/O wakes run sooner and the peers of the bytes it queued get them sooner. Every [`IO_CHECK_MIN`] ticks; on the poll backend,
/// where a check that finds nothing still costs a system call, after [`IO_CHECK_PATIENCE`]
/// such checks in a row each one more doubles the gap (up to [`IO_CHECK_MAX`]) until one finds
/// something (doubling at the first empty check lost the whole gain under load, where empty
/// and busy checks alternate). With nothing queued, in flight or registered there is no check
/// (a few loads). Measured on the I/O bench's workloads (docs/performance.md): checking only
/// at maintenance left completions waiting behind up to 61 polls of other tasks and the other
/// worker idle meanwhile. The current-thread runtime, with no other worker to keep busy, was
/// measured without gain (slightly slower) and checks at maintenance only.
#[derive(Debug)]
pub(crate) struct IoCheck {
    interval: u32,
    countdown: u32,
    /// Consecutive checks that found nothing.
    empty: u32,
}

const IO_CHECK_MIN: u32 = 8;
const IO_CHECK_MAX: u32 = 128;
const IO_CHECK_PATIENCE: u32 = 4;

impl IoCheck {
    pub(crate) fn new() -> IoCheck {
        IoCheck {
            interval: IO_CHECK_MIN,
            countdown: IO_CHECK_MIN,
            empty: 0,
        }
    }

    /// Counts a tick; true when a check is due.
    #[inline]
    pub(crate) fn tick(&mut self) -> bool {
        self.countdown -= 1;
        if self.countdown == 0 {
            self.countdown = self.interval;
            return true;
        }
        false
    }

    /// The worker's maintenance just checked I/O: the next check is a full gap away.
    #[inline]
    pub(crate) fn maintained(&mut self) {
        self.countdown = self.interval;
    }

    /// A check found `found` things; `syscall`: one that finds nothing still costs a system
    /// call (it backs off).
    pub(crate) fn checked(&mut self, found: usize, syscall: bool) {
        self.empty = if found == 0 { self.empty + 1 } else { 0 };
        if self.empty == 0 {
            self.interval = IO_CHECK_MIN;
        } else if self.empty > IO_CHECK_PATIENCE && syscall {
            self.interval = (self.interval * 2).min(IO_CHECK_MAX);
        }
        self.countdown = self.interval;
    }
}

/// Whether a worker of the multi-thread runtime about to sleep with io_uring operations in
/// flight first watches its ring (and the queues) for up to [`IO_SPIN`]: a completion that comes
/// within microseconds (a loopback or LAN round trip) is cheaper to find awake than to be woken
/// for, since a sleeping worker's wake-up is a context switch (and, on a virtual machine, a
/// halted vCPU to resume). Adaptive, so a service whose connections sit idle does not spin for
/// nothing: after [`IO_SPIN_PATIENCE`] spins in a row that found nothing, the next
/// [`IO_SPIN_PAUSE`] parks do not spin, then one spin probes again. The poll backend never
/// spins (each look there is a system call).
#[derive(Debug)]
pub(crate) struct IoSpin {
    /// Fruitless spins in a row.
    misses: u32,
    /// Parks still to go without a spin.
    paused: u32,
}

/// The longest a worker watches its ring before it sleeps.
pub(crate) const IO_SPIN: std::time::Duration = std::time::Duration::from_micros(30);
const IO_SPIN_PATIENCE: u32 = 3;
const IO_SPIN_PAUSE: u32 = 32;

impl IoSpin {
    pub(crate) fn new() -> IoSpin {
        IoSpin {
            misses: 0,
            paused: 0,
        }
    }

    /// A park is coming: whether to spin first (counts a paused park).
    pub(crate) fn should_spin(&mut self) -> bool {
        if self.paused > 0 {
            self.paused -= 1;
            return false;
        }
        true
    }

    /// A spin ended; `found`: it found work.
    pub(crate) fn spun(&mut self, found: bool) {
        if found {
            self.misses = 0;
            return;
        }
        self.misses += 1;
        if self.misses >= IO_SPIN_PATIENCE {
            self.paused = IO_SPIN_PAUSE;
            // The probe after the pause counts as one more miss in a row: one fruitless probe
            // pauses again.
            self.misses = IO_SPIN_PATIENCE - 1;
        }
    }
}

/// A handle to either scheduler.
#[derive(Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

impl Handle {
    pub(crate) fn spawn<F>(&self, future: F, meta: SpawnMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Handle::CurrentThread(h) => h.spawn(future, meta),
            Handle::MultiThread(h) => h.spawn(future, meta),
        }
    }

    pub(crate) fn timer(&self) -> &crate::time::TimerHandle {
        self.driver().timer()
    }

    pub(crate) fn driver(&self) -> &crate::runtime::driver::Driver {
        match self {
            Handle::CurrentThread(h) => h.driver(),
            Handle::MultiThread(h) => h.driver(),
        }
    }

    pub(crate) fn blocking(&self) -> &BlockingPool {
        match self {
            Handle::CurrentThread(h) => &h.blocking,
            Handle::MultiThread(h) => &h.blocking,
        }
    }

    pub(crate) fn config(&self) -> &super::config::Config {
        match self {
            Handle::CurrentThread(h) => &h.config,
            Handle::MultiThread(h) => &h.config,
        }
    }

    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        match self {
            Handle::CurrentThread(h) => h.metrics(),
            Handle::MultiThread(h) => h.metrics(),
        }
    }

    pub(crate) fn is_current_thread(&self) -> bool {
        matches!(self, Handle::CurrentThread(_))
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        match self {
            Handle::CurrentThread(h) => h.is_shutdown(),
            Handle::MultiThread(h) => h.is_shutdown(),
        }
    }

    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        match (self, other) {
            (Handle::CurrentThread(a), Handle::CurrentThread(b)) => Arc::ptr_eq(a, b),
            (Handle::MultiThread(a), Handle::MultiThread(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Parks that spin, out of the next `n`, with every spin finding `found`.
    fn spins(s: &mut IoSpin, n: usize, found: bool) -> Vec<bool> {
        (0..n)
            .map(|_| {
                let spin = s.should_spin();
                if spin {
                    s.spun(found);
                }
                spin
            })
            .collect()
    }

    #[test]
    fn io_spins_pause_after_fruitless_ones_and_probe_again() {
        let mut s = IoSpin::new();
        // Spins that find work go on spinning.
        assert!(spins(&mut s, 10, true).iter().all(|&b| b));
        // Three fruitless spins in a row, then 32 parks without, then one probe.
        let mut expected = vec![true; 3];
        expected.extend([false; 32]);
        expected.push(true);
        expected.extend([false; 32]);
        expected.push(true);
        assert_eq!(spins(&mut s, 3 + 33 + 33, false), expected);
        // A probe that finds work ends the pause: spinning goes on, and takes three misses
        // again to pause.
        assert_eq!(spins(&mut s, 32, false).iter().filter(|&&b| b).count(), 0);
        assert_eq!(spins(&mut s, 1, true), [true]);
        assert_eq!(spins(&mut s, 3, false), [true; 3]);
        assert_eq!(spins(&mut s, 1, false), [false]);
    }

    /// Ticks until the next check is due.
    fn gap(c: &mut IoCheck) -> u32 {
        let mut n = 1;
        while !c.tick() {
            n += 1;
        }
        n
    }

    #[test]
    fn io_checks_back_off_only_where_an_empty_check_costs_a_call() {
        let mut c = IoCheck::new();
        assert_eq!(gap(&mut c), IO_CHECK_MIN);
        // io_uring: empty checks cost no call, the gap stays.
        for _ in 0..20 {
            c.checked(0, false);
            assert_eq!(gap(&mut c), IO_CHECK_MIN);
        }
        // Poll: `IO_CHECK_PATIENCE` empty checks in a row keep the gap, then it doubles up
        // to the maximum.
        let mut c = IoCheck::new();
        let mut gaps = Vec::new();
        for _ in 0..12 {
            c.checked(0, true);
            gaps.push(gap(&mut c));
        }
        assert_eq!(gaps, [8, 8, 8, 8, 16, 32, 64, 128, 128, 128, 128, 128]);
        // One check that finds something: back to the minimum, and patience again.
        c.checked(3, true);
        assert_eq!(gap(&mut c), IO_CHECK_MIN);
        c.checked(0, true);
        assert_eq!(gap(&mut c), IO_CHECK_MIN);
        // A maintenance in between restarts the countdown.
        c.tick();
        c.maintained();
        assert_eq!(gap(&mut c), IO_CHECK_MIN);
    }
}
