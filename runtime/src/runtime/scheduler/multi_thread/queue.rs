//! A worker's run queue: a crossbeam-deque `Worker` (Chase-Lev deque, used FIFO, stealable) plus a
//! LIFO slot holding the most recently woken task.
//!
//! The LIFO slot makes message passing fast: a task woken by the running task runs next, while its
//! data is still in cache. It is private to the worker (never stolen), and the worker runs at most
//! `MAX_LIFO_POLLS` tasks from it in a row before moving the occupant to the back of the queue, so
//! two tasks waking each other cannot starve the rest.
//!
//! Under `cfg(loom)` the deque is a mutex-guarded `VecDeque` with the same interface, so the loom
//! model checks this wrapper's logic (slot displacement, stealing half, counts), not crossbeam's.

#[cfg(not(loom))]
pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};
#[cfg(loom)]
pub(crate) use loom_deque::{Injector, Steal, Stealer, Worker};

/// Tasks a worker may run from the LIFO slot in a row.
pub(crate) const MAX_LIFO_POLLS: usize = 3;

/// The owner's end.
pub(crate) struct Local<T> {
    deque: Worker<T>,
    lifo: Option<T>,
}

/// Another worker's end: it can take half of the queue.
pub(crate) struct Remote<T>(Stealer<T>);

impl<T> Local<T> {
    pub(crate) fn new() -> (Local<T>, Remote<T>) {
        let deque = Worker::new_fifo();
        let stealer = deque.stealer();
        (Local { deque, lifo: None }, Remote(stealer))
    }

    /// Queues at the back (spawns, yields, tasks displaced from the slot).
    pub(crate) fn push_back(&mut self, task: T) {
        self.deque.push(task);
    }

    /// Puts a woken task in the LIFO slot; the previous occupant goes to the back of the queue.
    /// Returns true if something was pushed to the (stealable) queue.
    pub(crate) fn push_lifo(&mut self, task: T) -> bool {
        match self.lifo.replace(task) {
            Some(prev) => {
                self.deque.push(prev);
                true
            }
            None => false,
        }
    }

    /// Takes the slot's task.
    pub(crate) fn take_lifo(&mut self) -> Option<T> {
        self.lifo.take()
    }

    /// Moves the slot's task (if any) to the back of the queue, e.g. when the LIFO limit is hit.
    pub(crate) fn flush_lifo(&mut self) -> bool {
        match self.lifo.take() {
            Some(t) => {
                self.deque.push(t);
                true
            }
            None => false,
        }
    }

    /// The next task: the slot first, then the front of the queue.
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.lifo.take().or_else(|| self.deque.pop())
    }

    /// Tasks waiting (slot included).
    pub(crate) fn len(&self) -> usize {
        self.deque.len() + usize::from(self.lifo.is_some())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lifo.is_none() && self.deque.is_empty()
    }

    pub(crate) fn deque(&self) -> &Worker<T> {
        &self.deque
    }
}

impl<T> Remote<T> {
    /// Steals half of the victim's queue (rounded up) into `dst`, returning one task to run now and
    /// the number of tasks taken in all.
    pub(crate) fn steal_half_into(&self, dst: &mut Local<T>) -> Option<(T, u64)> {
        loop {
            let limit = self.0.len().div_ceil(2).max(1);
            let before = dst.deque.len();
            match self.0.steal_batch_with_limit_and_pop(&dst.deque, limit) {
                Steal::Success(t) => {
                    let moved = dst.deque.len().saturating_sub(before) as u64;
                    return Some((t, moved + 1));
                }
                Steal::Empty => return None,
                Steal::Retry => crate::loom::spin_loop(),
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// The deque interface the wrapper uses, on loom primitives.
#[cfg(loom)]
pub(crate) mod loom_deque {
    use crate::loom::sync::{Arc, Mutex};
    use std::collections::VecDeque;

    pub(crate) enum Steal<T> {
        Empty,
        Success(T),
        #[allow(dead_code)]
        Retry,
    }

    pub(crate) struct Worker<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);

    impl<T> Worker<T> {
        pub(crate) fn new_fifo() -> Self {
            Worker(Arc::new(Mutex::new(VecDeque::new())))
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.clone())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.lock().push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.lock().pop_front()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }

    /// The global queue.
    pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, t: T) {
            self.0.lock().push_back(t)
        }
        pub(crate) fn steal(&self) -> Steal<T> {
            self.0
                .lock()
                .pop_front()
                .map_or(Steal::Empty, Steal::Success)
        }
        pub(crate) fn steal_batch_and_pop(&self, dst: &Worker<T>) -> Steal<T> {
            let mut q = self.0.lock();
            let Some(first) = q.pop_front() else {
                return Steal::Empty;
            };
            let n = q.len().div_ceil(2);
            for t in q.drain(..n) {
                dst.push(t);
            }
            Steal::Success(first)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
    }

    impl<T> Stealer<T> {
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
        pub(crate) fn steal_batch_with_limit_and_pop(
            &self,
            dst: &Worker<T>,
            limit: usize,
        ) -> Steal<T> {
            let taken: Vec<T> = {
                let mut src = self.0.lock();
                let n = limit.min(src.len());
                src.drain(..n).collect()
            };
            let mut it = taken.into_iter();
            let Some(first) = it.next() else {
                return Steal::Empty;
            };
            for t in it {
                dst.push(t);
            }
            Steal::Success(first)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lifo_slot_displaces_to_back_and_runs_first() {
        let (mut q, _r) = Local::new();
        q.push_back(1);
        assert!(!q.push_lifo(2));
        assert!(q.push_lifo(3));
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some(3));
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn steal_takes_half_rounded_up() {
        let (mut victim, remote) = Local::new();
        let (mut thief, _r) = Local::new();
        for i in 0..9 {
            victim.push_back(i);
        }
        victim.push_lifo(100);
        let (first, count) = remote.steal_half_into(&mut thief).unwrap();
        assert_eq!(first, 0);
        assert_eq!(count, 5);
        assert_eq!(thief.len(), 4);
        assert_eq!(victim.len(), 5, "4 queued plus the unstealable LIFO slot");
        assert_eq!(victim.pop(), Some(100));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use crate::loom::sync::Arc;

    /// The owner pushes through the slot while a thief steals: every task is taken exactly once.
    #[test]
    fn owner_and_thief_take_each_task_once() {
        loom::model(|| {
            let (mut local, remote) = Local::new();
            let (mut thief_q, _r) = Local::<usize>::new();
            let seen = Arc::new(AtomicUsize::new(0));
            local.push_back(1);
            local.push_back(2);
            let s2 = seen.clone();
            let t = loom::thread::spawn(move || {
                let mut got = 0;
                if let Some((first, count)) = remote.steal_half_into(&mut thief_q) {
                    got |= 1 << first;
                    let mut n = 1;
                    while let Some(x) = thief_q.pop() {
                        got |= 1 << x;
                        n += 1;
                    }
                    assert_eq!(n, count);
                }
                s2.fetch_or(got, SeqCst);
            });
            local.push_lifo(3);
            local.push_lifo(4);
            let mut got = 0;
            while let Some(x) = local.pop() {
                got |= 1 << x;
            }
            t.join().unwrap();
            let all = seen.load(SeqCst);
            assert_eq!(all & got, 0, "a task was taken twice");
            assert_eq!(all | got, 0b11110, "a task was lost");
        });
    }
}
