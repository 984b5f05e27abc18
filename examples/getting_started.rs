//! Every snippet of `docs/getting-started.md`, compiled and run.
//!
//! ```text
//! cargo run --example getting_started
//! ```
//!
//! Each `async fn` below is one section of the guide; `main` runs them in order. The output is the
//! same on every run (no task ids, no timings), and the whole program finishes well under a second.

use std::sync::Arc;
use std::time::Duration;

use zokio::runtime::Handle;
use zokio::sync::{broadcast, mpsc, oneshot, watch, Mutex, Semaphore};
use zokio::task::JoinSet;
use zokio::time::{interval, sleep, timeout, Instant};

#[zokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tasks().await;
    join_set().await;
    channels().await;
    shared_state().await;
    timers().await;
    blocking().await;
    combinators().await;
    metrics().await;
    // `block_on` may not be called inside another runtime, so this one runs on a plain thread.
    let answer = std::thread::spawn(without_the_macro)
        .join()
        .unwrap()
        .unwrap();
    println!("without the macro: {answer}");
    println!("done");
}

fn without_the_macro() -> std::io::Result<u32> {
    let rt = zokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()?;
    let answer = rt.block_on(async { zokio::spawn(async { 40 + 2 }).await.unwrap() });
    Ok(answer)
}

// --- Tasks -------------------------------------------------------------------------------------

async fn tasks() {
    // A task starts at once, on whichever worker gets to it first.
    let handle = zokio::spawn(async { 6 * 7 });
    let answer = handle.await.expect("the task panicked");
    println!("tasks: answer = {answer}");

    // A panic stays inside its task: the JoinHandle reports it.
    let crashed = zokio::spawn(async { panic!("boom") }).await;
    let err = crashed.unwrap_err();
    println!("tasks: panicked = {}", err.is_panic());

    // Abort drops the task's future the next time it is idle; its JoinHandle then says "cancelled".
    let forever = zokio::spawn(async { sleep(Duration::from_secs(3600)).await });
    forever.abort();
    println!(
        "tasks: cancelled = {}",
        forever.await.unwrap_err().is_cancelled()
    );

    // The name is stored with the task, for telemetry to show.
    let named = zokio::task::Builder::new()
        .name("resize-images")
        .spawn(async { "named" })
        .unwrap();
    println!("tasks: {}", named.await.unwrap());
}

async fn join_set() {
    let mut set = JoinSet::new();
    for i in 1..=10u64 {
        set.spawn(async move { i * i });
    }
    // Results come back in completion order; add them up so the order does not matter.
    let mut sum = 0;
    while let Some(res) = set.join_next().await {
        sum += res.unwrap();
    }
    println!("join_set: sum of squares = {sum}");
}

// --- Channels ----------------------------------------------------------------------------------

async fn channels() {
    // mpsc: many senders, one receiver; `channel(n)` holds at most n messages.
    let (tx, mut rx) = mpsc::channel::<u32>(16);
    for worker in 0..4 {
        let tx = tx.clone();
        zokio::spawn(async move {
            for i in 0..25 {
                tx.send(worker * 100 + i).await.unwrap();
            }
        });
    }
    drop(tx); // `recv` returns None once every sender is gone
    let mut received = 0;
    while let Some(_msg) = rx.recv().await {
        received += 1;
    }
    println!("mpsc: received {received} messages");

    // oneshot: one value, once.
    let (reply_tx, reply_rx) = oneshot::channel();
    zokio::spawn(async move {
        let _ = reply_tx.send("pong");
    });
    println!("oneshot: {}", reply_rx.await.unwrap());

    // broadcast: every receiver sees every value.
    let (btx, mut brx1) = broadcast::channel(8);
    let mut brx2 = btx.subscribe();
    btx.send("hello").unwrap();
    println!(
        "broadcast: {} {}",
        brx1.recv().await.unwrap(),
        brx2.recv().await.unwrap()
    );

    // watch: receivers see the latest value.
    let (wtx, mut wrx) = watch::channel("starting");
    zokio::spawn(async move {
        wtx.send("ready").unwrap();
    });
    wrx.changed().await.unwrap();
    println!("watch: {}", *wrx.borrow_and_update());
}

async fn shared_state() {
    // An async Mutex may be held across `.await`; a Semaphore bounds concurrency.
    let counter = Arc::new(Mutex::new(0u32));
    let limit = Arc::new(Semaphore::new(3));
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let (counter, limit) = (counter.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            *counter.lock().await += 1;
        });
    }
    while set.join_next().await.is_some() {}
    println!("mutex: counter = {}", *counter.lock().await);
}

// --- Timers ------------------------------------------------------------------------------------

async fn timers() {
    let start = Instant::now();
    sleep(Duration::from_millis(20)).await;
    println!(
        "sleep: waited at least 20 ms = {}",
        start.elapsed() >= Duration::from_millis(20)
    );

    // `timeout` gives up on a future that takes too long (and drops it).
    let slow = sleep(Duration::from_secs(10));
    let res = timeout(Duration::from_millis(10), slow).await;
    println!("timeout: elapsed = {}", res.is_err());
    let fast = timeout(Duration::from_millis(100), async { 5 }).await;
    println!("timeout: fast = {:?}", fast);

    // `interval` ticks every period; the first tick is immediate.
    let ticking = Instant::now();
    let mut every = interval(Duration::from_millis(5));
    for _ in 0..3 {
        every.tick().await;
    }
    println!(
        "interval: 3 ticks took at least 10 ms = {}",
        ticking.elapsed() >= Duration::from_millis(10)
    );
}

// --- Blocking code -----------------------------------------------------------------------------

async fn blocking() {
    // CPU-heavy or blocking work goes to the blocking pool, off the workers.
    let sum = zokio::task::spawn_blocking(|| (1..=1_000u64).sum::<u64>())
        .await
        .unwrap();
    println!("spawn_blocking: sum = {sum}");

    // Inside a task on the multi-thread runtime, `block_in_place` hands this worker's queue to a
    // new thread, then runs the closure right here.
    let len = zokio::spawn(async {
        zokio::task::block_in_place(|| {
            std::thread::sleep(Duration::from_millis(5));
            "read from disk".len()
        })
    })
    .await
    .unwrap();
    println!("block_in_place: len = {len}");
}

// --- select!, join! ----------------------------------------------------------------------------

async fn combinators() {
    let (a, b) = zokio::join!(async { 1 }, async { "two" });
    println!("join!: {a} {b}");

    let (_tx, mut never) = mpsc::channel::<u32>(1);
    let winner = zokio::select! {
        Some(v) = never.recv() => format!("message {v}"),
        _ = sleep(Duration::from_millis(5)) => "timer".to_string(),
    };
    println!("select!: {winner}");
}

// --- Metrics -----------------------------------------------------------------------------------

async fn metrics() {
    let handle = Handle::current();
    let mut set = JoinSet::new();
    for i in 0..100u64 {
        set.spawn(async move { i });
    }
    while set.join_next().await.is_some() {}

    if !zokio::runtime::metrics::ENABLED {
        println!("metrics: the `telemetry` feature is off, counters read zero");
        return;
    }
    // Workers publish their counters every `event_interval` ticks and when they park, so a
    // snapshot taken right after work finished may lag a little: wait until it has caught up.
    let m = loop {
        let m = handle.metrics();
        let published = m
            .workers
            .iter()
            .all(|w| w.poll_time_histogram.iter().sum::<u64>() == w.polls);
        if m.total_completed() >= 100 && published {
            break m;
        }
        sleep(Duration::from_millis(1)).await;
    };
    println!("metrics: workers = {}", m.num_workers);
    println!("metrics: spawned >= 100 = {}", m.total_spawned() >= 100);
    println!("metrics: completed >= 100 = {}", m.total_completed() >= 100);
    println!(
        "metrics: histogram entries == polls = {}",
        m.total_histogram_count() == m.total_polls()
    );
    for w in &m.workers {
        // Also there: w.parks, w.busy_ns, w.lifo_hits, w.local_queue_depth, w.steal_attempts...
        assert_eq!(
            w.stolen_from.iter().sum::<u64>(),
            w.tasks_stolen,
            "worker {}",
            w.index
        );
    }
    println!("metrics: pools reported = {}", !m.pools.is_empty());
    println!("metrics: service name = {}", handle.service_name());
}
