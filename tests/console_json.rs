//! `zokio-console attach <pid> --once --json`, run on this very process, reports the worker
//! counters `Handle::metrics()` reports at the same quiescent moment (every worker parked:
//! counters only grow, so a console read between two equal `metrics()` equals both).
//!
//! The console binary is the workspace's (`target/<profile>/zokio-console`, built by
//! `cargo test --workspace`); without it the test says so and passes, unless
//! `ZOKIO_REQUIRE_E2E=1`.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use zokio::runtime::{Builder, Runtime};

/// The console next to this test's `deps/` directory.
fn console() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("zokio-console");
    bin.is_file().then_some(bin)
}

fn runtime(dir: &std::path::Path) -> Runtime {
    // Set before the only runtime of this test binary reads it.
    std::env::set_var("ZOKIO_TELEMETRY_DIR", dir);
    let mut b = Builder::new_multi_thread();
    b.worker_threads(3).service_name("console-json");
    b.enable_all().build().unwrap()
}

/// 200 tasks that yield 10 times each, spawned from inside a task so workers steal.
fn work(rt: &Runtime) {
    rt.block_on(async {
        let parent = zokio::spawn(async {
            let handles: Vec<_> = (0..200)
                .map(|_| {
                    zokio::spawn(async {
                        for _ in 0..10 {
                            zokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        parent.await.unwrap();
    });
}

fn console_json(bin: &PathBuf, dir: &std::path::Path) -> Value {
    let out = Command::new(bin)
        .args([
            "attach",
            &std::process::id().to_string(),
            "--once",
            "--json",
        ])
        .env("ZOKIO_TELEMETRY_DIR", dir)
        .output()
        .expect("the console runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn console_json_agrees_with_handle_metrics() {
    if !zokio::runtime::metrics::ENABLED {
        return;
    }
    let Some(bin) = console() else {
        let why = "the zokio-console binary is not built (cargo build -p zokio-console)";
        assert!(
            std::env::var_os("ZOKIO_REQUIRE_E2E").is_none_or(|v| v != "1"),
            "{why}"
        );
        eprintln!("skipping: {why}");
        return;
    };
    let dir = std::env::temp_dir().join(format!("zokio-console-json-{}", std::process::id()));
    let rt = runtime(&dir);
    work(&rt);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (m, v) = loop {
        let m1 = rt.metrics();
        let v = console_json(&bin, &dir);
        let m2 = rt.metrics();
        if m1.workers == m2.workers || Instant::now() > deadline {
            break (m2, v);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(v["pid"], std::process::id());
    assert_eq!(v["service"], "console-json");
    assert_eq!(v["backend"], rt.handle().io_backend().backend.as_str());
    let workers = v["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), m.num_workers);
    for (w, mw) in workers.iter().zip(&m.workers) {
        let got = |k: &str| w[k].as_u64().unwrap_or_else(|| panic!("{k} in {w}"));
        assert_eq!(got("index"), mw.index as u64);
        assert_eq!(
            [
                got("polls"),
                got("parks"),
                got("steals"),
                got("steal_operations")
            ],
            [mw.polls, mw.parks, mw.tasks_stolen, mw.steal_operations],
            "worker {}",
            mw.index
        );
        assert_eq!(got("busy_ns"), mw.busy_ns);
        assert_eq!(got("local_queue_depth"), mw.local_queue_depth);
        let stolen: Vec<u64> = serde_json::from_value(w["stolen_from"].clone()).unwrap();
        assert_eq!(stolen, mw.stolen_from);
    }
    // 200 tasks x 11 polls and the parent's polls.
    let polls: u64 = workers.iter().map(|w| w["polls"].as_u64().unwrap()).sum();
    assert_eq!(polls, m.total_polls());
    assert_eq!(v["runtime"]["spawned_remote"], m.spawned_remote);
    assert_eq!(v["runtime"]["active_tasks"], m.active_tasks as u64);
    drop(rt);
    let _ = std::fs::remove_dir(&dir);
}
