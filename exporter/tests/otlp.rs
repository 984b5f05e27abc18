//! OTLP push, end to end: a receiver built on the official protobuf definitions
//! (`otlp_receiver.py`, PyPI `opentelemetry-proto`) decodes what the pusher posts, and the tests
//! assert names, units, temporality and exact values against `Handle::metrics()`; then the retry
//! and drop policy, against a receiver that answers 503 or 400, and against no receiver at all.
//!
//! The receiver runs with `$ZOKIO_PYTHON`, else the venv `.ci/run` makes next to the target
//! directory (`target/otlp-venv`), else `python3`. Without `opentelemetry-proto` there the tests
//! that need it say so and pass, unless `ZOKIO_REQUIRE_E2E=1`. No test sleeps hoping for an
//! order: each waits for a condition, with a deadline that fails it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zokio::runtime::{Builder, Runtime};
use zokio_exporter::otlp::OtlpPusher;
use zokio_exporter::targets::{Targets, Which};
use zokio_exporter::{Exporter, Stats};

const RECEIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/otlp_receiver.py");
const WAIT: Duration = Duration::from_secs(30);

// --- The receiver ----------------------------------------------------------------------------

/// `$ZOKIO_PYTHON`, the venv next to the target directory, or `python3`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ZOKIO_PYTHON") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("the test's path");
    // target/<profile>/deps/otlp-<hash>
    let venv = exe
        .ancestors()
        .nth(3)
        .map(|t| t.join("otlp-venv/bin/python3"));
    venv.filter(|p| p.is_file())
        .unwrap_or_else(|| "python3".into())
}

/// Whether the receiver can run here; if not, says why, and fails under `ZOKIO_REQUIRE_E2E=1`.
fn receiver_available() -> bool {
    let python = python();
    let probe = Command::new(&python)
        .args(["-c", "import opentelemetry.proto.collector.metrics.v1.metrics_service_pb2, google.protobuf.json_format"])
        .output();
    let why = match probe {
        Ok(out) if out.status.success() => return true,
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => e.to_string(),
    };
    let why = format!(
        "{} cannot import opentelemetry-proto ({why}); `pip install opentelemetry-proto protobuf`, or set ZOKIO_PYTHON",
        python.display()
    );
    assert!(
        std::env::var_os("ZOKIO_REQUIRE_E2E").is_none_or(|v| v != "1"),
        "{why}"
    );
    eprintln!("skipping: {why}");
    false
}

/// A running `otlp_receiver.py`, and every line it printed after `listening`.
struct Receiver {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    records: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start(args: &[&str]) -> Receiver {
        let mut child = Command::new(python())
            .arg(RECEIVER)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the receiver starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a first line").expect("text");
        let port = first
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver said {first:?}"));
        let records = Arc::new(Mutex::new(Vec::new()));
        let sink = records.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).expect("a JSON line");
                sink.lock().unwrap().push(v);
            }
        });
        let stdin = child.stdin.take();
        Receiver {
            child,
            stdin,
            port,
            records,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn records(&self) -> Vec<Value> {
        self.records.lock().unwrap().clone()
    }

    /// Waits until it has printed `n` records.
    fn wait_for(&self, n: usize) -> Vec<Value> {
        wait_until(&format!("{n} POSTs at the receiver"), || {
            self.records().len() >= n
        });
        self.records()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

// --- Reading the decoded requests ---------------------------------------------------------------

/// The resource whose `service.name` is `service`.
fn resource<'a>(record: &'a Value, service: &str) -> &'a Value {
    let resources = record["request"]["resourceMetrics"]
        .as_array()
        .expect("resources");
    resources
        .iter()
        .find(|r| attr(&r["resource"]["attributes"], "service.name").as_deref() == Some(service))
        .unwrap_or_else(|| panic!("no resource of {service} in {record}"))
}

fn metric<'a>(resource: &'a Value, name: &str) -> &'a Value {
    let metrics = resource["scopeMetrics"][0]["metrics"]
        .as_array()
        .expect("metrics");
    let m = metrics.iter().find(|m| m["name"] == name);
    m.unwrap_or_else(|| panic!("no metric {name}"))
}

/// An attribute's value as text (`intValue`s are strings in protobuf's JSON).
fn attr(attributes: &Value, key: &str) -> Option<String> {
    let kv = attributes.as_array()?.iter().find(|kv| kv["key"] == key)?;
    let v = &kv["value"];
    let text = v["stringValue"].as_str().or(v["intValue"].as_str())?;
    Some(text.to_owned())
}

/// A JSON integer or a protobuf JSON int64 string (absent means 0).
fn int(v: &Value) -> u64 {
    match v {
        Value::Null => 0,
        Value::String(s) => s.parse().expect("an integer"),
        v => v.as_u64().expect("an integer"),
    }
}

fn points<'a>(m: &'a Value, kind: &str) -> &'a Vec<Value> {
    m[kind]["dataPoints"]
        .as_array()
        .unwrap_or_else(|| panic!("{kind} points in {m}"))
}

// --- Fixtures --------------------------------------------------------------------------------------

fn runtime(service: &str) -> Runtime {
    let mut b = Builder::new_multi_thread();
    b.worker_threads(2).enable_all().service_name(service);
    b.build().expect("a runtime")
}

/// Spawns exactly `n` tasks from outside the workers and joins them, plus one TCP exchange on
/// loopback (so that I/O series exist).
fn workload(rt: &Runtime, n: usize) {
    rt.block_on(async {
        let handles: Vec<_> = (0..n).map(|i| zokio::spawn(async move { i })).collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), i);
        }
    });
    rt.block_on(async {
        use zokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = zokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = zokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
}

/// An exporter of no runtime: only its own series.
fn own_only() -> Exporter {
    let dir = std::env::temp_dir().join(format!("zokio-otlp-none-{}", std::process::id()));
    Exporter::new(Targets::new(&dir, Which::Process(std::process::id())))
}

fn counts(s: &Stats) -> [u64; 3] {
    [
        s.otlp_ok.load(Relaxed),
        s.otlp_retries.load(Relaxed),
        s.otlp_dropped.load(Relaxed),
    ]
}

// --- Tests -------------------------------------------------------------------------------------------

#[test]
fn a_push_carries_names_units_temporality_and_exact_values() {
    if !zokio::runtime::metrics::ENABLED || !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&[]);
    let rt = runtime("otlp-test");
    workload(&rt, 1000);
    let pusher = OtlpPusher::builder(receiver.url())
        .interval(Duration::from_secs(3600))
        .start(Exporter::this_process())
        .unwrap();
    receiver.wait_for(1); // the first tick's, at start
                          // Counters only grow: a collection between two equal readings of `metrics()` equals both.
    let totals = |rt: &Runtime| {
        let m = rt.metrics();
        let t = [
            m.total_spawned(),
            m.total_polls(),
            m.total_completed(),
            m.total_histogram_count(),
        ];
        (t, m)
    };
    let deadline = Instant::now() + WAIT;
    let mut pushed = 1;
    let (m, record) = loop {
        let (before, _) = totals(&rt);
        pusher.push_now();
        pushed += 1;
        let records = receiver.wait_for(pushed);
        let (after, m) = totals(&rt);
        if before == after {
            break (m, records[pushed - 1].clone());
        }
        assert!(Instant::now() < deadline, "the runtime never went quiet");
    };
    assert_eq!(record["path"], "/v1/metrics");
    assert_eq!(record["content_type"], "application/x-protobuf");
    assert_eq!(record["status"], 200);
    let r = resource(&record, "otlp-test");
    let attributes = &r["resource"]["attributes"];
    let pid = std::process::id().to_string();
    assert_eq!(attr(attributes, "process.pid"), Some(pid.clone()));
    assert!(attr(attributes, "zokio.runtime").is_some());
    let backend = rt.handle().io_backend().backend.as_str().to_owned();
    assert_eq!(attr(attributes, "zokio.io_backend"), Some(backend));
    assert_eq!(
        attr(attributes, "zokio.version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );

    let cumulative = "AGGREGATION_TEMPORALITY_CUMULATIVE";
    let spawned = metric(r, "zokio.task.spawned");
    assert_eq!(spawned["unit"], "{task}");
    assert_eq!(spawned["sum"]["isMonotonic"], true);
    assert_eq!(spawned["sum"]["aggregationTemporality"], cumulative);
    let p = &points(spawned, "sum")[0];
    assert_eq!(int(&p["asInt"]), m.total_spawned());
    assert!(m.total_spawned() >= 1000, "{}", m.total_spawned());
    assert_eq!(
        attr(&p["attributes"], "service").as_deref(),
        Some("otlp-test")
    );
    assert_eq!(attr(&p["attributes"], "pid"), Some(pid));
    assert!(int(&p["startTimeUnixNano"]) > 0);
    assert!(int(&p["timeUnixNano"]) > int(&p["startTimeUnixNano"]));

    let completed = metric(r, "zokio.task.completed");
    let ok = points(completed, "sum")
        .iter()
        .find(|p| attr(&p["attributes"], "outcome").as_deref() == Some("ok"))
        .expect("outcome=ok");
    assert_eq!(int(&ok["asInt"]), m.total_completed());
    assert!(m.total_completed() >= 1000);

    let polls = metric(r, "zokio.worker.polls");
    assert_eq!(polls["unit"], "{poll}");
    let per_worker: Vec<(String, u64)> = points(polls, "sum")
        .iter()
        .map(|p| {
            (
                attr(&p["attributes"], "worker").expect("worker"),
                int(&p["asInt"]),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = m
        .workers
        .iter()
        .map(|w| (w.index.to_string(), w.polls))
        .collect();
    assert_eq!(per_worker, want);

    let workers = metric(r, "zokio.workers");
    assert_eq!(int(&points(workers, "gauge")[0]["asInt"]), 2);
    assert_eq!(metric(r, "zokio.worker.busy_time")["unit"], "s");

    let hist = metric(r, "zokio.task.poll.duration");
    assert_eq!(hist["unit"], "s");
    assert_eq!(hist["histogram"]["aggregationTemporality"], cumulative);
    let h = &points(hist, "histogram")[0];
    let buckets: Vec<u64> = h["bucketCounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .collect();
    let bounds = h["explicitBounds"].as_array().unwrap();
    assert_eq!(buckets.len(), bounds.len() + 1);
    assert_eq!(bounds[0].as_f64(), Some(1024e-9));
    assert_eq!(buckets.iter().sum::<u64>(), int(&h["count"]));
    assert_eq!(int(&h["count"]), m.total_histogram_count());

    let submissions = metric(r, "zokio.io.submissions");
    let ops: Vec<String> = points(submissions, "sum")
        .iter()
        .map(|p| attr(&p["attributes"], "op").expect("op"))
        .collect();
    assert!(!ops.is_empty());
    assert!(points(metric(r, "zokio.io.completions"), "sum")
        .iter()
        .all(|p| attr(&p["attributes"], "result").is_some()));

    let own = resource(&record, "zokio-exporter");
    assert!(int(&points(metric(own, "zokio.exporter.scrapes"), "sum")[0]["asInt"]) >= 2);
    pusher.shutdown();
    drop(rt);
}

#[test]
fn busy_answers_are_retried_after_retry_after() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&["--fail", "2", "--status", "503", "--retry-after", "1"]);
    let started = Instant::now();
    let pusher = OtlpPusher::builder(receiver.url())
        .interval(Duration::from_secs(3600))
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .start(own_only())
        .unwrap();
    let stats = pusher.stats().clone();
    wait_until("a delivery", || stats.otlp_ok.load(Relaxed) == 1);
    // Two waits of the Retry-After's second, not the millisecond backoff.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(counts(&stats), [1, 2, 0]);
    let records = receiver.wait_for(3);
    let statuses: Vec<u64> = records.iter().map(|r| int(&r["status"])).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert!(
        records.iter().all(|r| r["bytes"] == records[0]["bytes"]),
        "the same batch"
    );
    assert_eq!(pusher.queued(), 0);
    // Shutdown collects once more and delivers it.
    pusher.shutdown();
    assert_eq!(counts(&stats), [2, 2, 0]);
    assert_eq!(receiver.wait_for(4).len(), 4);
}

#[test]
fn other_answers_drop_the_batch_at_once() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&["--fail", "1", "--status", "400", "--retry-after", "1"]);
    let pusher = OtlpPusher::builder(receiver.url())
        .interval(Duration::from_secs(3600))
        .start(own_only())
        .unwrap();
    let stats = pusher.stats().clone();
    wait_until("a drop", || stats.otlp_dropped.load(Relaxed) == 1);
    assert_eq!(counts(&stats), [0, 0, 1]);
    // The receiver prints its line before it answers; this test may read it a little later.
    let statuses: Vec<u64> = receiver
        .wait_for(1)
        .iter()
        .map(|r| int(&r["status"]))
        .collect();
    assert_eq!(statuses, [400]);
    // The next collection goes through (the receiver now answers 200).
    pusher.push_now();
    wait_until("a delivery", || stats.otlp_ok.load(Relaxed) == 1);
    assert_eq!(counts(&stats), [1, 0, 1]);
    pusher.shutdown();
}

#[test]
fn with_no_collector_batches_are_dropped_and_the_queue_stays_bounded() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed); // connections are now refused
    let rt = runtime("otlp-down");
    let capacity = 2;
    // Each batch takes at least 2 x 25 ms of backoff; collections come every 10 ms.
    let pusher = OtlpPusher::builder(url)
        .interval(Duration::from_millis(10))
        .queue_capacity(capacity)
        .max_retries(2)
        .backoff(Duration::from_millis(50), Duration::from_millis(100))
        .timeout(Duration::from_secs(1))
        .shutdown_timeout(Duration::from_millis(200))
        .start(Exporter::this_process())
        .unwrap();
    let stats = pusher.stats().clone();
    let mut completed = 0;
    wait_until("20 dropped batches", || {
        assert!(pusher.queued() <= capacity, "{} queued", pusher.queued());
        // The service goes on: 100 tasks complete each time round.
        let done = rt.block_on(async {
            let hs: Vec<_> = (0..100).map(|_| zokio::spawn(async { 1u64 })).collect();
            let mut n = 0;
            for h in hs {
                n += h.await.unwrap();
            }
            n
        });
        completed += done;
        stats.otlp_dropped.load(Relaxed) >= 20
    });
    assert!(completed >= 100);
    let [ok, retries, dropped] = counts(&stats);
    assert_eq!(ok, 0);
    assert!(retries >= 2, "{retries}");
    assert!(dropped >= 20, "{dropped}");
    assert_eq!(
        pusher.max_queued(),
        capacity,
        "the queue filled up, and never beyond"
    );
    let stopping = Instant::now();
    pusher.shutdown();
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
    assert!(
        counts(&stats)[2] > dropped,
        "what was left at shutdown counts as dropped"
    );
}

#[test]
fn bad_endpoints_are_refused_at_start() {
    for url in ["https://127.0.0.1:4318", "127.0.0.1:4318", "not a url"] {
        let err = OtlpPusher::builder(url).start(own_only()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{url}");
    }
    let err = OtlpPusher::builder("http://127.0.0.1:4318")
        .interval(Duration::ZERO)
        .start(own_only())
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
