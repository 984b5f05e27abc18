//! Writes a valid, filled segment into `corpus/reader/` so the fuzzer starts from real layouts
//! rather than having to discover the magic and the section table by chance.
//!
//! `cargo +nightly run --bin seed` from this folder, then `cargo +nightly fuzz run reader`.

use std::path::Path;
use zokio_telemetry::{EventData, Identity, IoOp, Segment, SegmentConfig};

fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("zokio-fuzz-seed-{}", std::process::id()));
    let config = SegmentConfig {
        workers: 2,
        task_capacity: 4,
        ring_capacity: 4,
        pool_slots: 2,
        string_capacity: 4,
        string_bytes: 64,
    };
    let segment = Segment::create_in(&dir, &config, &Identity::for_this_process("seed")?)?;
    fill(&segment);
    let out = Path::new("corpus/reader");
    std::fs::create_dir_all(out)?;
    std::fs::copy(segment.path(), out.join("segment-2-workers"))?;
    drop(segment);
    std::fs::remove_dir(&dir)
}

fn fill(segment: &Segment) {
    segment.set_backend("poll", "seed");
    segment.worker(1).polls.store(3);
    let location = segment.intern("src/lib.rs:1:1").unwrap_or(0);
    for i in 0..6 {
        segment.ring(0).push(
            i,
            i,
            EventData::Spawn {
                parent: 0,
                location,
            },
        );
    }
    segment
        .ring(1)
        .push(9, 1, EventData::Steal { from: 0, count: 2 });
    segment.io_op(IoOp::Write).submitted.add(1);
    if let Some(mut slot) = segment.tasks().claim() {
        slot.update(|r| r.location = location);
        std::mem::forget(slot);
    }
}
