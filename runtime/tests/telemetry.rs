//! Telemetry publication: every runtime publishes its counters in a segment that tools of the
//! same user find by pid; what a reader of the segment sees equals `Handle::metrics()`.
//!
//! The tests of this binary share one segment directory (`ZOKIO_TELEMETRY_DIR`, set before the
//! first runtime is built), so they never see other processes' segments.
//!
//! Not built under loom, where telemetry is compiled out and `zokio-telemetry` leaves its
//! reader out.
#![cfg(not(loom))]

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use zokio::runtime::{Builder, Runtime};
use zokio_telemetry::{list_in, Reader, Snapshot};

/// The directory every runtime of this test binary publishes in.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("zokio-tel-test-{}", std::process::id()));
        // Set once, before any runtime of this process reads it.
        std::env::set_var("ZOKIO_TELEMETRY_DIR", &dir);
        dir
    })
}

fn runtime(flavor: usize, service: &str) -> Runtime {
    dir();
    let mut b = match flavor {
        0 => Builder::new_current_thread(),
        n => {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    };
    b.service_name(service).enable_all().build().unwrap()
}

/// The snapshot of the segment of this process whose service is `service`.
fn snapshot_of(service: &str) -> Snapshot {
    let listing = list_in(dir()).unwrap();
    let info = listing
        .segments
        .iter()
        .find(|s| s.service_name == service)
        .unwrap_or_else(|| panic!("no segment for {service}: {listing:?}"));
    assert_eq!(info.pid, std::process::id());
    Reader::open(&info.path).unwrap().snapshot().unwrap()
}

/// Spawns `n` tasks that each yield `yields` times, and waits for them.
fn work(rt: &Runtime, n: usize, yields: usize) {
    rt.block_on(async {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                zokio::spawn(async move {
                    for _ in 0..yields {
                        zokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

/// A runtime is listed by pid with its service name, workers and I/O backend, and its segment
/// disappears with it.
#[test]
fn a_runtime_is_listed_while_it_lives() {
    if !zokio::runtime::metrics::ENABLED {
        return; // compiled out: nothing is published
    }
    for (flavor, workers) in [(0, 1), (3, 3)] {
        let service = format!("listed-{flavor}");
        let rt = runtime(flavor, &service);
        let listing = list_in(dir()).unwrap();
        let info = listing
            .segments
            .iter()
            .find(|s| s.service_name == service)
            .expect("listed");
        assert_eq!(info.workers, workers);
        assert_eq!(info.backend, rt.handle().io_backend().backend.as_str());
        let path = info.path.clone();
        drop(rt);
        assert!(!path.exists(), "segment left behind");
        let listing = list_in(dir()).unwrap();
        assert!(listing.segments.iter().all(|s| s.service_name != service));
    }
}

/// After a fixed workload, with every worker idle, the worker counters read from the segment
/// are exactly what `Handle::metrics()` reports, and the polls are the work done.
fn segment_agrees_with_handle_metrics(flavor: usize) {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let service = format!("agree-{flavor}");
    let rt = runtime(flavor, &service);
    work(&rt, 100, 10);
    // Workers publish as they park, which may be after `block_on` returned, and a task whose
    // output `block_on` took may still be leaving the owned list: wait until `metrics()` shows
    // all the work (two equal reads alone can both come before a worker's publication).
    // Counters only grow and `active_tasks` only falls here, and publications are serialized:
    // a snapshot read between two `metrics()` that agree is equal to both.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (m, s) = loop {
        let m1 = rt.metrics();
        let s = snapshot_of(&service);
        let m2 = rt.metrics();
        let done = m1.total_polls() == 100 * 11 && m1.active_tasks == 0;
        let settled = done && m1.workers == m2.workers && m2.active_tasks == 0;
        if settled || std::time::Instant::now() > deadline {
            break (m2, s);
        }
    };
    assert_eq!(s.workers.len(), m.num_workers);
    for (w, mw) in s.workers.iter().zip(&m.workers) {
        let c = &w.counters;
        assert_eq!(
            (c.polls, c.parks, c.tasks_stolen, c.steal_operations),
            (mw.polls, mw.parks, mw.tasks_stolen, mw.steal_operations)
        );
        assert_eq!((c.busy_ns, c.spawned_local), (mw.busy_ns, mw.spawned_local));
        assert_eq!(w.stolen_from, mw.stolen_from);
        assert_eq!(c.poll_histogram, mw.poll_time_histogram);
    }
    // 100 tasks x 11 polls, plus the main future's polls, which are not task polls.
    assert_eq!(m.total_polls(), 100 * 11);
    assert_eq!(s.runtime.spawned_remote, m.spawned_remote);
    assert_eq!(s.runtime.active_tasks, m.active_tasks as u64);
    assert_eq!(s.runtime.active_tasks, 0);
    let read = s.io_op(zokio_telemetry::IoOp::Read).unwrap();
    assert_eq!(read.submitted, m.io.op("read").unwrap().submitted);
}

#[test]
fn segment_agrees_with_handle_metrics_current_thread() {
    segment_agrees_with_handle_metrics(0);
}

#[test]
fn segment_agrees_with_handle_metrics_multi_thread() {
    segment_agrees_with_handle_metrics(1);
    segment_agrees_with_handle_metrics(4);
}

/// `ZOKIO_TELEMETRY=off`: nothing is published, and the runtime's own metrics still count.
#[test]
fn telemetry_off_publishes_nothing_but_still_counts() {
    if std::env::var_os("ZOKIO_TEL_CHILD").is_some() {
        let rt = runtime(2, "off-child");
        work(&rt, 10, 1);
        let listed = list_in(dir()).unwrap().segments.len();
        // Workers publish as they park, which may be just after `block_on` returned.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut polls = rt.metrics().total_polls();
        while polls < 20 && zokio::runtime::metrics::ENABLED && std::time::Instant::now() < deadline
        {
            std::thread::yield_now();
            polls = rt.metrics().total_polls();
        }
        println!("LISTED={listed} POLLS={polls}");
        return;
    }
    let dir = dir();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "telemetry_off_publishes_nothing_but_still_counts",
            "--nocapture",
        ])
        .env("ZOKIO_TEL_CHILD", "1")
        .env("ZOKIO_TELEMETRY", "off")
        .env("ZOKIO_TELEMETRY_DIR", dir.join("off"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let polls = if zokio::runtime::metrics::ENABLED {
        20
    } else {
        0
    };
    assert!(
        stdout.contains(&format!("LISTED=0 POLLS={polls}")),
        "{stdout}"
    );
}

/// Two runtimes in one process are two segments, told apart by runtime id and service name.
#[test]
fn two_runtimes_two_segments() {
    if !zokio::runtime::metrics::ENABLED {
        return; // compiled out: nothing is published
    }
    let a = runtime(1, "twins-a");
    let b = runtime(0, "twins-b");
    let listing = list_in(dir()).unwrap();
    let ids: Vec<u64> = listing
        .segments
        .iter()
        .filter(|s| s.service_name.starts_with("twins-"))
        .map(|s| s.runtime_id)
        .collect();
    assert_eq!(ids.len(), 2, "{listing:?}");
    assert_ne!(ids[0], ids[1]);
    drop((a, b));
}

/// Builds a multi-thread runtime with a task table of `capacity` slots.
/// A current-thread runtime named `service` with a task table of 16 slots: its tasks run only
/// when `block_on` lets them, so a test can read their records in between.
fn current_thread_with_table(service: &str) -> Runtime {
    dir();
    Builder::new_current_thread()
        .service_name(service)
        .task_table_capacity(16)
        .build()
        .unwrap()
}

fn runtime_with_table(service: &str, capacity: usize) -> Runtime {
    dir();
    Builder::new_multi_thread()
        .worker_threads(2)
        .service_name(service)
        .task_table_capacity(capacity)
        .build()
        .unwrap()
}

/// Every live task is listed with its id, parent and spawn location, or counted as an overflow
/// when the table is full; completed tasks leave the table.
fn live_tasks_are_listed_or_counted(capacity: usize) {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    const TASKS: usize = 100_000;
    let service = format!("table-{capacity}");
    let rt = runtime_with_table(&service, capacity);
    let (release, gate) = zokio::sync::watch::channel(false);
    let (parent_id, ids) = rt.block_on(async move {
        zokio::spawn(async move {
            let ids: Vec<(u64, zokio::task::JoinHandle<()>)> = (0..TASKS)
                .map(|_| {
                    let mut gate = gate.clone();
                    let h = zokio::spawn(async move {
                        gate.wait_for(|open| *open).await.unwrap();
                    });
                    (h.id().as_u64(), h)
                })
                .collect();
            (zokio::task::id().as_u64(), ids)
        })
        .await
        .unwrap()
    });
    let s = snapshot_of(&service);
    let listed: Vec<_> = s
        .tasks
        .iter()
        .filter(|t| t.record.parent == parent_id)
        .collect();
    // The parent task holds one slot too (it is still live when it spawns the last child).
    let fits = TASKS.min(capacity - 1);
    assert_eq!(listed.len(), fits);
    assert_eq!(s.runtime.task_table_overflows, (TASKS - fits) as u64);
    let here = file!();
    assert!(listed
        .iter()
        .all(|t| t.location.as_deref().is_some_and(|l| l.starts_with(here))));
    let mut listed_ids: Vec<u64> = listed.iter().map(|t| t.record.id).collect();
    listed_ids.sort_unstable();
    listed_ids.dedup();
    assert_eq!(listed_ids.len(), listed.len(), "a task listed twice");
    assert!(listed_ids.iter().all(|id| ids.iter().any(|(i, _)| i == id)));
    release.send(true).unwrap();
    rt.block_on(async move {
        for (_, h) in ids {
            h.await.unwrap();
        }
    });
    let s = snapshot_of(&service);
    assert_eq!(
        s.tasks
            .iter()
            .filter(|t| t.record.parent == parent_id)
            .count(),
        0,
        "completed tasks left in the table"
    );
}

#[test]
fn a_100k_task_workload_fits_a_table_of_100k() {
    live_tasks_are_listed_or_counted(100_001);
}

#[test]
fn a_100k_task_workload_overflows_a_smaller_table_by_the_exact_excess() {
    live_tasks_are_listed_or_counted(16_384);
}

/// A task's record follows its polls: state, poll count and worker.
#[test]
fn task_records_count_polls() {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let rt = runtime_with_table("records", 64);
    let (tx, mut rx) = zokio::sync::mpsc::unbounded_channel::<u32>();
    let h = rt.spawn(async move {
        let mut n = 0;
        while let Some(v) = rx.recv().await {
            n += v;
        }
        n
    });
    let id = h.id().as_u64();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let polls = || {
        let s = snapshot_of("records");
        let t = s.tasks.iter().find(|t| t.record.id == id).cloned();
        t.map_or(0, |t| t.record.polls)
    };
    // The first poll finds the channel empty; then each message is one wake and one poll: wait
    // for each before sending the next, so no two are received in one poll.
    for i in 0..6 {
        while polls() < i + 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "poll {} never came",
                i + 1
            );
        }
        if i < 5 {
            tx.send(1).unwrap();
        }
    }
    let s = snapshot_of("records");
    let t = s.tasks.iter().find(|t| t.record.id == id).unwrap();
    assert_eq!(t.record.polls, 6, "{t:?}");
    assert_eq!(t.record.state, zokio_telemetry::TaskState::Idle);
    assert!((t.record.worker as usize) < 2);
    drop(tx);
    assert_eq!(rt.block_on(h).unwrap(), 5);
}

/// A task woken from idle shows as scheduled from its wake, before any worker polls it, with
/// its idle time counted up to the wake; polled again, it shows as idle with one wake more.
/// On a current-thread runtime the task runs only when `block_on` lets it, so the states in
/// between are held still.
#[test]
fn a_woken_task_shows_as_scheduled_until_it_is_polled() {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    use zokio_telemetry::TaskState;
    let rt = current_thread_with_table("woken-state");
    let notify = std::sync::Arc::new(zokio::sync::Notify::new());
    let waiter = notify.clone();
    let h = rt.spawn(async move {
        waiter.notified().await;
        waiter.notified().await;
        7
    });
    let id = h.id().as_u64();
    let record = || {
        let s = snapshot_of("woken-state");
        let t = s.tasks.iter().find(|t| t.record.id == id).cloned();
        t.expect("the task is listed").record
    };
    // One turn of the scheduler: the task's first poll waits.
    rt.block_on(zokio::task::yield_now());
    let r = record();
    assert_eq!((r.state, r.polls), (TaskState::Idle, 1), "{r:?}");
    let (idle_before, idle_since) = (r.idle_ns, r.state_since_ns);
    rt.block_on(async {
        notify.notify_one();
        // Woken, not yet polled: this thread is busy here.
        let r = record();
        assert_eq!((r.state, r.polls), (TaskState::Scheduled, 1), "{r:?}");
        assert!(r.state_since_ns >= idle_since, "{r:?}");
        assert_eq!(
            r.idle_ns - idle_before,
            r.state_since_ns - idle_since,
            "idle from the poll's end to the wake: {r:?}"
        );
    });
    // The task's second poll (another turn of the scheduler) waits again.
    rt.block_on(zokio::task::yield_now());
    let r = record();
    assert_eq!(
        (r.state, r.polls, r.wakes),
        (TaskState::Idle, 2, 1),
        "{r:?}"
    );
    notify.notify_one();
    assert_eq!(rt.block_on(h).unwrap(), 7);
}

/// A timed poll is measured once: the task's record and the worker's poll-time histogram
/// hold the same duration. On a fresh current-thread runtime the first task poll is a timed
/// one (the sampler times every 128th, starting with the first); it spins for 3 ms, then the
/// task waits on a channel.
#[test]
fn a_timed_poll_is_measured_once_for_the_task_and_the_worker() {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let rt = current_thread_with_table("timed-poll");
    let (tx, rx) = zokio::sync::oneshot::channel::<()>();
    let h = rt.spawn(async move {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(3) {
            std::hint::spin_loop();
        }
        rx.await.unwrap();
    });
    let id = h.id().as_u64();
    // One turn of the scheduler: the task's first poll runs, then the runtime parks and
    // publishes.
    rt.block_on(zokio::task::yield_now());
    let m = rt.metrics();
    let s = snapshot_of("timed-poll");
    let t = s
        .tasks
        .iter()
        .find(|t| t.record.id == id)
        .expect("the task is listed");
    assert_eq!(t.record.polls, 1, "{t:?}");
    let ns = t.record.last_poll_duration_ns;
    assert!(ns >= 3_000_000, "{t:?}");
    let hist = &m.workers[0].poll_time_histogram;
    let bucket = zokio::runtime::metrics::bucket_of(ns);
    assert_eq!(hist[bucket], 1, "{hist:?} (the task's poll took {ns} ns)");
    assert_eq!(hist.iter().sum::<u64>(), m.workers[0].polls);
    tx.send(()).unwrap();
    rt.block_on(h).unwrap();
}

/// All events of every ring of `service`'s segment so far (failing if a ring overflowed).
fn events_of(service: &str) -> Vec<zokio_telemetry::Event> {
    ring_batches(service)
        .into_iter()
        .enumerate()
        .flat_map(|(w, batch)| {
            assert_eq!((batch.lost, batch.invalid), (0, 0), "ring {w} overflowed");
            batch.events
        })
        .collect()
}

/// The events of `service`'s rings (none lost) once `done` holds for them: rings are written
/// after the work they describe is visible elsewhere (a join handle resolves first), so tests
/// read until what they wait for is there, for at most 10 s.
fn events_once(
    service: &str,
    what: &str,
    done: impl Fn(&[zokio_telemetry::Event]) -> bool,
) -> Vec<zokio_telemetry::Event> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let events = events_of(service);
        if done(&events) {
            return events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{service}: waited 10 s for {what}; {} events",
            events.len()
        );
    }
}

/// What each ring of `service`'s segment holds, read from its oldest event.
fn ring_batches(service: &str) -> Vec<zokio_telemetry::EventBatch> {
    let listing = list_in(dir()).unwrap();
    let info = listing
        .segments
        .iter()
        .find(|s| s.service_name == service)
        .unwrap();
    let reader = Reader::open(&info.path).unwrap();
    (0..info.workers)
        .map(|w| {
            reader
                .events(w, &mut zokio_telemetry::EventCursor::new())
                .unwrap()
        })
        .collect()
}

/// A poll that blocks its worker for 30 ms trips `long_poll` exactly once: counted on the
/// worker, set on the task's record, and reported as an event naming the task; a poll that
/// keeps its worker for over a second also trips `no_yield`, visible while it still runs.
#[test]
fn blocking_polls_are_linted_with_the_task() {
    use zokio_telemetry::{EventData, Lint};
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let rt = runtime_with_table("lints", 64);
    let (release, mut gate) = zokio::sync::watch::channel(false);
    let blocker = rt.spawn(async move {
        std::thread::sleep(std::time::Duration::from_millis(30));
        zokio::task::yield_now().await;
        gate.wait_for(|open| *open).await.unwrap();
    });
    let id = blocker.id().as_u64();
    // The poll that slept has ended once the task is idle on its gate.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let record = loop {
        let s = snapshot_of("lints");
        let t = s.tasks.iter().find(|t| t.record.id == id).cloned();
        if let Some(t) = t.filter(|t| t.record.polls >= 2 && t.record.lints != 0) {
            break t.record;
        }
        assert!(std::time::Instant::now() < deadline, "no lint on the task");
    };
    assert_eq!(
        Lint::in_mask(record.lints).collect::<Vec<_>>(),
        [Lint::LongPoll]
    );
    let s = snapshot_of("lints");
    let long: u64 = s
        .workers
        .iter()
        .map(|w| w.counters.lints[Lint::LongPoll.index()])
        .sum();
    assert_eq!(long, 1);
    let events = events_of("lints");
    let lint_events: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.data, EventData::Lint { .. }))
        .collect();
    assert_eq!(lint_events.len(), 1, "{lint_events:?}");
    assert_eq!(lint_events[0].task, id);
    release.send(true).unwrap();
    rt.block_on(blocker).unwrap();

    // Now a poll that does not yield for 1.1 s: seen while it runs.
    let spinner = rt.spawn(async {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(1100) {
            std::hint::spin_loop();
        }
    });
    let id = spinner.id().as_u64();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let s = snapshot_of("lints");
        let stuck = s.workers.iter().find(|w| {
            w.counters.current_task == id && w.counters.lints[Lint::NoYield.index()] == 1
        });
        if let Some(w) = stuck {
            assert!(w.counters.stuck_since_ns > 0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline && !spinner.is_finished(),
            "no_yield not seen while the task spun"
        );
    }
    rt.block_on(spinner).unwrap();
}

/// Spawns, completions, steals, parks and wakes are events in the workers' rings, with the
/// task ids and the spawn location.
#[test]
fn lifecycle_events_name_the_tasks() {
    use zokio_telemetry::{EventData, Outcome};
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let rt = runtime_with_table("events", 256);
    let (parent, children) = rt.block_on(async {
        zokio::spawn(async {
            let hs: Vec<_> = (0..20).map(|_| zokio::spawn(async {})).collect();
            let ids: Vec<u64> = hs.iter().map(|h| h.id().as_u64()).collect();
            for h in hs {
                h.await.unwrap();
            }
            (zokio::task::id().as_u64(), ids)
        })
        .await
        .unwrap()
    });
    // The spawns and completions are in the rings now; the workers park (and say so) just
    // after the work is done, which may be after `block_on` returned.
    let events = events_once("events", "a worker parked", |events| {
        events.iter().any(|e| e.data == EventData::Park)
    });
    for child in &children {
        let spawn = events
            .iter()
            .find(|e| e.task == *child && matches!(e.data, EventData::Spawn { .. }))
            .expect("a spawn event per child");
        assert!(
            matches!(spawn.data, EventData::Spawn { parent: p, location } if p == parent && location != 0)
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| e.task == *child
                    && e.data
                        == EventData::Complete {
                            outcome: Outcome::Ok
                        })
                .count(),
            1
        );
    }
    // Every park but a worker's current one was followed by its unpark.
    for w in 0..2 {
        let count = |d: EventData| {
            events
                .iter()
                .filter(|e| usize::from(e.worker) == w && e.data == d)
                .count()
        };
        let (parks, unparks) = (count(EventData::Park), count(EventData::Unpark));
        assert!(
            parks == unparks || parks == unparks + 1,
            "{parks} {unparks}"
        );
    }
    assert!(events.iter().any(|e| e.data == EventData::Park));
}

/// A worker of another runtime spawning here is not one of this runtime's workers: it writes
/// no event into this runtime's rings (whose one writer is the worker that owns each). Its
/// tasks are still listed in this runtime's table, and their spawn events (owed: written by the
/// worker here that first polls each, with parent 0) and completions are events here.
#[test]
fn a_worker_of_another_runtime_writes_no_events_here() {
    use zokio_telemetry::{EventData, Outcome};
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    const TASKS: usize = 50;
    let here = runtime_with_table("cross-here", 256);
    let other = runtime(2, "cross-other");
    let handle = here.handle().clone();
    let (release, gate) = zokio::sync::watch::channel(false);
    let ids = other.block_on(async move {
        zokio::spawn(async move {
            (0..TASKS)
                .map(|_| {
                    let mut gate = gate.clone();
                    handle.spawn(async move {
                        gate.wait_for(|open| *open).await.unwrap();
                    })
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap()
    });
    let listed = snapshot_of("cross-here")
        .tasks
        .iter()
        .filter(|t| ids.iter().any(|h| h.id().as_u64() == t.record.id))
        .count();
    assert_eq!(listed, TASKS);
    release.send(true).unwrap();
    let ids: Vec<u64> = here.block_on(async move {
        let mut out = Vec::new();
        for h in ids {
            out.push(h.id().as_u64());
            h.await.unwrap();
        }
        out
    });
    let ok = EventData::Complete {
        outcome: Outcome::Ok,
    };
    let events = events_once("cross-here", "every completion", |events| {
        let completed = events
            .iter()
            .filter(|e| ids.contains(&e.task) && e.data == ok)
            .count();
        completed == TASKS
    });
    for id in &ids {
        let spawns: Vec<_> = events
            .iter()
            .filter(|e| e.task == *id && matches!(e.data, EventData::Spawn { .. }))
            .collect();
        assert_eq!(spawns.len(), 1, "task {id}: {spawns:?}");
        assert!(
            matches!(spawns[0].data, EventData::Spawn { parent: 0, location } if location != 0)
        );
    }
    assert!(events_of("cross-other")
        .iter()
        .all(|e| !ids.contains(&e.task)));
}

/// Tasks spawned from a thread that is none of the runtime's workers (here the test thread,
/// `Runtime::spawn`) have no ring to write their spawn event to at the spawn: the worker that
/// first polls each writes it then, before the task's completion in its ring. On every flavor:
/// 30 tasks, each exactly one spawn event (parent 0, a location) and one completion; a task
/// aborted from outside (perhaps before its first poll) gets its spawn event and a cancelled
/// completion.
#[test]
fn tasks_spawned_from_outside_get_their_spawn_event_at_the_first_poll() {
    use zokio_telemetry::{EventData, Outcome};
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    const TASKS: usize = 30;
    for (flavor, service) in [(0, "outside-ct"), (1, "outside-mt1"), (2, "outside-mt2")] {
        let rt = runtime(flavor, service);
        let handles: Vec<_> = (0..TASKS).map(|i| rt.spawn(async move { i })).collect();
        let ids: Vec<u64> = handles.iter().map(|h| h.id().as_u64()).collect();
        let sum: usize = rt.block_on(async move {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, TASKS * (TASKS - 1) / 2);
        let aborted = rt.spawn(std::future::pending::<()>());
        let aborted_id = aborted.id().as_u64();
        // An abort schedules the task, so a worker cancels it (polled first or not).
        aborted.abort();
        assert!(rt.block_on(aborted).unwrap_err().is_cancelled());
        let cancelled = EventData::Complete {
            outcome: Outcome::Cancelled,
        };
        let ok = EventData::Complete {
            outcome: Outcome::Ok,
        };
        // The rings are read after every completion shows (workers write them after the join
        // handles learn of them).
        let events = events_once(service, "every completion", |events| {
            let done = events
                .iter()
                .filter(|e| (ids.contains(&e.task) && e.data == ok) || e.data == cancelled)
                .count();
            done == TASKS + 1
        });
        for id in ids.iter().chain([&aborted_id]) {
            let mine: Vec<_> = events.iter().filter(|e| e.task == *id).collect();
            let spawns: Vec<_> = mine
                .iter()
                .filter(|e| matches!(e.data, EventData::Spawn { .. }))
                .collect();
            assert_eq!(spawns.len(), 1, "{service}: task {id}: {mine:?}");
            assert!(
                matches!(spawns[0].data, EventData::Spawn { parent: 0, location } if location != 0)
            );
            let end = if *id == aborted_id { &cancelled } else { &ok };
            let completes: Vec<_> = mine.iter().filter(|e| e.data == *end).collect();
            assert_eq!(completes.len(), 1, "{service}: task {id}: {mine:?}");
            // Written by the same worker: the spawn event first.
            if spawns[0].worker == completes[0].worker {
                assert!(spawns[0].seq < completes[0].seq, "{service}: {mine:?}");
            }
        }
    }
}

/// A task whose poll returns `Pending` without leaving a waker anywhere can never run again:
/// `lost_waker`, once, on that task only (a task waiting on a channel holds a waker).
#[test]
fn a_task_that_keeps_no_waker_is_linted_lost_waker() {
    use zokio_telemetry::Lint;
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let rt = runtime_with_table("lost", 64);
    let (_keep, rx) = zokio::sync::oneshot::channel::<()>();
    let waiting = rt.spawn(async move {
        let _ = rx.await;
    });
    let lost = rt.spawn(std::future::pending::<()>());
    let (waiting_id, lost_id) = (waiting.id().as_u64(), lost.id().as_u64());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let s = loop {
        let s = snapshot_of("lost");
        let polled = |id| {
            s.tasks
                .iter()
                .any(|t| t.record.id == id && t.record.polls == 1)
        };
        if polled(waiting_id) && polled(lost_id) {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "tasks not polled");
    };
    let lints = |id| {
        let t = s.tasks.iter().find(|t| t.record.id == id).unwrap();
        Lint::in_mask(t.record.lints).collect::<Vec<_>>()
    };
    assert_eq!(lints(lost_id), [Lint::LostWaker]);
    assert_eq!(lints(waiting_id), []);
    let total: u64 = s
        .workers
        .iter()
        .map(|w| w.counters.lints[Lint::LostWaker.index()])
        .sum();
    assert_eq!(total, 1);
    lost.abort();
    waiting.abort();
}

#[test]
fn io_driver_words_are_published_without_anyone_asking() {
    use zokio::io::{AsyncReadExt, AsyncWriteExt};
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let rt = runtime(2, "tel-io-publish");
    // An echo over loopback: on io_uring the receives land in the provided-buffer pool.
    rt.block_on(async {
        let listener = zokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = zokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let mut c = zokio::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello");
        server.await.unwrap();
    });
    let uring_buffers = |s: &Snapshot| s.io_driver.buffer_capacity > 0;
    // Nobody calls Handle::metrics() until the monitor has published the driver's words: the
    // buffer pool (io_uring) shows up in the segment on its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let io_uring = rt.handle().io_backend().backend == zokio::io::IoBackend::IoUring;
    let mut snap = snapshot_of("tel-io-publish");
    while io_uring && !uring_buffers(&snap) {
        assert!(
            std::time::Instant::now() < deadline,
            "buffer pool never published"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        snap = snapshot_of("tel-io-publish");
    }
    let m = rt.handle().metrics();
    assert_eq!(snap.io_driver.buffer_capacity, m.io.buffers.capacity);
    assert_eq!(snap.io_driver.buffer_size, m.io.buffers.buffer_size);
    assert_eq!(snap.io_driver.stray_completions, m.io.stray_completions);
}

/// The gauges in the segment follow the runtime without anyone calling `Handle::metrics()`:
/// `metrics()` publishes `active_tasks` = 1 while a task waits, the task then finishes (its
/// worker publishes its counters as it parks, but the gauges at most once a millisecond), and
/// the monitor's publication brings the segment to 0.
fn gauges_are_published_without_anyone_asking(flavor: usize) {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let service = format!("tel-gauges-{flavor}");
    let rt = runtime(flavor, &service);
    let (tx, rx) = zokio::sync::oneshot::channel::<u32>();
    let task = rt.spawn(async move { rx.await.unwrap() + 1 });
    assert_eq!(rt.metrics().active_tasks, 1);
    assert_eq!(snapshot_of(&service).runtime.active_tasks, 1);
    tx.send(41).unwrap();
    assert_eq!(rt.block_on(task).unwrap(), 42);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut active = snapshot_of(&service).runtime.active_tasks;
    while active != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the segment still shows {active} active tasks after 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        active = snapshot_of(&service).runtime.active_tasks;
    }
    assert_eq!(rt.metrics().active_tasks, 0);
}

#[test]
fn gauges_are_published_without_anyone_asking_current_thread() {
    gauges_are_published_without_anyone_asking(0);
}

#[test]
fn gauges_are_published_without_anyone_asking_multi_thread() {
    gauges_are_published_without_anyone_asking(2);
}

/// A task's time between polls is split into idle (waiting to be woken) and scheduled (woken,
/// waiting in the run queue). On the current-thread runtime: B waits 150 ms for A's message
/// (idle), then A blocks the only worker for 100 ms after waking B (B is queued all that time).
/// The coarse clock counts whole 10 ms ticks, hence the margins.
#[test]
fn idle_and_scheduled_time_are_told_apart() {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    const IDLE: std::time::Duration = std::time::Duration::from_millis(150);
    const QUEUED: std::time::Duration = std::time::Duration::from_millis(100);
    const TICKS: u64 = 20_000_000;
    dir();
    let rt = Builder::new_current_thread()
        .service_name("idle-vs-scheduled")
        .task_table_capacity(64)
        .enable_all()
        .build()
        .unwrap();
    let (wake_tx, wake_rx) = zokio::sync::oneshot::channel::<()>();
    let (polled_tx, polled_rx) = zokio::sync::oneshot::channel::<()>();
    let (hold_tx, hold_rx) = zokio::sync::oneshot::channel::<()>();
    let b_id = rt.block_on(async move {
        let b = zokio::spawn(async move {
            wake_rx.await.unwrap();
            polled_tx.send(()).unwrap();
            // Stays live (listed) until the test has read its record.
            let _ = hold_rx.await;
        });
        let a = zokio::spawn(async move {
            zokio::time::sleep(IDLE).await;
            wake_tx.send(()).unwrap();
            // Blocks the only worker: B, woken, waits in the queue.
            std::thread::sleep(QUEUED);
        });
        a.await.unwrap();
        polled_rx.await.unwrap();
        b.id().as_u64()
    });
    let s = snapshot_of("idle-vs-scheduled");
    let b = s.tasks.iter().find(|t| t.record.id == b_id).unwrap();
    let r = &b.record;
    assert_eq!(r.polls, 2, "{r:?}");
    assert!(r.idle_ns >= IDLE.as_nanos() as u64 - TICKS, "idle: {r:?}");
    assert!(
        r.scheduled_ns >= QUEUED.as_nanos() as u64 - TICKS,
        "queued: {r:?}"
    );
    hold_tx.send(()).unwrap();
    drop(rt);
}

/// A task-cell pool that grows is announced by `PoolGrowth` events, one per power of two its
/// growth (cells taken from the allocator) passed: 600 tasks alive at once, spawned from one
/// task, with cells of a size class no other test of this binary uses (a worker's pool may hold
/// cells of other classes, and their counts, from earlier runtimes: pools outlive them), so that
/// pool grows by at least 600. Its last announcement is in the power of two of the count it
/// published, and each pool's announcements go up a power of two each time.
#[test]
fn a_growing_pool_is_announced_per_power_of_two() {
    use zokio_telemetry::EventData;
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    const TASKS: usize = 600;
    let rt = runtime_with_table("pool-growth", 4096);
    rt.block_on(async {
        zokio::spawn(async {
            let (release, gate) = zokio::sync::watch::channel(false);
            let hs: Vec<_> = (0..TASKS)
                .map(|_| {
                    let mut gate = gate.clone();
                    zokio::spawn(async move {
                        // Kept across the await: a cell of about 2.7 kB (the 4,096-byte class).
                        let big = [7u8; 2500];
                        let _ = gate.wait_for(|open| *open).await;
                        std::hint::black_box(&big);
                    })
                })
                .collect();
            release.send(true).unwrap();
            for h in hs {
                h.await.unwrap();
            }
        })
        .await
        .unwrap()
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // The rings may have lapped (parks and steals of other tests' load): what is left is
        // what counts, and the last announcement is among the newest events.
        let growth: Vec<(u32, u64)> = events_allowing_loss("pool-growth")
            .iter()
            .filter_map(|e| match e.data {
                EventData::PoolGrowth { pool, capacity } => Some((pool, capacity)),
                _ => None,
            })
            .collect();
        let pools = snapshot_of("pool-growth").pools;
        let grown = pools.iter().find(|p| p.counters.misses >= TASKS as u64);
        let announced = |pool: usize| -> Vec<u64> {
            growth
                .iter()
                .filter(|&&(p, _)| p as usize == pool)
                .map(|&(_, c)| c)
                .collect()
        };
        if let Some(p) = grown {
            let misses = p.counters.misses;
            let ours = announced(p.index);
            if ours.last().is_some_and(|&a| a.ilog2() == misses.ilog2()) {
                assert!(ours.iter().all(|&a| a <= misses), "{ours:?} of {misses}");
                for pool in &pools {
                    let a = announced(pool.index);
                    assert!(a.windows(2).all(|w| w[1].ilog2() > w[0].ilog2()), "{a:?}");
                }
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no announcement in the power of two of a pool that grew by {TASKS}: {growth:?}, pools {pools:?}"
        );
    }
}

/// Every event still in the rings of the segment of `service`, without failing on what the
/// rings overwrote.
fn events_allowing_loss(service: &str) -> Vec<zokio_telemetry::Event> {
    ring_batches(service)
        .into_iter()
        .flat_map(|b| b.events)
        .collect()
}
