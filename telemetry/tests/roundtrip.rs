//! Writer -> reader, through the real file: every section reads back exactly.

#![cfg(not(loom))]

mod common;

use common::{filled_segment, small_config, TempDir};
use std::os::unix::fs::PermissionsExt;
use zokio_telemetry::*;

#[test]
fn every_section_reads_back_exactly() {
    let dir = TempDir::new("roundtrip");
    let seg = filled_segment(dir.path());
    let reader = Reader::open(seg.path()).unwrap();
    assert_eq!(reader.layout(), seg.layout());
    let s = reader.snapshot().unwrap();

    let h = &s.header;
    assert_eq!((h.abi_major, h.abi_minor), (ABI_MAJOR, ABI_MINOR));
    assert_eq!((h.pid, h.runtime_id, h.workers), (std::process::id(), 1, 3));
    assert_eq!(
        h.start_time,
        process_start_time(std::process::id()).unwrap()
    );
    assert_eq!(h.service_name, "orders");
    assert!(!h.process_name.is_empty());
    assert_eq!(
        (h.backend.as_str(), h.backend_reason.as_str()),
        ("io_uring", "kernel supports it")
    );
    assert_eq!((h.ring_capacity, h.task_capacity), (8, 8));

    assert_eq!(
        (
            s.runtime.spawned_remote,
            s.runtime.active_tasks,
            s.runtime.global_queue_depth
        ),
        (11, 2, 3)
    );
    assert_eq!(s.workers.len(), 3);
    for (i, w) in s.workers.iter().enumerate() {
        assert_eq!(
            (w.index, w.counters.polls, w.counters.busy_ns),
            (i, 100 + i as u64, 5_000)
        );
        let mut hist = vec![0; HISTOGRAM_BUCKETS];
        hist[i] = 7;
        assert_eq!(w.counters.poll_histogram, hist);
        assert_eq!(w.counters.lints[1], 9);
        let mut row = vec![0; 3];
        row[(i + 1) % 3] = 4 + i as u64;
        assert_eq!(w.stolen_from, row);
    }
    assert_eq!(s.workers[2].events_pushed, 3);
    assert_eq!(s.total_polls(), 303);

    assert_eq!(s.pools.len(), 1);
    assert_eq!(s.pools[0].name.as_deref(), Some("task-cells/0"));
    assert_eq!(
        (s.pools[0].counters.hits, s.pools[0].counters.misses),
        (50, 5)
    );

    assert_eq!(s.io_ops.len(), IoOp::COUNT);
    let read = s.io_op(IoOp::Read).unwrap();
    assert_eq!(
        (read.submitted, read.bytes, read.latency_histogram[12]),
        (6, 4096, 6)
    );
    assert_eq!(s.io_op(IoOp::Write).unwrap().submitted, 0);
    assert_eq!(
        (s.io_driver.sq_full_waits, s.io_driver.buffer_size),
        (2, 4096)
    );

    assert_eq!((s.tasks.len(), s.tasks_unreadable), (1, 0));
    let t = &s.tasks[0];
    assert_eq!(
        (t.record.id, t.record.polls, t.record.state),
        (1, 3, TaskState::Running)
    );
    assert_eq!(
        (t.worker, t.location.as_deref(), t.name.as_deref()),
        (Some(2), Some("src/main.rs:12:5"), None)
    );
    assert_eq!(s.events_overwritten, 0);
}

#[test]
fn events_read_back_in_order_and_the_oldest_cursor_skips_overwritten_ones() {
    let dir = TempDir::new("events");
    let seg = filled_segment(dir.path());
    let reader = Reader::open(seg.path()).unwrap();
    let mut cursor = EventCursor::new();
    let batch = reader.events(2, &mut cursor).unwrap();
    let kinds: Vec<EventKind> = batch.events.iter().map(|e| e.data.kind()).collect();
    assert_eq!(
        kinds,
        [EventKind::Spawn, EventKind::Complete, EventKind::IoComplete]
    );
    assert_eq!(
        batch.events[2].data,
        EventData::IoComplete {
            op: IoOp::Read,
            latency_ns: 900,
            result: 512
        }
    );
    assert_eq!((batch.lost, cursor.next_seq()), (0, 3));

    for i in 0..20 {
        seg.ring(0).push(i, 0, EventData::Yield);
    }
    let mut oldest = reader.oldest_cursor(0).unwrap();
    let batch = reader.events(0, &mut oldest).unwrap();
    assert_eq!(
        (batch.events.len(), batch.lost, batch.events[0].seq),
        (8, 0, 12)
    );
    let from_start = reader.events(0, &mut EventCursor::new()).unwrap();
    assert_eq!((from_start.events.len(), from_start.lost), (8, 12));
    assert_eq!(reader.snapshot().unwrap().events_overwritten, 12);
    assert!(
        reader.events(3, &mut EventCursor::new()).is_err(),
        "no worker 3"
    );
}

#[test]
fn backend_can_be_set_after_creation() {
    let dir = TempDir::new("backend");
    let seg = Segment::create_in(dir.path(), &small_config(), &common::identity(2)).unwrap();
    let reader = Reader::open(seg.path()).unwrap();
    assert_eq!(reader.header().unwrap().backend, "");
    seg.set_backend("poll", "ZOKIO_IO=poll");
    let h = reader.header().unwrap();
    assert_eq!(
        (h.backend.as_str(), h.backend_reason.as_str()),
        ("poll", "ZOKIO_IO=poll")
    );
}

#[test]
fn files_are_private_and_removed_on_drop() {
    let dir = TempDir::new("private");
    let seg = Segment::create_in(dir.path(), &small_config(), &common::identity(3)).unwrap();
    let path = seg.path().to_owned();
    assert_eq!(
        path.file_name().unwrap().to_str().unwrap(),
        format!("{}-3.seg", std::process::id())
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let again = Segment::create_in(dir.path(), &small_config(), &common::identity(3));
    assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    drop(seg);
    assert!(!path.exists());
}

#[test]
fn a_reader_of_a_removed_segment_says_gone() {
    let dir = TempDir::new("gone");
    let seg = filled_segment(dir.path());
    let reader = Reader::open(seg.path()).unwrap();
    drop(seg);
    assert!(matches!(reader.snapshot(), Err(Error::Gone)));
    assert!(matches!(
        Reader::open_pid_in(dir.path(), std::process::id()),
        Err(Error::Gone)
    ));
}

#[test]
fn task_table_overflow_is_counted_exactly() {
    let dir = TempDir::new("overflow");
    let seg = Segment::create_in(dir.path(), &small_config(), &common::identity(4)).unwrap();
    let tasks = seg.tasks();
    let mut held: Vec<_> = (0..8).map(|_| tasks.claim().unwrap()).collect();
    for (i, slot) in held.iter_mut().enumerate() {
        slot.update(|r| r.id = i as u64 + 1);
    }
    assert!((0..5).all(|_| tasks.claim().is_none()));
    let reader = Reader::open(seg.path()).unwrap();
    let s = reader.snapshot().unwrap();
    assert_eq!((s.tasks.len(), s.runtime.task_table_overflows), (8, 5));
    held.pop().unwrap().release();
    assert_eq!(reader.snapshot().unwrap().tasks.len(), 7);
}

#[test]
fn lints_read_back_on_the_event_and_the_task_record() {
    let dir = TempDir::new("lints");
    let seg = filled_segment(dir.path());
    let lint = EventData::Lint {
        lint: Lint::NoYield,
        value: 1_200_000_000,
    };
    seg.ring(1).push(5, 77, lint);
    let mut slot = seg.tasks().claim().unwrap();
    slot.update(|r| {
        r.id = 77;
        r.lints = 1 << Lint::NoYield.index() | 1 << Lint::LongPoll.index();
        r.last_poll_duration_ns = 1_200_000_000;
        r.state_since_ns = 5;
        r.worker = 1;
    });
    let reader = Reader::open(seg.path()).unwrap();
    let batch = reader.events(1, &mut EventCursor::new()).unwrap();
    let last = batch.events.last().unwrap();
    assert_eq!((last.task, last.data), (77, lint));
    let s = reader.snapshot().unwrap();
    let t = s.tasks.iter().find(|t| t.record.id == 77).unwrap();
    assert_eq!(
        Lint::in_mask(t.record.lints).collect::<Vec<_>>(),
        [Lint::LongPoll, Lint::NoYield]
    );
    assert_eq!(
        (
            t.record.last_poll_duration_ns,
            t.record.state_since_ns,
            t.record.worker
        ),
        (1_200_000_000, 5, 1)
    );
}
