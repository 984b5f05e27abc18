//! Thread parking with a token: an `unpark` before `park` makes that `park` return at once, so a
//! wake-up is never lost between deciding to sleep and sleeping.
//!
//! State machine on one atomic word, with a mutex and condvar for the actual sleep:
//! `EMPTY -> PARKED` (the parker, under the mutex), `* -> NOTIFIED` (the unparker, by swap; if it
//! replaced `PARKED` it takes the mutex before signalling so the parker cannot miss it), and
//! `NOTIFIED -> EMPTY` (the parker consumes the token).
//!
//! The thread that owns the runtime's driver sleeps in the I/O backend instead of on the condvar:
//! it moves `EMPTY -> PARKED_DRIVER` and blocks in the driver; an unparker that replaces
//! `PARKED_DRIVER` wakes the driver (an eventfd write or epoll waker), which is sticky, so a wake
//! that lands before the owner is actually blocked still ends its sleep.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Condvar, Mutex};
use std::time::Duration;

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
const PARKED_DRIVER: usize = 3;

/// Wakes the I/O driver of a thread parked in it.
pub(crate) type DriverWaker = std::sync::Arc<dyn Fn() + Send + Sync>;

/// A parker shared between the thread that sleeps on it and those that wake it.
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
    driver_waker: Option<DriverWaker>,
}

impl std::fmt::Debug for Parker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parker")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker::with_driver_waker(None)
    }

    /// A parker whose thread may sleep in the driver `waker` wakes.
    pub(crate) fn with_driver_waker(driver_waker: Option<DriverWaker>) -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
            driver_waker,
        }
    }

    /// Sleeps in the driver: `sleep(timeout)` blocks until the driver is woken or `timeout`
    /// passes. Returns true if a token ended (or prevented) the sleep.
    pub(crate) fn park_driver(
        &self,
        timeout: Option<Duration>,
        sleep: impl FnOnce(Option<Duration>),
    ) -> bool {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            sleep(Some(Duration::ZERO));
            return true;
        }
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                sleep(Some(Duration::ZERO));
                return true;
            }
            Err(other) => unreachable!("parker in state {other} while parking"),
        }
        sleep(timeout);
        self.state.swap(EMPTY, SeqCst) == NOTIFIED
    }

    /// Sleeps until unparked, or until `timeout` passes (`None`: no limit; zero: just consume a
    /// pending token). Returns true if it was woken by a token.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> bool {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return true;
        }
        if timeout == Some(Duration::ZERO) {
            return false;
        }
        let mut guard = self.lock.lock();
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return true;
            }
            Err(other) => unreachable!("parker in state {other} while parking"),
        }
        loop {
            guard = match timeout {
                Some(t) => self.cvar.wait_timeout(guard, t),
                None => self.cvar.wait(guard),
            };
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return true;
            }
            if timeout.is_some() {
                // Timed out (or spurious wake-up treated as such): withdraw, keeping a late token.
                return self.state.swap(EMPTY, SeqCst) == NOTIFIED;
            }
        }
    }

    /// Wakes the parked thread, or makes its next `park` return at once.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            PARKED => {
                // Taking the lock orders us after the parker's check-then-wait.
                drop(self.lock.lock());
                self.cvar.notify_one();
            }
            PARKED_DRIVER => {
                if let Some(wake) = &self.driver_waker {
                    wake();
                }
            }
            _ => {}
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn token_before_park_returns_at_once() {
        let p = Parker::new();
        p.unpark();
        assert!(p.park(None));
        assert!(!p.park(Some(Duration::ZERO)));
    }

    #[test]
    fn unpark_from_other_thread_wakes_every_time() {
        let p = Arc::new(Parker::new());
        let p2 = p.clone();
        let t = std::thread::spawn(move || {
            for _ in 0..10_000 {
                p2.park(None);
            }
        });
        // Tokens are not counted, so keep unparking until the parker has done its 10,000 parks.
        while !t.is_finished() {
            p.unpark();
            std::thread::yield_now();
        }
        t.join().unwrap();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;

    #[test]
    fn unpark_is_never_lost() {
        loom::model(|| {
            let p = Arc::new(Parker::new());
            let p2 = p.clone();
            let t = loom::thread::spawn(move || p2.unpark());
            p.park(None);
            t.join().unwrap();
        });
    }

    /// An unpark that races with the owner going to sleep in the driver either leaves a token
    /// (the owner does not sleep) or wakes the driver (the sleep ends): never a lost wake-up.
    #[test]
    fn unpark_reaches_a_thread_sleeping_in_the_driver() {
        loom::model(|| {
            // The "driver": a flag under a mutex, waited on with a condvar.
            let driver = Arc::new((Mutex::new(false), Condvar::new()));
            let d = driver.clone();
            let waker: DriverWaker = std::sync::Arc::new(move || {
                *d.0.lock() = true;
                d.1.notify_one();
            });
            let p = Arc::new(Parker::with_driver_waker(Some(waker)));
            let p2 = p.clone();
            let t = loom::thread::spawn(move || p2.unpark());
            let sleep = |timeout: Option<Duration>| {
                if timeout == Some(Duration::ZERO) {
                    return;
                }
                let mut woken = driver.0.lock();
                while !*woken {
                    woken = driver.1.wait(woken);
                }
            };
            assert!(p.park_driver(None, sleep));
            t.join().unwrap();
        });
    }
}
