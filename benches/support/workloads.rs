// The scheduler workloads, written once against tokio's API and compiled twice by
// `benches/scheduler.rs`: inside `mod zokio_rt { use zokio as rt; include!(..) }` and inside
// `mod tokio_rt { use tokio as rt; include!(..) }`. Every path into the runtime goes through
// `rt::`, so both runtimes run exactly the same logic.
//
// Each workload returns a count that the bench checks against `expected` outside the timed part.

use rt::runtime::Runtime;
use rt::sync::{mpsc, oneshot};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

/// A multi-thread runtime with exactly two workers and every driver enabled.
pub fn runtime() -> Runtime {
    rt::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Counts finished tasks; the last one to finish fires `done`.
struct Countdown {
    left: AtomicUsize,
    finished: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    fn new(n: usize) -> (Arc<Countdown>, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let c = Countdown {
            left: AtomicUsize::new(n),
            finished: AtomicUsize::new(0),
            done: Mutex::new(Some(tx)),
        };
        (Arc::new(c), rx)
    }

    fn tick(&self) {
        self.finished.fetch_add(1, Relaxed);
        if self.left.fetch_sub(1, Relaxed) == 1 {
            let _ = self.done.lock().unwrap().take().unwrap().send(());
        }
    }
}

/// `n` empty tasks spawned from inside a task; returns how many ran.
pub fn spawn_many(rt: &Runtime, n: usize) -> usize {
    let (count, done) = Countdown::new(n);
    let c = count.clone();
    rt.block_on(async move {
        rt::spawn(async move {
            for _ in 0..n {
                let c = c.clone();
                rt::spawn(async move { c.tick() });
            }
        });
        done.await.unwrap();
    });
    count.finished.load(Relaxed)
}

/// `n` empty tasks spawned from the bench thread with `rt.spawn`; returns how many ran.
pub fn spawn_remote(rt: &Runtime, n: usize) -> usize {
    let (count, done) = Countdown::new(n);
    for _ in 0..n {
        let c = count.clone();
        rt.spawn(async move { c.tick() });
    }
    rt.block_on(done).unwrap();
    count.finished.load(Relaxed)
}

/// `tasks` tasks each yielding `yields` times; returns the total number of yields.
pub fn yield_many(rt: &Runtime, tasks: usize, yields: usize) -> usize {
    rt.block_on(async move {
        let driver = rt::spawn(async move {
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    rt::spawn(async move {
                        for _ in 0..yields {
                            rt::task::yield_now().await;
                        }
                        yields
                    })
                })
                .collect();
            let mut total = 0;
            for h in handles {
                total += h.await.unwrap();
            }
            total
        });
        driver.await.unwrap()
    })
}

/// One ping: the reply channel, and where the next ping will come from.
struct Ping {
    reply: oneshot::Sender<usize>,
    next: Option<oneshot::Receiver<Ping>>,
}

/// Answers pings until the pinger says there is no next one.
async fn ponger(mut rx: oneshot::Receiver<Ping>) {
    loop {
        let ping = rx.await.unwrap();
        let _ = ping.reply.send(1);
        match ping.next {
            Some(next) => rx = next,
            None => return,
        }
    }
}

/// Plays `rounds` round trips against its own ponger task; returns the replies counted.
async fn pinger(rounds: usize) -> usize {
    let (mut tx, rx) = oneshot::channel::<Ping>();
    rt::spawn(ponger(rx));
    let mut replies = 0;
    for round in 0..rounds {
        let (reply, reply_rx) = oneshot::channel();
        let (next_tx, next) = if round + 1 < rounds {
            let (t, r) = oneshot::channel();
            (Some(t), Some(r))
        } else {
            (None, None)
        };
        let _ = tx.send(Ping { reply, next });
        replies += reply_rx.await.unwrap();
        match next_tx {
            Some(t) => tx = t,
            None => break,
        }
    }
    replies
}

/// `pairs` pinger/ponger pairs, `rounds` round trips each over oneshot channels; returns the
/// total number of round trips.
pub fn ping_pong(rt: &Runtime, pairs: usize, rounds: usize) -> usize {
    rt.block_on(async move {
        let driver = rt::spawn(async move {
            let handles: Vec<_> = (0..pairs).map(|_| rt::spawn(pinger(rounds))).collect();
            let mut total = 0;
            for h in handles {
                total += h.await.unwrap();
            }
            total
        });
        driver.await.unwrap()
    })
}

/// Spawns the next link of the chain, or fires `done` at the end of it.
fn link(left: usize, done: oneshot::Sender<usize>, depth: usize) {
    if left == 0 {
        let _ = done.send(depth);
    } else {
        rt::spawn(async move { link(left - 1, done, depth + 1) });
    }
}

/// A chain of `n` tasks, each spawning the next; returns the length of the chain.
pub fn chained_spawn(rt: &Runtime, n: usize) -> usize {
    rt.block_on(async move {
        let (done, rx) = oneshot::channel();
        rt::spawn(async move { link(n, done, 0) });
        rx.await.unwrap()
    })
}

/// `producers` tasks each sending `per_producer` messages into one bounded channel of
/// `capacity`, drained by one consumer task; returns the number of messages received.
pub fn mpsc(rt: &Runtime, producers: usize, per_producer: usize, capacity: usize) -> usize {
    rt.block_on(async move {
        let (tx, mut rx) = mpsc::channel::<usize>(capacity);
        for _ in 0..producers {
            let tx = tx.clone();
            rt::spawn(async move {
                for i in 0..per_producer {
                    tx.send(i).await.unwrap();
                }
            });
        }
        drop(tx);
        let consumer = rt::spawn(async move {
            let mut received = 0;
            while rx.recv().await.is_some() {
                received += 1;
            }
            received
        });
        consumer.await.unwrap()
    })
}

/// A deterministic duration in 1..10 s for timer `i` (a splitmix64 step).
fn timer_duration(i: usize) -> Duration {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Duration::from_millis(1_000 + z % 9_000)
}

/// Polls `fut` exactly once, which registers a sleep with the timer; returns whether it was ready.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> bool {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_ready())).await
}

/// The registered sleeps that were not cancelled; dropped by the bench outside the timed part.
pub type Survivors = Vec<Pin<Box<rt::time::Sleep>>>;

/// `n` tasks each registering a sleep of 1..10 s (polled once); the even ones cancel (drop) it at
/// once while the timer holds up to `n` entries, the odd ones hand it back still registered.
/// Returns the survivors; the bench drops them outside the timed part.
pub fn timers(rt: &Runtime, n: usize) -> Survivors {
    rt.block_on(async move {
        let driver = rt::spawn(async move {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    rt::spawn(async move {
                        let mut sleep = Box::pin(rt::time::sleep(timer_duration(i)));
                        assert!(!poll_once(&mut sleep).await);
                        (i % 2 == 1).then_some(sleep)
                    })
                })
                .collect();
            let mut survivors = Vec::with_capacity(n / 2);
            for h in handles {
                survivors.extend(h.await.unwrap());
            }
            survivors
        });
        driver.await.unwrap()
    })
}

/// Drops the surviving sleeps inside the runtime (their cancellation is not timed).
pub fn drop_survivors(rt: &Runtime, survivors: Survivors) {
    rt.block_on(async move { drop(survivors) });
}
