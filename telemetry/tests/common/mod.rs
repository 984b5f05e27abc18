//! Fixtures shared by the integration tests.

#![allow(dead_code)]

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use zokio_telemetry::{Identity, Segment, SegmentConfig};

/// A fresh private directory (0700), removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("zokio-test-{tag}-{}-{n}", std::process::id()));
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

/// A small configuration: 3 workers, 8 task slots, 8-event rings, 4 pools.
pub fn small_config() -> SegmentConfig {
    SegmentConfig {
        workers: 3,
        task_capacity: 8,
        ring_capacity: 8,
        pool_slots: 4,
        string_capacity: 8,
        string_bytes: 256,
    }
}

/// An identity of this process with a given runtime id.
pub fn identity(runtime_id: u64) -> Identity {
    let mut id = Identity::for_this_process("orders").unwrap();
    id.runtime_id = runtime_id;
    id
}

/// A segment in `dir` with every section filled with known values.
pub fn filled_segment(dir: &Path) -> Segment {
    let seg = Segment::create_in(dir, &small_config(), &identity(1)).unwrap();
    fill(&seg);
    seg
}

/// Stores known values everywhere.
pub fn fill(seg: &Segment) {
    use zokio_telemetry::{EventData, IoOp, Outcome, TaskState};
    seg.set_backend("io_uring", "kernel supports it");
    let rt = seg.runtime();
    rt.spawned_remote.store(11);
    rt.active_tasks.store(2);
    rt.global_queue_depth.store(3);
    for w in 0..3 {
        let b = seg.worker(w);
        b.polls.store(100 + w as u64);
        b.busy_ns.store(5_000);
        b.poll_histogram[w].store(7);
        b.lints[1].store(9);
        seg.stolen_from(w)[(w + 1) % 3].store(4 + w as u64);
    }
    let loc = seg.intern("src/main.rs:12:5").unwrap();
    let pool_name = seg.intern("task-cells/0").unwrap();
    let pool = seg.pool(0);
    pool.label.store(u64::from(pool_name));
    pool.hits.store(50);
    pool.misses.store(5);
    let read = seg.io_op(IoOp::Read);
    read.submitted.add(6);
    read.bytes.add(4096);
    read.latency_histogram[12].add(6);
    seg.io_driver().sq_full_waits.store(2);
    seg.io_driver().buffer_size.store(4096);
    let ring = seg.ring(2);
    ring.push(
        10,
        1,
        EventData::Spawn {
            parent: 0,
            location: loc,
        },
    );
    ring.push(
        20,
        1,
        EventData::Complete {
            outcome: Outcome::Ok,
        },
    );
    ring.push(
        30,
        0,
        EventData::IoComplete {
            op: IoOp::Read,
            latency_ns: 900,
            result: 512,
        },
    );
    let mut slot = seg.tasks().claim().unwrap();
    slot.update(|r| {
        r.id = 1;
        r.location = loc;
        r.state = TaskState::Running;
        r.polls = 3;
        r.worker = 2;
    });
    std::mem::forget(slot); // stays live for the readers
}
