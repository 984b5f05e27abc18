//! End to end: the demo service runs, `zokio-console attach <pid>` runs inside tmux, keys switch
//! through every view, the pane is read after each, and `q` exits with 0; a second test lets the
//! demo exit under the console, which must say so and exit with code 6.
//!
//! Needs tmux and the demo binary (`$ZOKIO_DEMO_BIN`, or `demo_service` in cargo's
//! `target/<profile>/examples/`, which `cargo test --workspace` builds). Without them the tests
//! print why and pass, unless `ZOKIO_REQUIRE_E2E=1` (as in CI), where they fail.

mod common;

use common::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use zokio_console::demo::{locate, Launch, DEMO_BIN_ENV};
use zokio_telemetry::Reader;

const CONSOLE: &str = env!("CARGO_BIN_EXE_zokio-console");

/// Whether the environment demands the end-to-end tests.
fn required() -> bool {
    std::env::var_os("ZOKIO_REQUIRE_E2E").is_some_and(|v| v == "1")
}

/// What is needed, or `None` after saying why not (a failure when required).
fn prerequisites(test: &str) -> Option<PathBuf> {
    let tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let env = std::env::var_os(DEMO_BIN_ENV).map(PathBuf::from);
    let demo = match locate(env, Some(Path::new(CONSOLE))) {
        Launch::Binary(p) if p.is_file() => Some(p),
        _ => None,
    };
    let missing = match (tmux, &demo) {
        (false, _) => "tmux is not installed",
        (true, None) => {
            "the demo_service example is not built (cargo build --example demo_service)"
        }
        (true, Some(_)) => return demo,
    };
    assert!(!required(), "{test}: {missing}, and ZOKIO_REQUIRE_E2E=1");
    eprintln!("skipping {test}: {missing}");
    None
}

/// The demo service; stopped (SIGTERM, then waited for) when dropped.
struct Demo(Child);

impl Demo {
    fn start(bin: &Path, dir: &Path, args: &[&str]) -> Demo {
        let child = Command::new(bin)
            .args(["--workers", "4", "--quiet"])
            .args(args)
            .env("ZOKIO_TELEMETRY_DIR", dir)
            .env_remove("ZOKIO_TELEMETRY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the demo starts");
        Demo(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs the console attached to `pid` in a 200x50 pane; when it exits the pane prints its
    /// exit status and stays.
    fn start(dir: &Path, pid: u32, tag: &str) -> Tmux {
        let socket = format!("zokio-e2e-{tag}-{}", std::process::id());
        let script = format!(
            "{CONSOLE} attach {pid} --interval-ms 100; echo \"console exit status $?\"; sleep 600"
        );
        let t = Tmux { socket };
        let out = t
            .command()
            .args([
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                "200",
                "-y",
                "50",
                &script,
            ])
            .env("ZOKIO_TELEMETRY_DIR", dir)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    fn keys(&self, keys: &str) {
        let out: Output = self
            .command()
            .args(["send-keys", "-t", "e2e", keys])
            .output()
            .unwrap();
        assert!(out.status.success());
    }

    fn capture(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "e2e"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Captures the pane until `check` accepts it; the last capture and whether it did.
    fn wait_for(&self, limit: Duration, check: impl Fn(&str) -> bool) -> (String, bool) {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.capture();
            if check(&screen) {
                return (screen, true);
            }
            if Instant::now() >= deadline {
                return (screen, false);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// Waits until the demo's segment can be opened.
fn wait_for_segment(dir: &Path, pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match Reader::open_pid_in(dir, pid) {
            Ok(_) => return,
            Err(e) if Instant::now() >= deadline => panic!("no segment for the demo ({pid}): {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The cells of the Overview's worker rows (`│N ...`).
fn worker_rows(screen: &str) -> Vec<Vec<String>> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// Whether some worker row's "stolen" total (column 6) is above zero.
fn some_steals(screen: &str) -> bool {
    worker_rows(screen).iter().any(|r| {
        r.get(5)
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(|n| n > 0.0)
    })
}

#[test]
fn every_view_of_the_demo_then_q_exits_0() {
    let Some(bin) = prerequisites("every_view_of_the_demo_then_q_exits_0") else {
        return;
    };
    let dir = TempDir::new("e2e-views");
    let demo = Demo::start(&bin, dir.path(), &["--duration", "300"]);
    wait_for_segment(dir.path(), demo.pid());
    let tmux = Tmux::start(dir.path(), demo.pid(), "views");
    let mut failures = Vec::new();
    let mut check = |what: &str, (screen, ok): (String, bool)| {
        if !ok {
            failures.push(format!("{what}; the pane showed:\n{screen}"));
        }
    };
    let header = format!("zokio-console pid {}", demo.pid());
    check(
        "the header",
        tmux.wait_for(Duration::from_secs(20), |s| s.contains(&header)),
    );
    let rows = |s: &str| worker_rows(s).len() == 4;
    check(
        "four worker rows",
        tmux.wait_for(Duration::from_secs(10), rows),
    );
    check(
        "a steal count above zero",
        tmux.wait_for(Duration::from_secs(20), some_steals),
    );
    tmux.keys("2");
    let named = |s: &str| s.contains("Tasks: ") && s.contains("ticker") && s.contains("sleeper");
    check(
        "the Tasks view lists the demo's named tasks",
        tmux.wait_for(Duration::from_secs(10), named),
    );
    let views = [
        ("3", "Pools: "),
        ("4", "I/O driver"),
        ("5", "lost since attach"),
        ("6", "Lints fired"),
    ];
    for (key, title) in views {
        tmux.keys(key);
        check(
            title,
            tmux.wait_for(Duration::from_secs(10), |s| s.contains(title)),
        );
    }
    // The spinner trips no_yield / long_poll and the hot spot long_poll (every 5 s and 2 s).
    let flagged = |s: &str| {
        s.lines()
            .any(|l| l.contains("spinner") && (l.contains("no_yield") || l.contains("long_poll")))
            && s.lines()
                .any(|l| l.contains("hot-spot") && l.contains("long_poll"))
    };
    check(
        "the spinner and the hot spot flagged in Lints",
        tmux.wait_for(Duration::from_secs(15), flagged),
    );
    tmux.keys("q");
    let exited = |s: &str| s.contains("console exit status 0");
    check(
        "q exits with status 0",
        tmux.wait_for(Duration::from_secs(10), exited),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_demo_exiting_under_the_console_is_reported_with_code_6() {
    let Some(bin) = prerequisites("the_demo_exiting_under_the_console_is_reported_with_code_6")
    else {
        return;
    };
    let dir = TempDir::new("e2e-exit");
    let demo = Demo::start(&bin, dir.path(), &["--duration", "3"]);
    let pid = demo.pid();
    wait_for_segment(dir.path(), pid);
    let tmux = Tmux::start(dir.path(), pid, "exit");
    let expected = format!("zokio-console: process {pid} exited");
    let (screen, ok) = tmux.wait_for(Duration::from_secs(40), |s| {
        s.contains("console exit status 6")
    });
    assert!(
        ok && screen.contains(&expected),
        "the pane showed:\n{screen}"
    );
}
