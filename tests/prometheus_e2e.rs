//! End to end with a real Prometheus: the demo service with its in-process `/metrics`
//! (`--metrics`), the `zokio-exporter` daemon reading the same process through its telemetry
//! segment, and Debian's `prometheus` scraping both every second on loopback with
//! dashboards/rules/zokio.rules.yml loaded. Once each target has been scraped several times:
//!
//! - every family of the exporter's catalog has series on both jobs, each with exactly the
//!   catalog's labels;
//! - `zokio_task_spawned_total` lies between two readings of the demo's own
//!   `Handle::metrics().total_spawned()` (`GET /stats`) taken before and after that scrape;
//! - every PromQL query of every dashboard panel and variable returns series, with the
//!   template variables set to each job's values; every rule evaluates without error, every
//!   recording rule has series, and every alert's expression without its thresholds has series;
//! - both endpoints' output passes `promtool check metrics` (the 0.0.4 text format).
//!
//! Without `prometheus` (or `promtool`) the tests print why and pass, unless
//! `ZOKIO_REQUIRE_E2E=1` (as in CI), where they fail. The demo and the daemon are built by cargo
//! if needed (see `e2e::binaries`). Every child is stopped by a drop guard on every path out.

mod e2e;

use e2e::binaries::{self, Binaries};
use e2e::http::{encode, get_ok};
use e2e::procs::{address_in, free_port, poll, Proc, TempDir};
use e2e::promql;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zokio_exporter::catalog::{Family, Kind, Scope, FAMILIES, TARGET_LABELS};

/// Both scrape jobs.
const JOBS: [&str; 2] = ["demo", "daemon"];
/// How long the children may take to start, and data to show up.
const START: Duration = Duration::from_secs(60);
/// How long a condition on Prometheus's data may take to hold.
const SETTLE: Duration = Duration::from_secs(30);
/// Grafana's interval variables, as a dashboard with a 1 s scrape interval would set them.
const INTERVALS: [(&str, &str); 3] = [
    ("__rate_interval", "5s"),
    ("__interval", "1s"),
    ("__range", "1m"),
];

/// The processes of one run; children are stopped (in field order) before the directory goes.
struct Stack {
    prometheus: Proc,
    daemon: Proc,
    demo: Proc,
    prom: Prom,
    demo_metrics: SocketAddr,
    demo_http: SocketAddr,
    daemon_metrics: SocketAddr,
    demo_pid: u32,
    _dir: TempDir,
}

impl Stack {
    fn start(bins: &Binaries) -> Stack {
        let dir = TempDir::new("prometheus-e2e");
        let telemetry = dir.subdir("telemetry");
        let mut demo = Proc::start(
            "demo_service",
            demo_command(bins, &telemetry),
            dir.path().join("demo.log"),
        );
        let demo_metrics = address_in(&demo.wait_for_line("demo_service: metrics on", START));
        let announced = demo.wait_for_line("demo_service: pid ", START);
        let demo_http = address_in(&announced);
        let mut cmd = Command::new(&bins.exporter);
        cmd.args(["--listen", "127.0.0.1:0"])
            .env("ZOKIO_TELEMETRY_DIR", &telemetry);
        let mut daemon = Proc::start("zokio-exporter", cmd, dir.path().join("daemon.log"));
        let daemon_metrics = address_in(&daemon.wait_for_line("zokio-exporter: serving", START));
        let (prometheus, prom) = start_prometheus(dir.path(), demo_metrics, daemon_metrics);
        Stack {
            prometheus,
            daemon,
            demo,
            prom,
            demo_metrics,
            demo_http,
            daemon_metrics,
            demo_pid: announced_pid(&announced),
            _dir: dir,
        }
    }

    /// The demo's `GET /stats`: its runtime's `total_spawned()`.
    fn tasks_spawned(&self) -> u64 {
        let body = get_ok(self.demo_http, "/stats").unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["pid"], self.demo_pid, "{body}");
        v["tasks_spawned"]
            .as_u64()
            .unwrap_or_else(|| panic!("{body}"))
    }

    fn assert_running(&mut self) {
        self.demo.assert_running();
        self.daemon.assert_running();
        self.prometheus.assert_running();
    }
}

/// Four workers (so there is stealing), the default I/O backend, telemetry in the test's own
/// directory, and a time limit in case the test dies without stopping it.
fn demo_command(bins: &Binaries, telemetry: &Path) -> Command {
    let mut c = Command::new(&bins.demo);
    c.args(["--metrics", "127.0.0.1:0", "--listen", "127.0.0.1:0"])
        .args(["--workers", "4", "--quiet", "--duration", "600"])
        .env("ZOKIO_TELEMETRY_DIR", telemetry)
        .env_remove("ZOKIO_TELEMETRY")
        .env_remove("ZOKIO_IO");
    c
}

fn announced_pid(line: &str) -> u32 {
    let rest = line.strip_prefix("demo_service: pid ").unwrap();
    rest.split(',').next().unwrap().parse().unwrap()
}

/// Prometheus on a free loopback port (started again on another port if it exits, as it does
/// when another process took the port meanwhile).
fn start_prometheus(dir: &Path, demo: SocketAddr, daemon: SocketAddr) -> (Proc, Prom) {
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, prometheus_config(demo, daemon)).unwrap();
    let mut last = String::new();
    for attempt in 0..3 {
        let prom = Prom {
            addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
        };
        let mut p = Proc::start(
            "prometheus",
            prometheus_command(&config, &dir.join(format!("tsdb-{attempt}")), prom.addr),
            dir.join(format!("prometheus-{attempt}.log")),
        );
        let ready = poll(START, || match p.exited() {
            Some(status) => Ok(Err(format!("prometheus exited ({status})"))),
            None => get_ok(prom.addr, "/-/ready").map(Ok),
        });
        match ready.and_then(|r| r) {
            Ok(_) => return (p, prom),
            Err(e) => last = format!("{e}\n{}", p.output()),
        }
    }
    panic!("prometheus did not start: {last}");
}

fn prometheus_command(config: &Path, tsdb: &Path, addr: SocketAddr) -> Command {
    let mut cmd = Command::new("prometheus");
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg(format!("--web.listen-address={addr}"));
    cmd
}

fn prometheus_config(demo: SocketAddr, daemon: SocketAddr) -> String {
    let rules = promql::rules_file();
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {rules:?}\n\
         scrape_configs:\n\
         \x20 - job_name: demo\n    static_configs:\n      - targets: [\"{demo}\"]\n\
         \x20 - job_name: daemon\n    static_configs:\n      - targets: [\"{daemon}\"]\n"
    )
}

/// Prometheus's HTTP API.
struct Prom {
    addr: SocketAddr,
}

impl Prom {
    /// `data` of a successful API answer.
    fn api(&self, path: &str) -> Result<Value, String> {
        let body = get_ok(self.addr, path)?;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{path}: {e}: {body}"))?;
        match v["status"].as_str() {
            Some("success") => Ok(v["data"].clone()),
            _ => Err(format!("{path}: {body}")),
        }
    }

    /// The series (or matrices) of an instant query.
    fn query(&self, expr: &str) -> Result<Vec<Value>, String> {
        let data = self.api(&format!("/api/v1/query?query={}", encode(expr)))?;
        let result = data["result"].as_array().cloned().unwrap_or_default();
        Ok(result)
    }

    /// The series of `expr`, an error if there are none.
    fn series(&self, expr: &str) -> Result<Vec<Value>, String> {
        match self.query(expr)? {
            r if r.is_empty() => Err(format!("no series for {expr}")),
            r => Ok(r),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn rules_pass_promtool_check() {
    if !e2e::tool_or_skip("rules_pass_promtool_check", "promtool") {
        return;
    }
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(promql::rules_file())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "promtool check rules:\n{text}");
    assert!(text.contains("SUCCESS"), "{text}");
}

#[test]
fn prometheus_scrapes_the_demo_and_the_daemon() {
    let test = "prometheus_scrapes_the_demo_and_the_daemon";
    if !e2e::tool_or_skip(test, "prometheus") || !e2e::tool_or_skip(test, "promtool") {
        return;
    }
    let bins = binaries::get();
    let mut stack = Stack::start(&bins);
    wait_for_scrapes(&stack);
    stack.assert_running();
    for job in JOBS {
        every_family_has_its_series(&stack, job);
        spawned_total_is_bracketed_by_stats(&stack, job);
        every_dashboard_query_has_series(&stack, job);
    }
    every_rule_evaluates(&stack);
    endpoints_pass_promtool(&stack);
    stack.assert_running();
}

/// Both targets up, each scraped at least 5 times (so `rate(...[5s])` has samples).
fn wait_for_scrapes(stack: &Stack) {
    let ready = poll(START, || {
        JOBS.iter().try_for_each(|job| scraped(&stack.prom, job))
    });
    ready.unwrap_or_else(|e| panic!("the targets were not scraped: {e}"));
}

fn scraped(prom: &Prom, job: &str) -> Result<(), String> {
    let targets = prom.api("/api/v1/targets")?;
    let active = targets["activeTargets"].as_array().ok_or("no targets")?;
    let t = active.iter().find(|t| t["labels"]["job"] == job);
    let t = t.ok_or(format!("no target {job}"))?;
    if t["health"] != "up" {
        return Err(format!("{job}: {} {}", t["health"], t["lastError"]));
    }
    let expr = format!("count_over_time(zokio_exporter_scrapes_total{{job=\"{job}\"}}[1m]) >= 5");
    prom.series(&expr).map(drop)
}

/// Every catalog family has series on `job` (histograms: `_bucket`, `_sum`, `_count`), each
/// labelled exactly with the catalog's labels. None is exempt: with 4 workers the demo's task
/// bursts are stolen (`zokio_worker_stolen_from_total` only lists pairs that stole), each worker
/// thread has its task-cell pool (the pool families), every I/O kind and lint is listed even at
/// zero, and both endpoints publish the exporter's own families.
fn every_family_has_its_series(stack: &Stack, job: &str) {
    for f in FAMILIES {
        for name in series_names(f) {
            let expr = format!("{{__name__=\"{name}\",job=\"{job}\"}}");
            let series = poll(SETTLE, || stack.prom.series(&expr));
            let want = expected_labels(f, &name);
            for s in series.unwrap_or_else(|e| panic!("{job}: {e}")) {
                assert_eq!(labels_of(&s), want, "{job}: {s}");
                if f.scope == Scope::Runtime {
                    assert_eq!(s["metric"]["pid"], stack.demo_pid.to_string(), "{s}");
                }
            }
        }
    }
}

/// The names a family's series have in Prometheus.
fn series_names(f: &Family) -> Vec<String> {
    match f.kind {
        Kind::Histogram => ["_bucket", "_sum", "_count"]
            .map(|s| format!("{}{s}", f.name))
            .into(),
        _ => vec![f.name.to_owned()],
    }
}

/// The label names series `name` of family `f` must have (besides `__name__`, `job` and
/// `instance`), sorted.
fn expected_labels(f: &Family, name: &str) -> Vec<&'static str> {
    let mut want: Vec<&str> = match f.scope {
        Scope::Runtime => TARGET_LABELS.to_vec(),
        Scope::Exporter => vec![],
    };
    want.extend(f.labels);
    if name.ends_with("_bucket") {
        want.push("le");
    }
    want.sort_unstable();
    want
}

/// A series' label names besides `__name__`, `job` and `instance`, sorted.
fn labels_of(series: &Value) -> Vec<&str> {
    let m = series["metric"].as_object().unwrap();
    let mut keys: Vec<&str> = m
        .keys()
        .map(String::as_str)
        .filter(|k| !["__name__", "job", "instance"].contains(k))
        .collect();
    keys.sort_unstable();
    keys
}

/// `s1 <= zokio_task_spawned_total <= s2`: `s1` read from `/stats` before the scrape started
/// (its timestamp is later than the moment `s1` had arrived, with 25 ms to spare for
/// Prometheus's timestamp alignment), `s2` after the sample was in Prometheus. Both readings
/// and the exporter read the same published counters, which only grow.
fn spawned_total_is_bracketed_by_stats(stack: &Stack, job: &str) {
    let s1 = stack.tasks_spawned();
    let after = now_ms() + 25;
    let expr = format!(
        "zokio_task_spawned_total{{job=\"{job}\",pid=\"{}\"}}[30s]",
        stack.demo_pid
    );
    let (ts, value) = poll(SETTLE, || {
        first_sample_after(&stack.prom.query(&expr)?, after)
    })
    .unwrap_or_else(|e| panic!("{job}: no scrape after /stats: {e}"));
    let s2 = stack.tasks_spawned();
    assert!(
        s1 <= value && value <= s2,
        "{job}: zokio_task_spawned_total {value} at {ts} ms is not within /stats {s1} (before) ..= {s2} (after)"
    );
    eprintln!("{job}: /stats {s1} <= zokio_task_spawned_total {value} <= /stats {s2}");
}

/// The earliest sample of a one-series range query later than `after_ms`: (ms, value).
fn first_sample_after(result: &[Value], after_ms: u64) -> Result<(u64, u64), String> {
    let [series] = result else {
        return Err(format!("{} series", result.len()));
    };
    let values = series["values"].as_array().ok_or("no values")?;
    values
        .iter()
        .filter_map(|v| {
            let ts = (v[0].as_f64()? * 1000.0).round() as u64;
            let value = v[1].as_str()?.parse::<f64>().ok()? as u64;
            Some((ts, value))
        })
        .find(|&(ts, _)| ts > after_ms)
        .ok_or_else(|| "not yet".into())
}

/// Every panel query and every variable query of every dashboard returns series on `job`.
fn every_dashboard_query_has_series(stack: &Stack, job: &str) {
    let instance = match job {
        "demo" => stack.demo_metrics.to_string(),
        _ => stack.daemon_metrics.to_string(),
    };
    let mut values = vec![
        ("datasource", "prometheus"),
        ("job", job),
        ("instance", instance.as_str()),
        ("service", "demo-service"),
    ];
    values.extend(INTERVALS);
    let exprs: Vec<(String, String)> = promql::dashboard_exprs(true)
        .into_iter()
        .map(|(at, e)| match promql::substitute(&e, &values) {
            Ok(e) => (at, e),
            Err(err) => panic!("{at}: {err}"),
        })
        .collect();
    all_have_series(stack, &format!("dashboards on job {job}"), &exprs);
}

/// Each `(where, expr)` returns at least one series, within [`SETTLE`] (data keeps arriving, so
/// the ones without are asked again until then).
fn all_have_series(stack: &Stack, what: &str, exprs: &[(String, String)]) {
    let mut pending: Vec<&(String, String)> = exprs.iter().collect();
    let outcome = poll(SETTLE, || {
        pending.retain(|(_, e)| stack.prom.series(e).is_err());
        match pending.first() {
            None => Ok(()),
            Some((at, e)) => Err(format!(
                "{} without series, the first: {at}: {e}",
                pending.len()
            )),
        }
    });
    outcome.unwrap_or_else(|e| panic!("{what}: {e}"));
    eprintln!("{what}: all {} queries returned series", exprs.len());
}

/// Every rule of the file is loaded and evaluates without error; each recording rule has series
/// on both jobs; each alert expression parses, has a summary and a description, and its parts
/// without thresholds have series.
fn every_rule_evaluates(stack: &Stack) {
    let rules =
        poll(SETTLE, || healthy_rules(&stack.prom)).unwrap_or_else(|e| panic!("rules: {e}"));
    let mut exprs = Vec::new();
    for r in &rules {
        let name = r["name"].as_str().unwrap();
        let query = r["query"].as_str().unwrap();
        if r["type"] == "recording" {
            for job in JOBS {
                let expr = format!("{{__name__=\"{name}\",job=\"{job}\"}}");
                exprs.push((format!("record {name} on {job}"), expr));
            }
            continue;
        }
        stack
            .prom
            .query(query)
            .unwrap_or_else(|e| panic!("alert {name}: {e}"));
        for key in ["summary", "description"] {
            let text = r["annotations"][key].as_str().unwrap_or_default();
            assert!(!text.is_empty(), "alert {name}: no {key}");
        }
        for part in promql::without_thresholds(query) {
            exprs.push((format!("alert {name}"), part));
        }
    }
    all_have_series(stack, "rules", &exprs);
}

/// Every loaded rule, once all have been evaluated without error.
fn healthy_rules(prom: &Prom) -> Result<Vec<Value>, String> {
    let data = prom.api("/api/v1/rules")?;
    let groups = data["groups"].as_array().ok_or("no groups")?;
    let rules: Vec<Value> = groups
        .iter()
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .collect();
    match rules.iter().find(|r| r["health"] != "ok") {
        Some(r) => Err(format!("{}: {} {}", r["name"], r["health"], r["lastError"])),
        None if rules.is_empty() => Err("no rules loaded".into()),
        None => Ok(rules),
    }
}

/// Both endpoints' `/metrics` pass `promtool check metrics`.
fn endpoints_pass_promtool(stack: &Stack) {
    for addr in [stack.demo_metrics, stack.daemon_metrics] {
        let body = get_ok(addr, "/metrics").unwrap();
        assert!(body.contains("zokio_task_spawned_total{"), "{addr}: {body}");
        let mut child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), body.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool check metrics on http://{addr}/metrics: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
