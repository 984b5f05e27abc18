//! The command line as text: help, every failure's message and exit code, `list`, and
//! `attach --once` (text and JSON) on fabricated segments.

mod common;

use common::{filled, TempDir};
use serde_json::Value;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use zokio_telemetry::{ABI_MAJOR, ABI_MINOR};

fn console(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zokio-console"))
        .args(args)
        .env("ZOKIO_TELEMETRY_DIR", dir)
        .stdin(Stdio::null())
        .output()
        .expect("the console runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Stderr, and the exit code.
fn failure(out: &Output) -> (String, i32) {
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    (text(&out.stderr), out.status.code().expect("exited"))
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let dir = TempDir::new("cli-help");
    let out = console(dir.path(), &["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in [
        "list",
        "attach",
        "demo",
        "Exit codes:",
        "3  no such process",
        "6  the process exited",
    ] {
        assert!(help.contains(needle), "{needle:?} in\n{help}");
    }
    let attach = text(&console(dir.path(), &["attach", "--help"]).stdout);
    assert!(
        attach.contains("--once") && attach.contains("--json"),
        "{attach}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("cli-usage");
    assert_eq!(
        console(dir.path(), &["attach", "abc"]).status.code(),
        Some(2)
    );
    assert_eq!(
        console(dir.path(), &["attach", "1", "--json"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(console(dir.path(), &[]).status.code(), Some(2));
}

#[test]
fn no_such_pid_says_so_and_exits_3() {
    let dir = TempDir::new("cli-nopid");
    let (err, code) = failure(&console(dir.path(), &["attach", "999999999"]));
    assert_eq!(err, "zokio-console: no process with pid 999999999\n");
    assert_eq!(code, 3);
}

/// A process of another user is refused before anything is read (exit 4). Needs to switch
/// users: runs only as root with `setpriv`, attaching as uid 65534 to a process of root's
/// (skipped with a reason otherwise, and failing instead under `ZOKIO_REQUIRE_E2E=1`).
#[test]
fn another_users_process_is_refused_with_exit_4() {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = Path::new("/usr/bin/setpriv").exists();
    if !(root && setpriv) {
        let why = "needs root and /usr/bin/setpriv to run the console as another user";
        assert!(std::env::var_os("ZOKIO_REQUIRE_E2E").is_none(), "{why}");
        eprintln!("skipping another_users_process_is_refused_with_exit_4: {why}");
        return;
    }
    // A copy of the console that uid 65534 may execute (the build directory may not be open
    // to it).
    let dir = TempDir::new("cli-otheruser");
    let bin = std::env::temp_dir().join(format!("zokio-console-{}", std::process::id()));
    std::fs::copy(env!("CARGO_BIN_EXE_zokio-console"), &bin).expect("copy the console");
    let mut sleep = Command::new("sleep").arg("30").spawn().expect("sleep runs");
    let pid = sleep.id().to_string();
    let out = Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["attach", &pid, "--once", "--json"])
        .env("ZOKIO_TELEMETRY_DIR", dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("setpriv runs");
    let _ = sleep.kill();
    let _ = sleep.wait();
    let _ = std::fs::remove_file(&bin);
    let (err, code) = failure(&out);
    let expected =
        format!("zokio-console: process {pid} (sleep) belongs to uid 0: only that user (or root) can attach to it\n");
    assert_eq!(err, expected);
    assert_eq!(code, 4);
}

#[test]
fn a_process_without_a_segment_is_not_a_zokio_process() {
    let dir = TempDir::new("cli-notzokio");
    let mut sleep = Command::new("sleep").arg("30").spawn().expect("sleep runs");
    let pid = sleep.id().to_string();
    let out = console(dir.path(), &["attach", &pid]);
    let _ = sleep.kill();
    let _ = sleep.wait();
    let (err, code) = failure(&out);
    let expected = format!("zokio-console: process {pid} (sleep) is not a Zokio process");
    assert!(err.starts_with(&expected), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(code, 3);
}

#[test]
fn another_abi_major_names_both_versions_and_exits_5() {
    let good = TempDir::new("cli-abi-good");
    let seg = filled(good.path());
    let mut bytes = std::fs::read(seg.path()).unwrap();
    // The header's second word is the version: major << 32 | minor, native endianness.
    bytes[8..16].copy_from_slice(&(2u64 << 32 | 7).to_ne_bytes());
    let bad = TempDir::new("cli-abi-bad");
    let name = seg.path().file_name().unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(bad.path().join(name))
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
        .unwrap();
    let pid = std::process::id().to_string();
    let (err, code) = failure(&console(bad.path(), &["attach", &pid, "--once", "--json"]));
    assert!(err.contains("ABI 2.7") && err.contains("ABI 1.x"), "{err}");
    assert!(
        err.starts_with(&format!("zokio-console: process {pid}: ")),
        "{err}"
    );
    assert_eq!(code, 5);
}

#[test]
fn once_json_has_the_documented_keys_and_exact_values() {
    let dir = TempDir::new("cli-json");
    let _seg = filled(dir.path());
    let pid = std::process::id();
    let out = console(
        dir.path(),
        &["attach", &pid.to_string(), "--once", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["pid"], pid);
    assert_eq!(v["service"], "orders");
    assert_eq!(v["runtime_id"], 1);
    assert_eq!(
        (v["abi"]["major"].clone(), v["abi"]["minor"].clone()),
        (ABI_MAJOR.into(), ABI_MINOR.into())
    );
    assert_eq!(v["backend"], "io_uring");
    assert_eq!(v["backend_reason"], "kernel supports it");
    let w1 = &v["workers"][1];
    assert_eq!(w1["index"], 1);
    assert_eq!(w1["polls"], 2000);
    assert_eq!(w1["steals"], 11);
    assert_eq!(w1["steal_operations"], 6);
    assert_eq!(w1["local_queue_depth"], 3);
    assert_eq!(w1["parks"], 41);
    assert_eq!(w1["busy_ns"], 1_000_000);
    assert_eq!(w1["stolen_from"], serde_json::json!([7, 0, 3]));
    assert_eq!(w1["lints"]["no_yield"], 2);
    assert_eq!(v["workers"].as_array().unwrap().len(), 3);
    let rt = &v["runtime"];
    assert_eq!(
        (rt["spawned"].clone(), rt["spawned_remote"].clone()),
        (71.into(), 11.into())
    );
    assert_eq!(
        (rt["active_tasks"].clone(), rt["global_queue_depth"].clone()),
        (3.into(), 4.into())
    );
    assert_eq!(
        (rt["completed"].clone(), rt["polls"].clone()),
        (15.into(), 6000.into())
    );
    let read = &v["io"]["ops"][2];
    assert_eq!(read["op"], "read");
    assert_eq!(
        (read["submitted"].clone(), read["errors"].clone()),
        (40.into(), 2.into())
    );
    assert_eq!(
        (read["in_flight"].clone(), read["latency_p99_ns"].clone()),
        (2.into(), 8192.into())
    );
    assert_eq!(v["io"]["sq_full_waits"], 2);
    assert_eq!(v["io"]["cq_overflows"], 1);
    let pool = &v["pools"][0];
    assert_eq!(pool["name"], "task-cells/0");
    assert_eq!(
        (pool["capacity"].clone(), pool["in_use"].clone()),
        (256.into(), 17.into())
    );
    assert_eq!(
        (
            pool["hits"].clone(),
            pool["misses"].clone(),
            pool["growth"].clone()
        ),
        (900.into(), 100.into(), 3.into())
    );
    let tasks = &v["tasks"];
    assert_eq!(
        (tasks["count"].clone(), tasks["capacity"].clone()),
        (3.into(), 16.into())
    );
    assert_eq!(
        (tasks["overflows"].clone(), tasks["with_lints"].clone()),
        (0.into(), 1.into())
    );
    assert_eq!(
        v["lints"],
        serde_json::json!({"long_poll": 3, "no_yield": 2, "lost_waker": 0, "self_wake_storm": 0})
    );
    assert_eq!(v["events"]["pushed"], 3);
}

#[test]
fn once_without_json_prints_the_overview_as_text() {
    let dir = TempDir::new("cli-once");
    let _seg = filled(dir.path());
    let out = console(
        dir.path(),
        &["attach", &std::process::id().to_string(), "--once"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let screen = text(&out.stdout);
    assert!(
        screen.contains("service orders")
            && screen.contains(&format!("ABI {ABI_MAJOR}.{ABI_MINOR}")),
        "{screen}"
    );
    assert!(screen.contains("global queue 4"), "{screen}");
}

#[test]
fn list_shows_live_segments_or_says_there_are_none() {
    let dir = TempDir::new("cli-list");
    let out = console(dir.path(), &["list"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("no Zokio processes of this user are running"));
    let _seg = filled(dir.path());
    let out = console(dir.path(), &["list"]);
    let listing = text(&out.stdout);
    let row = listing.lines().nth(1).unwrap_or_default();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert!(listing.starts_with("PID"), "{listing}");
    assert_eq!(cells[0], std::process::id().to_string(), "{listing}");
    assert_eq!(cells[2], "orders", "{listing}");
    assert_eq!(cells[4..], ["3", "io_uring"], "{listing}");
}
