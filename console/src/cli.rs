//! The command line: `list`, `attach <pid>` (TUI, or `--once` text or JSON), `demo`.

use crate::attach::{self, Attached, Source};
use crate::failure::{reading_failure, Failure, EXIT_CODES};
use crate::state::App;
use crate::{demo, json, view};
use clap::{Args, Parser, Subcommand};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zokio_telemetry::{list_in, segment_dir, SegmentInfo};

/// Watch a running Zokio process: its workers, steals, queues, tasks, pools, I/O, events and
/// lints, read from the telemetry segment it publishes (same user only; nothing runs in it).
#[derive(Debug, Parser)]
#[command(name = "zokio-console", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List this user's Zokio processes (pid, name, service, uptime, workers, I/O backend).
    List,
    /// Attach to a Zokio process by pid: the live TUI, or one snapshot with --once.
    Attach(AttachArgs),
    /// Start the demo service (examples/demo_service) and attach to it; stop it on exit.
    Demo(DemoArgs),
}

/// `attach`'s arguments.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The process id.
    pub pid: u32,
    /// Print one snapshot and exit (the Overview as text, or JSON with --json).
    #[arg(long)]
    pub once: bool,
    /// With --once: print the snapshot as JSON (stable snake_case keys).
    #[arg(long, requires = "once")]
    pub json: bool,
    /// Milliseconds between reads of the segment.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(20..=10_000))]
    pub interval_ms: u64,
}

/// `demo`'s arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Milliseconds between reads of the segment.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(20..=10_000))]
    pub interval_ms: u64,
    /// Arguments for the demo service (after `--`), e.g. `-- --workers 4`.
    #[arg(last = true)]
    pub demo_args: Vec<String>,
}

/// Parses the command line, runs it, and turns a failure into its message and exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("zokio-console: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let dir = segment_dir();
    match cli.command {
        Command::List => list(&dir),
        Command::Attach(a) if a.once => once(&dir, a.pid, a.json),
        Command::Attach(a) => attach::tui(&dir, a.pid, Duration::from_millis(a.interval_ms)),
        Command::Demo(d) => demo::run(&dir, &d.demo_args, Duration::from_millis(d.interval_ms)),
    }
}

fn list(dir: &Path) -> Result<(), Failure> {
    let listing = list_in(dir).map_err(|e| Failure::other(format!("{}: {e}", dir.display())))?;
    for (path, e) in &listing.skipped {
        eprintln!("zokio-console: skipped {}: {e}", path.display());
    }
    print!("{}", list_text(&listing.segments, dir));
    Ok(())
}

/// The `list` table, or a sentence when there is nothing to list.
pub fn list_text(segments: &[SegmentInfo], dir: &Path) -> String {
    if segments.is_empty() {
        return format!(
            "no Zokio processes of this user are running (looked in {})\n",
            dir.display()
        );
    }
    let mut out = format!(
        "{:<8} {:<16} {:<20} {:>9} {:>7}  {}\n",
        "PID", "PROCESS", "SERVICE", "UPTIME", "WORKERS", "I/O BACKEND"
    );
    for s in segments {
        let backend = if s.backend.is_empty() {
            "-"
        } else {
            &s.backend
        };
        out.push_str(&format!(
            "{:<8} {:<16} {:<20} {:>9} {:>7}  {backend}\n",
            s.pid,
            s.process_name,
            s.service_name,
            view::fmt::uptime(s.uptime.as_secs()),
            s.workers,
        ));
    }
    out
}

fn once(dir: &Path, pid: u32, as_json: bool) -> Result<(), Failure> {
    let mut source = Attached::open_in(dir, pid)?;
    if as_json {
        let snapshot = source.snapshot().map_err(|e| reading_failure(pid, e))?;
        println!("{}", json::to_string(&snapshot, unix_now_ns()));
        return Ok(());
    }
    let mut app: App = source.app().map_err(|e| reading_failure(pid, e))?;
    attach::refresh(&mut app, &mut source, Instant::now()).map_err(|e| reading_failure(pid, e))?;
    print!("{}", view::render_text(&app, 120, 30));
    Ok(())
}

fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
