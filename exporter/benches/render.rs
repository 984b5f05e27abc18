//! What a scrape costs for a 64-worker runtime whose every worker stole from every other (the
//! most series the steal matrix can give): reading the segment, building the series, writing the
//! text; and the text alone.
//!
//! ```text
//! cargo bench -p zokio-exporter --bench render
//! ```

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use zokio_exporter::model::{Limits, MetricSet, Target};
use zokio_exporter::targets::{Targets, Which};
use zokio_exporter::Exporter;
use zokio_telemetry::{Identity, IoOp, Reader, Segment, SegmentConfig};

const WORKERS: usize = 64;

/// A segment with every counter, histogram bucket and steal-matrix cell non-zero.
fn busy_segment(dir: &std::path::Path) -> Segment {
    let identity = Identity::for_this_process("bench-64-workers").unwrap();
    let mut config = SegmentConfig::new(WORKERS);
    config.pool_slots = WORKERS + 16;
    let seg = Segment::create_in(dir, &config, &identity).unwrap();
    seg.set_backend("io_uring", "bench");
    for w in 0..WORKERS {
        let b = seg.worker(w);
        for (i, c) in [&b.polls, &b.tasks_stolen, &b.parks, &b.busy_ns]
            .iter()
            .enumerate()
        {
            c.store(1_000_000 + (w * 10 + i) as u64);
        }
        for (i, c) in b.poll_histogram.iter().enumerate() {
            c.store((i * w) as u64 + 1);
        }
        for (v, c) in seg.stolen_from(w).iter().enumerate() {
            c.store((v + w) as u64 + 1);
        }
    }
    for (i, op) in IoOp::ALL.iter().enumerate() {
        let o = seg.io_op(*op);
        o.submitted.add(1_000 + i as u64);
        o.completed.add(900 + i as u64);
        for (k, c) in o.latency_histogram.iter().enumerate() {
            c.add(k as u64 + 1);
        }
    }
    seg
}

fn render(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("zokio-bench-render-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let seg = busy_segment(&dir);
    let exporter = Exporter::new(Targets::new(&dir, Which::All));
    let text = exporter.render();
    let series = text.lines().filter(|l| !l.starts_with('#')).count();
    println!("64 workers: {series} series, {} bytes of text", text.len());
    c.bench_function("scrape_64_workers", |b| {
        b.iter(|| black_box(exporter.render().len()))
    });
    let snap = Reader::open(seg.path()).unwrap().counters().unwrap();
    let target = Target {
        service: "bench".into(),
        pid: 1,
        runtime: 1,
        started_unix_ns: 0,
    };
    let reader = Reader::open(seg.path()).unwrap();
    c.bench_function("read_segment_64_workers", |b| {
        b.iter(|| black_box(reader.counters().unwrap().workers.len()))
    });
    c.bench_function("list_segments", |b| {
        b.iter(|| black_box(zokio_telemetry::list_in(&dir).unwrap().segments.len()))
    });
    c.bench_function("build_series_64_workers", |b| {
        b.iter(|| {
            let mut set = MetricSet::new(Limits::default());
            set.add_runtime(target.clone(), &snap);
            black_box(set.families.len())
        })
    });
    let mut set = MetricSet::new(Limits::default());
    set.add_runtime(target, &snap);
    let mut out = String::with_capacity(text.len());
    c.bench_function("text_only_64_workers", |b| {
        b.iter(|| {
            out.clear();
            zokio_exporter::text::render(black_box(&set), &mut out);
            out.len()
        })
    });
    drop(seg);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, render);
criterion_main!(benches);
