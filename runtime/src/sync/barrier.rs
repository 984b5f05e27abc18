//! [`Barrier`]: `n` tasks wait until all `n` have arrived.
//!
//! # Protocol
//!
//! A mutex guards `(arrived, generation)`. An arriving task increments `arrived`; the `n`-th
//! resets it, increments `generation` and, after unlocking, calls `Notify::notify_waiters`. Each
//! other task creates its `Notified` *while holding the mutex* (so before the leader's
//! `notify_waiters`, which therefore completes it) and waits until the generation it arrived in
//! is over. An arrival is counted even if the `wait` future is then dropped.

use crate::loom::sync::Mutex;
use crate::sync::Notify;
use std::fmt;

/// Lets `n` tasks meet: each `wait` returns once `n` of them are waiting.
pub struct Barrier {
    state: Mutex<(usize, u64)>,
    n: usize,
    notify: Notify,
}

/// Returned by [`Barrier::wait`]; exactly one task per generation is the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the last to arrive (exactly one per generation is).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` tasks (`0` behaves as `1`).
    pub fn new(n: usize) -> Barrier {
        Barrier {
            state: Mutex::new((0, 0)),
            n: n.max(1),
            notify: Notify::new(),
        }
    }

    /// Waits until `n` tasks are waiting.
    pub async fn wait(&self) -> BarrierWaitResult {
        let (generation, mut notified) = {
            let mut state = self.state.lock();
            state.0 += 1;
            if state.0 == self.n {
                state.0 = 0;
                state.1 += 1;
                drop(state);
                self.notify.notify_waiters();
                return BarrierWaitResult(true);
            }
            (state.1, self.notify.notified())
        };
        loop {
            notified.await;
            notified = self.notify.notified();
            if self.state.lock().1 != generation {
                return BarrierWaitResult(false);
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::tests::support::{counting_waker, poll_once, with_watchdog};
    use std::pin::pin;
    use std::task::Poll;

    #[test]
    fn last_arrival_leads_and_releases_the_others() {
        let barrier = Barrier::new(3);
        let (w, c) = counting_waker();
        let mut a = pin!(barrier.wait());
        let mut b = pin!(barrier.wait());
        assert!(poll_once(a.as_mut(), &w).is_pending());
        assert!(poll_once(b.as_mut(), &w).is_pending());
        assert_eq!(
            poll_once(pin!(barrier.wait()), &w),
            Poll::Ready(BarrierWaitResult(true))
        );
        assert_eq!(c.count(), 2);
        assert_eq!(poll_once(a, &w), Poll::Ready(BarrierWaitResult(false)));
        assert_eq!(poll_once(b, &w), Poll::Ready(BarrierWaitResult(false)));
        // The next generation starts empty.
        assert!(poll_once(pin!(barrier.wait()), &w).is_pending());
    }

    #[test]
    fn one_leader_per_generation_across_threads() {
        let leaders = with_watchdog("barrier", || {
            let barrier = std::sync::Arc::new(Barrier::new(4));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let b = barrier.clone();
                    std::thread::spawn(move || {
                        (0..1000)
                            .filter(|_| futures::executor::block_on(b.wait()).is_leader())
                            .count()
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .sum::<usize>()
        });
        assert_eq!(leaders, 1000);
    }
}
