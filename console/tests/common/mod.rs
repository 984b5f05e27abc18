//! Fixtures of the console's integration tests: private temporary directories and segments
//! filled with known values.

#![allow(dead_code)]

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use zokio_console::attach::{self, Attached};
use zokio_console::state::App;
use zokio_telemetry::{
    bucket_of, EventData, Identity, IoOp, Lint, Outcome, Reader, Segment, SegmentConfig,
    TaskRecord, TaskState,
};

/// A fresh private directory (0700), removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let name = format!("zokio-console-{tag}-{}-{n}", std::process::id());
        let p = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&p);
        std::fs::DirBuilder::new().mode(0o700).create(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 3 workers, 16 task slots, 8-event rings.
pub fn config() -> SegmentConfig {
    SegmentConfig {
        workers: 3,
        task_capacity: 16,
        ring_capacity: 8,
        pool_slots: 4,
        string_capacity: 32,
        string_bytes: 1024,
    }
}

/// This process as the writer, service `orders`, runtime 1.
pub fn identity() -> Identity {
    let mut id = Identity::for_this_process("orders").unwrap();
    id.runtime_id = 1;
    id
}

/// The spinner's spawn location.
pub const SPINNER_AT: &str = "examples/demo_service.rs:99:9";

/// A segment in `dir` with known values everywhere (see [`fill`]).
pub fn filled(dir: &Path) -> Segment {
    let seg = Segment::create_in(dir, &config(), &identity()).unwrap();
    fill(&seg);
    seg
}

/// Stores the known values: worker `w` has `1000 * (w + 1)` polls, `10 + w` tasks stolen in
/// `5 + w` steal operations, local queue `w + 2`, `40 + w` parks, busy 1 ms; worker 1 stole 7
/// from worker 0 and 3 from worker 2; lints: worker 0 counted 3 long polls, worker 1 two
/// no-yields.
pub fn fill(seg: &Segment) {
    seg.set_backend("io_uring", "kernel supports it");
    let rt = seg.runtime();
    rt.spawned_remote.store(11);
    rt.active_tasks.store(3);
    rt.global_queue_depth.store(4);
    for w in 0..3u64 {
        let b = seg.worker(w as usize);
        b.polls.store(1000 * (w + 1));
        b.tasks_stolen.store(10 + w);
        b.steal_operations.store(5 + w);
        b.local_queue_depth.store(w + 2);
        b.parks.store(40 + w);
        b.busy_ns.store(1_000_000);
        b.spawned_local.store(20);
        b.completed.store(5);
        b.poll_histogram[bucket_of(3_000)].store(900);
        b.poll_histogram[bucket_of(20_000_000)].store(3);
    }
    seg.worker(0).lints[Lint::LongPoll.index()].store(3);
    seg.worker(1).lints[Lint::NoYield.index()].store(2);
    seg.stolen_from(1)[0].store(7);
    seg.stolen_from(1)[2].store(3);
    fill_pools_and_io(seg);
    fill_tasks(seg);
}

fn fill_pools_and_io(seg: &Segment) {
    let name = seg.intern("task-cells/0").unwrap();
    let pool = seg.pool(0);
    pool.label.store(u64::from(name));
    pool.capacity.store(256);
    pool.in_use.store(17);
    pool.hits.store(900);
    pool.misses.store(100);
    pool.growth.store(3);
    let read = seg.io_op(IoOp::Read);
    read.submitted.add(40);
    read.completed.add(38);
    read.errors.add(2);
    read.in_flight.add(2);
    read.bytes.add(4096);
    read.latency_histogram[bucket_of(5_000)].add(38);
    seg.io_driver().sq_full_waits.store(2);
    seg.io_driver().cq_overflows.store(1);
}

fn fill_tasks(seg: &Segment) {
    let server_at = seg.intern("src/server.rs:40:5").unwrap();
    let spinner_at = seg.intern(SPINNER_AT).unwrap();
    let table = seg.tasks();
    let task = |id, name: &str, location, state, polls, lints, last| TaskRecord {
        id,
        name: seg.intern(name).unwrap(),
        location,
        state,
        polls,
        lints,
        last_poll_duration_ns: last,
        worker: 1,
        ..Default::default()
    };
    table
        .claim_with(&task(
            1,
            "http-server",
            server_at,
            TaskState::Idle,
            120,
            0,
            4_000,
        ))
        .unwrap();
    let lints = 1 << Lint::LongPoll.index() | 1 << Lint::NoYield.index();
    let spinner = task(
        2,
        "spinner",
        spinner_at,
        TaskState::Running,
        3,
        lints,
        1_200_000_000,
    );
    // In its poll since 3.8 s on the runtime's clock, which reads 5 s: 1.2 s in that state.
    let spinner = TaskRecord {
        state_since_ns: 3_800_000_000,
        ..spinner
    };
    seg.runtime().clock_ns.store(5_000_000_000);
    table.claim_with(&spinner).unwrap();
    table
        .claim_with(&task(
            3,
            "client-0",
            server_at,
            TaskState::Scheduled,
            55,
            0,
            9_000,
        ))
        .unwrap();
    let mut head = 0;
    seg.push_event(
        2,
        &mut head,
        1_000,
        2,
        EventData::Spawn {
            parent: 0,
            location: spinner_at,
        },
    );
    let lint = EventData::Lint {
        lint: Lint::NoYield,
        value: 1_200_000_000,
    };
    seg.push_event(2, &mut head, 2_000, 2, lint);
    seg.push_event(
        2,
        &mut head,
        3_000,
        3,
        EventData::Complete {
            outcome: Outcome::Ok,
        },
    );
}

/// Pushes `n` park events into worker 0's ring (capacity 8: beyond it, unread events are lost).
pub fn push_parks(seg: &Segment, n: u64) {
    let ring = seg.ring(0);
    for i in 0..n {
        ring.push(10_000 + i, 0, EventData::Park);
    }
}

/// Opens the segment this process wrote in `dir`.
pub fn attached(dir: &Path) -> Attached {
    Attached::new(Reader::open_pid_in(dir, std::process::id()).unwrap()).unwrap()
}

/// A model of `seg` (in `dir`) after two reads one second apart, worker 0's polls growing by 500
/// and its tasks stolen by 2 in between, and 12 parks pushed into its 8-event ring (4 lost).
pub fn model(dir: &Path, seg: &Segment) -> App {
    let mut source = attached(dir);
    let mut app = source.app().unwrap();
    let t0 = Instant::now();
    attach::refresh(&mut app, &mut source, t0).unwrap();
    seg.worker(0).polls.store(1500);
    seg.worker(0).tasks_stolen.store(12);
    push_parks(seg, 12);
    attach::refresh(&mut app, &mut source, t0 + Duration::from_secs(1)).unwrap();
    app
}
