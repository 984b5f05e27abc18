//! `zokio-console demo`: start the demo service, attach to it, and stop it when the TUI exits
//! (on every path out, errors included: the child is stopped by a drop guard).
//!
//! The demo binary is, in order: `$ZOKIO_DEMO_BIN`; `demo_service` in `examples/` beside this
//! executable (cargo's `target/<profile>/examples/`), or in a sibling profile's `examples/`;
//! else `cargo run --release --example demo_service` in the workspace this console was built
//! from. Its output goes to a log file (so it does not scribble on the TUI); its pid is read from
//! its first line (`demo_service: pid N, ...`), which also covers the cargo case where the child
//! is cargo, not the demo.

use crate::attach::{self, Attached};
use crate::failure::Failure;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the demo may take to start (cargo may have to build it first).
pub const START_LIMIT: Duration = Duration::from_secs(30);

/// The environment variable naming the demo binary.
pub const DEMO_BIN_ENV: &str = "ZOKIO_DEMO_BIN";

/// How to start the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// Run this binary.
    Binary(PathBuf),
    /// `cargo run --release --example demo_service --` in this workspace.
    Cargo(PathBuf),
}

/// Where the demo is, given `$ZOKIO_DEMO_BIN` and this executable's path.
pub fn locate(env: Option<PathBuf>, exe: Option<&Path>) -> Launch {
    if let Some(bin) = env {
        return Launch::Binary(bin);
    }
    let candidates = exe.and_then(Path::parent).map(|dir| {
        let mut c = vec![dir.join("examples")];
        c.extend(["release", "debug"].map(|p| dir.join("..").join(p).join("examples")));
        c
    });
    let found = candidates
        .into_iter()
        .flatten()
        .map(|d| d.join("demo_service"))
        .find(|p| p.is_file());
    match found {
        Some(bin) => Launch::Binary(bin),
        None => Launch::Cargo(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")),
    }
}

/// The command that starts the demo with `args`.
pub fn command(launch: &Launch, args: &[String]) -> Command {
    let mut c = match launch {
        Launch::Binary(bin) => Command::new(bin),
        Launch::Cargo(root) => {
            let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            c.current_dir(root)
                .args(["run", "--release", "--example", "demo_service", "--"]);
            c
        }
    };
    c.args(args);
    c
}

/// The pid in the demo's announcement line (`demo_service: pid N, ...`), if `log` has it.
pub fn announced_pid(log: &str) -> Option<u32> {
    log.lines().find_map(|l| {
        let rest = l.strip_prefix("demo_service: pid ")?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    })
}

/// The running demo; stopped (SIGTERM, then waited for) when dropped.
struct Demo {
    child: Child,
    pid: Option<u32>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        for pid in self.pid.into_iter().chain([self.child.id()]) {
            terminate(pid);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGTERM to `pid`.
fn terminate(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    // SAFETY: `kill` has no memory-safety preconditions; a stale pid only makes it fail.
    unsafe { libc::kill(pid, libc::SIGTERM) };
}

/// Starts the demo, attaches the TUI to it (segments in `dir`), stops it afterwards.
pub fn run(dir: &Path, args: &[String], interval: Duration) -> Result<(), Failure> {
    let launch = locate(
        std::env::var_os(DEMO_BIN_ENV).map(PathBuf::from),
        std::env::current_exe().ok().as_deref(),
    );
    let log = std::env::temp_dir().join(format!("zokio-demo-{}.log", std::process::id()));
    let out = File::create(&log).map_err(|e| Failure::other(format!("{}: {e}", log.display())))?;
    let err = out.try_clone().map_err(Failure::other)?;
    let what = match &launch {
        Launch::Binary(bin) => bin.display().to_string(),
        Launch::Cargo(_) => "cargo run --release --example demo_service".into(),
    };
    eprintln!(
        "zokio-console: starting {what}; its output goes to {}",
        log.display()
    );
    let child = command(&launch, args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| Failure::other(format!("cannot start the demo service: {e}")))?;
    let mut demo = Demo { child, pid: None };
    eprintln!(
        "zokio-console: waiting up to {} s for it to publish its telemetry...",
        START_LIMIT.as_secs()
    );
    let pid = wait_for_segment(&mut demo, &log, dir)?;
    attach::tui(dir, pid, interval)
}

/// Waits until the demo has announced its pid and its segment can be opened.
fn wait_for_segment(demo: &mut Demo, log: &Path, dir: &Path) -> Result<u32, Failure> {
    let deadline = Instant::now() + START_LIMIT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = demo.child.try_wait() {
            return Err(Failure::other(format!(
                "the demo service exited ({status}) before it could be attached; see {}",
                log.display()
            )));
        }
        let text = std::fs::read_to_string(log).unwrap_or_default();
        demo.pid = demo.pid.or_else(|| announced_pid(&text));
        if let Some(pid) = demo.pid {
            if Attached::open_in(dir, pid).is_ok() {
                return Ok(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(Failure::other(format!(
        "the demo service did not publish its telemetry within {} s; see {}",
        START_LIMIT.as_secs(),
        log.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_comes_from_the_announcement() {
        let log =
            "   Compiling x\ndemo_service: pid 4242, listening on http://127.0.0.1:1, 2 workers\n";
        assert_eq!(announced_pid(log), Some(4242));
        assert_eq!(announced_pid("nothing yet"), None);
    }

    #[test]
    fn the_environment_wins_then_cargo_is_the_fallback() {
        let env = Some(PathBuf::from("/opt/demo"));
        assert_eq!(locate(env, None), Launch::Binary("/opt/demo".into()));
        let nowhere = Path::new("/nonexistent/bin/zokio-console");
        assert!(matches!(locate(None, Some(nowhere)), Launch::Cargo(_)));
    }
}
