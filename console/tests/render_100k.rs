//! The console with 100,000 live tasks: a snapshot read plus a frame must stay well under 100 ms
//! (10 frames per second). Timing is not asserted in normal tests; this one is ignored and prints
//! what it measured:
//!
//! ```text
//! cargo test -p zokio-console --release --test render_100k -- --ignored --nocapture
//! ```

mod common;

use common::{attached, TempDir};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::{Duration, Instant};
use zokio_console::attach::refresh;
use zokio_console::input::Action;
use zokio_console::state::ViewId;
use zokio_console::view;
use zokio_telemetry::{Segment, SegmentConfig, TaskRecord, TaskState};

const TASKS: usize = 100_000;
const FRAMES: u32 = 20;

fn full_segment(dir: &std::path::Path) -> Segment {
    let config = SegmentConfig {
        task_capacity: TASKS,
        ..SegmentConfig::new(4)
    };
    let seg = Segment::create_in(dir, &config, &common::identity()).unwrap();
    let names: Vec<u32> = (0..50)
        .map(|i| seg.intern(&format!("client-{i}")).unwrap())
        .collect();
    let locations: Vec<u32> = (0..50)
        .map(|i| seg.intern(&format!("src/handlers/mod.rs:{i}:9")).unwrap())
        .collect();
    let table = seg.tasks();
    for i in 0..TASKS {
        let record = TaskRecord {
            id: i as u64 + 1,
            name: names[i % 50],
            location: locations[i % 50],
            state: TaskState::Idle,
            polls: (i as u64 * 7919) % 10_007,
            busy_ns: (i as u64 * 104_729) % 1_000_003,
            worker: (i % 4) as u16,
            ..Default::default()
        };
        table.claim_with(&record).expect("a free slot");
    }
    seg
}

#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn a_snapshot_and_a_frame_with_100k_tasks() {
    let dir = TempDir::new("perf");
    let _seg = full_segment(dir.path());
    let mut source = attached(dir.path());
    let mut app = source.app().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    for (view, sort) in [
        (ViewId::Tasks, 0),
        (ViewId::Tasks, 4),
        (ViewId::Overview, 0),
    ] {
        app.apply(Action::Show(view));
        for _ in 0..sort {
            app.apply(Action::NextSort);
        }
        let (mut read, mut draw) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..FRAMES {
            let t = Instant::now();
            refresh(&mut app, &mut source, t).unwrap();
            let t2 = Instant::now();
            terminal.draw(|f| view::draw(f, &app)).unwrap();
            read += t2 - t;
            draw += t2.elapsed();
        }
        assert_eq!(app.tasks.rows().len(), TASKS);
        let text = view::buffer_text(terminal.backend().buffer());
        if view == ViewId::Tasks {
            assert!(text.contains("Tasks: 100000 live, 100000 shown"), "{text}");
        }
        println!(
            "{} view sorted by {}, {TASKS} tasks: snapshot + events + model {:.1} ms, frame {:.2} ms, total {:.1} ms per frame (average of {FRAMES})",
            view.title(),
            app.tasks.sort().0.label(),
            read.as_secs_f64() * 1e3 / f64::from(FRAMES),
            draw.as_secs_f64() * 1e3 / f64::from(FRAMES),
            (read + draw).as_secs_f64() * 1e3 / f64::from(FRAMES),
        );
    }
    let t = Instant::now();
    app.apply(Action::Show(ViewId::Tasks));
    app.apply(Action::StartFilter);
    app.apply(Action::FilterChar('7'));
    println!(
        "typing a filter character re-filters and re-sorts in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
}
