//! The in-process `/metrics` endpoint and the `prometheus` crate collector, over real runtimes
//! of this test process: values equal the work done, the endpoint answers while every worker is
//! blocked, and both paths publish the same series.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zokio::runtime::{Builder, Runtime};
use zokio_exporter::model::Value;
use zokio_exporter::Exporter;

/// `GET path` over HTTP/1.1; the status code and body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the endpoint");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("a chunk size");
        let n = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
}

/// The value of the sample of `name` whose labels include `service="service"` and every one of
/// `labels` (`key="value"` strings), from a text exposition.
fn sample(text: &str, name: &str, service: &str, labels: &[&str]) -> Option<f64> {
    let service = format!("service=\"{service}\"");
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| l.contains(&service) && labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn runtime(service: &str, workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .service_name(service)
        .build()
        .unwrap()
}

fn telemetry_on() -> bool {
    if !zokio::runtime::metrics::ENABLED {
        println!("skipped: telemetry is compiled out");
        return false;
    }
    true
}

/// Waits until `cond` holds, failing the test after 10 s.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn metrics_equal_the_work_done() {
    if !telemetry_on() {
        return;
    }
    let rt = runtime("exporter-counts", 2);
    const N: u64 = 1_000;
    rt.block_on(async {
        let handles: Vec<_> = (0..N).map(|i| zokio::spawn(async move { i })).collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), i as u64);
        }
        let panicked = zokio::spawn(async { panic!("on purpose") }).await;
        assert!(panicked.unwrap_err().is_panic());
        let pending = zokio::spawn(std::future::pending::<()>());
        pending.abort();
        assert!(pending.await.unwrap_err().is_cancelled());
    });
    let endpoint = zokio_exporter::serve("127.0.0.1:0").unwrap();
    // Every task was spawned from block_on (outside the workers), all are done.
    assert_eq!(rt.handle().metrics().total_spawned(), N + 2);
    // Workers publish their counters when they park, which may come just after the last
    // JoinHandle resolved (a cancelled task leaves the runtime's task list after its
    // JoinHandle learns of it, and the `metrics()` call above may have published it as still
    // active): wait for the completions and the active count to show, then everything must be
    // exact.
    let mut text = String::new();
    wait_for("every completion published", || {
        let (status, body) = get(endpoint.local_addr(), "/metrics");
        assert_eq!(status, 200);
        text = body;
        let ok = sample(
            &text,
            "zokio_task_completed_total",
            "exporter-counts",
            &["outcome=\"ok\""],
        );
        let active = sample(&text, "zokio_task_active", "exporter-counts", &[]);
        ok == Some(N as f64) && active == Some(0.0)
    });
    let m = rt.handle().metrics();
    let s = |name, labels: &[&str]| sample(&text, name, "exporter-counts", labels);
    assert_eq!(s("zokio_task_spawned_total", &[]), Some((N + 2) as f64));
    assert_eq!(
        s("zokio_task_completed_total", &["outcome=\"ok\""]),
        Some(N as f64)
    );
    assert_eq!(
        s("zokio_task_completed_total", &["outcome=\"panic\""]),
        Some(1.0)
    );
    assert_eq!(
        s("zokio_task_completed_total", &["outcome=\"cancelled\""]),
        Some(1.0)
    );
    assert_eq!(s("zokio_task_active", &[]), Some(0.0));
    assert_eq!(s("zokio_workers", &[]), Some(2.0));
    let polls: f64 = (0..2)
        .map(|w| s("zokio_worker_polls_total", &[&format!("worker=\"{w}\"")]).unwrap())
        .sum();
    assert_eq!(polls, m.total_polls() as f64);
    let hist_count = s("zokio_task_poll_duration_seconds_count", &[]).unwrap();
    assert_eq!(hist_count, m.total_histogram_count() as f64);
    let inf = s("zokio_task_poll_duration_seconds_bucket", &["le=\"+Inf\""]);
    assert_eq!(inf, Some(hist_count));
    let timed_wakes: u64 = m
        .workers
        .iter()
        .flat_map(|w| &w.schedule_time_histogram)
        .sum();
    let sched_count = s("zokio_task_schedule_duration_seconds_count", &[]);
    assert_eq!(sched_count, Some(timed_wakes as f64));
    let pid = format!("pid=\"{}\"", std::process::id());
    assert!(text.contains(&pid), "the target labels name this process");
    assert!(text.contains("# TYPE zokio_task_spawned_total counter"));
    endpoint.shutdown();
}

#[test]
fn metrics_answer_while_every_worker_is_blocked() {
    if !telemetry_on() {
        return;
    }
    const WORKERS: usize = 2;
    let rt = runtime("exporter-blocked", WORKERS);
    let endpoint = zokio_exporter::serve("127.0.0.1:0").unwrap();
    let (started_tx, started) = mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Arc::new(std::sync::Mutex::new(released));
    // One task per worker, each blocking its worker until released: nothing else can run.
    let blockers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (started_tx, released) = (started_tx.clone(), released.clone());
            rt.spawn(async move {
                started_tx.send(()).unwrap();
                let _ = released.lock().unwrap().recv();
            })
        })
        .collect();
    // The first blocker holds the lock in recv; the second waits for the lock: both block.
    for _ in 0..WORKERS {
        started.recv_timeout(Duration::from_secs(10)).unwrap();
    }
    let blocked = |text: &str| {
        (0..WORKERS).all(|w| {
            let label = format!("worker=\"{w}\"");
            let v = sample(
                text,
                "zokio_worker_current_poll_seconds",
                "exporter-blocked",
                &[&label],
            );
            v.is_some_and(|s| s > 0.0)
        })
    };
    // The endpoint keeps answering, and shows both workers inside a running poll.
    wait_for("both workers shown blocked", || {
        let (status, text) = get(endpoint.local_addr(), "/metrics");
        status == 200 && blocked(&text)
    });
    let (status, body) = get(endpoint.local_addr(), "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    for _ in 0..WORKERS {
        release.send(()).unwrap();
    }
    rt.block_on(async {
        for b in blockers {
            b.await.unwrap();
        }
    });
    endpoint.shutdown();
}

#[test]
fn the_collector_and_the_text_publish_the_same_series() {
    if !telemetry_on() {
        return;
    }
    let rt = runtime("exporter-collector", 1);
    rt.block_on(async { zokio::spawn(async {}).await.unwrap() });
    // The worker publishes its task-cell pool when it parks, just after the task completed: wait
    // until this runtime's series stop changing (read by an exporter of its own, so the one under
    // test counts exactly two scrapes).
    let counts = || {
        let set = Exporter::this_process().collect();
        let t = set
            .targets
            .iter()
            .position(|t| t.service == "exporter-collector");
        let t = t.map(|t| t as u32);
        let per_family: Vec<usize> = set
            .families
            .iter()
            .map(|f| f.iter().filter(|s| s.target == t).count())
            .collect();
        per_family
    };
    let mut last = counts();
    wait_for("this runtime's series settle", || {
        std::thread::sleep(Duration::from_millis(20));
        let now = counts();
        let settled = now == last && now.iter().any(|&n| n > 0);
        last = now;
        settled
    });
    let exporter = Exporter::this_process();
    let registry = prometheus::Registry::new();
    let collector = zokio_exporter::ZokioCollector::with_exporter(exporter.clone());
    registry.register(Box::new(collector)).unwrap();
    let gathered = registry.gather();
    let set = exporter.collect();
    let names: Vec<&str> = gathered.iter().map(|f| f.name()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "the registry sorts families by name");
    // Other tests' runtimes come and go between the two collections (a family only they had may
    // be in one and not the other): compare the exporter's own families and those with series
    // of this runtime.
    let ours = set
        .targets
        .iter()
        .position(|t| t.service == "exporter-collector")
        .map(|t| Some(t as u32));
    let is_ours = |m: &prometheus::proto::Metric| {
        m.get_label()
            .iter()
            .any(|l| l.name() == "service" && l.value() == "exporter-collector")
    };
    let exporter_scope = |name: &str| {
        set.iter()
            .any(|(f, _)| f.name == name && f.scope == zokio_exporter::catalog::Scope::Exporter)
    };
    let in_registry: Vec<&prometheus::proto::MetricFamily> = gathered
        .iter()
        .filter(|mf| exporter_scope(mf.name()) || mf.get_metric().iter().any(is_ours))
        .collect();
    let mut in_set: Vec<&str> = set
        .iter()
        .filter(|(f, series)| {
            f.scope == zokio_exporter::catalog::Scope::Exporter
                || series.iter().any(|s| Some(s.target) == ours)
        })
        .map(|(f, _)| f.name)
        .collect();
    in_set.sort();
    let registry_names: Vec<&str> = in_registry.iter().map(|f| f.name()).collect();
    assert_eq!(registry_names, in_set, "the same families");
    for mf in in_registry {
        let (f, series) = set.iter().find(|(f, _)| f.name == mf.name()).unwrap();
        if f.scope == zokio_exporter::catalog::Scope::Exporter {
            continue;
        }
        let want = series.iter().filter(|s| Some(s.target) == ours).count();
        let have = mf.get_metric().iter().filter(|m| is_ours(m)).count();
        assert_eq!(have, want, "{}", mf.name());
    }
    // The spawned counter of this runtime, through the registry.
    let spawned = gathered
        .iter()
        .find(|f| f.name() == "zokio_task_spawned_total")
        .unwrap()
        .get_metric()
        .iter()
        .find(|m| {
            m.get_label()
                .iter()
                .any(|l| l.name() == "service" && l.value() == "exporter-collector")
        })
        .map(|m| m.get_counter().get_value());
    assert_eq!(spawned, Some(1.0));
    assert_eq!(
        set.find("zokio_exporter_scrapes_total", &[]),
        Some(&Value::Int(2)),
        "gather and collect each counted one scrape"
    );
}

#[test]
fn bad_addresses_are_errors_at_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = zokio_exporter::serve(taken.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    let (status, _) = {
        let e = zokio_exporter::serve("127.0.0.1:0").unwrap();
        let r = get(e.local_addr(), "/nope");
        e.shutdown();
        r
    };
    assert_eq!(status, 404);
}

#[test]
fn concurrent_scrapes_see_counters_only_grow() {
    if !telemetry_on() {
        return;
    }
    let rt = runtime("exporter-concurrent", 2);
    let endpoint = zokio_exporter::serve("127.0.0.1:0").unwrap();
    let addr = endpoint.local_addr();
    let (stop_tx, stop) = std::sync::mpsc::channel::<()>();
    let work = rt.spawn(async move {
        let mut rounds = 0u64;
        while stop.try_recv().is_err() {
            let batch: Vec<_> = (0..100).map(|_| zokio::spawn(async {})).collect();
            for h in batch {
                h.await.unwrap();
            }
            rounds += 1;
        }
        rounds
    });
    let scrapers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut last = 0.0;
                for _ in 0..25 {
                    let (status, text) = get(addr, "/metrics");
                    assert_eq!(status, 200);
                    assert!(text.ends_with('\n'), "a whole exposition");
                    let spawned = sample(
                        &text,
                        "zokio_task_spawned_total",
                        "exporter-concurrent",
                        &[],
                    );
                    let spawned = spawned.expect("the runtime's series");
                    assert!(spawned >= last, "a counter went back: {last} -> {spawned}");
                    last = spawned;
                }
                last
            })
        })
        .collect();
    let seen: Vec<f64> = scrapers.into_iter().map(|s| s.join().unwrap()).collect();
    stop_tx.send(()).unwrap();
    let rounds = rt.block_on(work).unwrap();
    let total = 1 + rounds * 100;
    wait_for("the workload's spawns published", || {
        rt.handle().metrics().total_spawned() == total
    });
    assert!(seen.iter().all(|&s| s <= total as f64));
    endpoint.shutdown();
}

#[test]
fn workers_past_the_limit_fold_into_other() {
    if !telemetry_on() {
        return;
    }
    use zokio_exporter::model::{LabelValue, Limits};
    let rt = runtime("exporter-fold", 4);
    rt.block_on(async {
        for _ in 0..100 {
            zokio::spawn(async {}).await.unwrap();
        }
    });
    let exporter = Exporter::this_process().with_limits(Limits {
        workers: 2,
        pools: 64,
    });
    // Wait until the workers have published their last polls (they do when they park).
    let total = |m: &zokio::runtime::RuntimeMetrics| m.total_polls();
    let mut m = rt.handle().metrics();
    wait_for("the last polls published", || {
        let before = total(&m);
        std::thread::sleep(Duration::from_millis(20));
        m = rt.handle().metrics();
        total(&m) == before && total(&m) >= 100
    });
    let set = exporter.collect();
    let t = set
        .targets
        .iter()
        .position(|t| t.service == "exporter-fold")
        .unwrap() as u32;
    let family = zokio_exporter::catalog::FAMILIES
        .iter()
        .position(|f| f.name == "zokio_worker_polls_total")
        .unwrap();
    let polls: Vec<_> = set.families[family]
        .iter()
        .filter(|s| s.target == Some(t))
        .map(|s| (s.labels[0].clone(), s.value.clone()))
        .collect();
    let w = |i: usize| m.workers[i].polls;
    assert_eq!(
        polls,
        vec![
            (LabelValue::Index(0), Value::Int(w(0))),
            (LabelValue::Index(1), Value::Int(w(1))),
            (LabelValue::Other, Value::Int(w(2) + w(3))),
        ]
    );
    let folded = set.find("zokio_exporter_series_folded_total", &[]);
    assert!(matches!(folded, Some(Value::Int(n)) if *n >= 2));
}
