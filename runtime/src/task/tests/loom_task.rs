use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::task::list::OwnedTasks;
use crate::task::{self, JoinHandle, NewSpan, Notified, Schedule, SpawnMeta, Task};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A scheduler that only queues; the model's threads run the queue.
struct Mock {
    queue: Mutex<VecDeque<Notified<Arc<Mock>>>>,
    owned: OwnedTasks<Arc<Mock>>,
}

impl Schedule for Arc<Mock> {
    fn schedule(&self, task: Notified<Self>) {
        self.queue.lock().push_back(task);
    }
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }
}

impl Mock {
    fn run_queue(&self) {
        loop {
            let t = self.queue.lock().pop_front();
            match t {
                Some(t) => {
                    t.run();
                }
                None => return,
            }
        }
    }
}

/// Pending on the first poll (leaving its waker in `slot`), ready on the second.
struct TwoStep {
    polled: bool,
    slot: Arc<Mutex<Option<Waker>>>,
    drops: Arc<AtomicUsize>,
}

struct Output(Arc<AtomicUsize>);

impl Drop for Output {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

impl Drop for TwoStep {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

impl Future for TwoStep {
    type Output = Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        if self.polled {
            return Poll::Ready(Output(self.drops.clone()));
        }
        self.polled = true;
        *self.slot.lock() = Some(cx.waker().clone());
        Poll::Pending
    }
}

struct Fixture {
    sched: Arc<Mock>,
    slot: Arc<Mutex<Option<Waker>>>,
    /// Future drops plus output drops.
    drops: Arc<AtomicUsize>,
}

fn spawn() -> (Fixture, JoinHandle<Output>) {
    let sched = Arc::new(Mock {
        queue: Mutex::new(VecDeque::new()),
        owned: OwnedTasks::new(1),
    });
    let slot = Arc::new(Mutex::new(None));
    let drops = Arc::new(AtomicUsize::new(0));
    let fut = TwoStep {
        polled: false,
        slot: slot.clone(),
        drops: drops.clone(),
    };
    let (t, n, j) = task::new_task(fut, sched.clone(), SpawnMeta::caller(), NewSpan::none());
    let n = sched.owned.bind(t, n).expect("open list");
    sched.schedule(n);
    (Fixture { sched, slot, drops }, j)
}

fn wake_stored(slot: &Mutex<Option<Waker>>) {
    let w = slot.lock().take();
    if let Some(w) = w {
        w.wake();
    }
}

/// A worker polls, another thread wakes, the owner drops the JoinHandle: the future and its
/// output are each dropped exactly once, and the task completes.
#[test]
fn wake_poll_and_join_drop_race() {
    loom::model(|| {
        let (fx, join) = spawn();
        let s1 = fx.sched.clone();
        let worker = loom::thread::spawn(move || s1.run_queue());
        let slot = fx.slot.clone();
        let waker = loom::thread::spawn(move || wake_stored(&slot));
        drop(join);
        worker.join().unwrap();
        waker.join().unwrap();
        // Whatever the interleaving, finish the work: wake if the waker thread came too early.
        fx.sched.run_queue();
        wake_stored(&fx.slot);
        fx.sched.run_queue();
        assert_eq!(fx.drops.load(SeqCst), 2, "future once, output once");
        assert!(fx.sched.owned.is_empty());
    });
}

/// Abort races a poll and a wake: the JoinHandle sees either the output or a cancellation, and
/// the future is dropped exactly once.
#[test]
fn abort_races_poll_and_wake() {
    loom::model(|| {
        let (fx, join) = spawn();
        let abort = join.abort_handle();
        let s1 = fx.sched.clone();
        let worker = loom::thread::spawn(move || s1.run_queue());
        let aborter = loom::thread::spawn(move || abort.abort());
        wake_stored(&fx.slot);
        worker.join().unwrap();
        aborter.join().unwrap();
        fx.sched.run_queue();
        wake_stored(&fx.slot);
        fx.sched.run_queue();
        let mut out: Poll<Result<Output, crate::task::JoinError>> = Poll::Pending;
        // SAFETY: `out` has the output's layout and we are the JoinHandle.
        unsafe { raw_of(&join).try_read_output(&mut out, Waker::noop()) };
        match out {
            Poll::Ready(Ok(o)) => drop(o),
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            Poll::Pending => panic!("task did not complete"),
        }
        drop(join);
        let d = fx.drops.load(SeqCst);
        assert!(
            d == 1 || d == 2,
            "future dropped once (plus the output if it finished): {d}"
        );
        assert!(fx.sched.owned.is_empty());
    });
}

/// Shutdown of the owned list races a wake and a poll: every future is dropped exactly once.
#[test]
fn shutdown_races_wake_and_poll() {
    loom::model(|| {
        let (fx, join) = spawn();
        // First poll happens before the race so the task is idle with a stored waker.
        fx.sched.run_queue();
        let s1 = fx.sched.clone();
        let worker = loom::thread::spawn(move || s1.run_queue());
        let slot = fx.slot.clone();
        let waker = loom::thread::spawn(move || wake_stored(&slot));
        fx.sched.owned.close_and_shutdown_all();
        worker.join().unwrap();
        waker.join().unwrap();
        fx.sched.run_queue();
        drop(join);
        let d = fx.drops.load(SeqCst);
        assert!(d == 1 || d == 2, "{d}");
        assert!(fx.sched.owned.is_empty());
    });
}

fn raw_of<T>(j: &JoinHandle<T>) -> crate::task::RawTask {
    j.raw_task()
}
