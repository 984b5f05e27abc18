//! Attaching: open a process's segment, then the loop that reads a snapshot and the new events
//! every interval, redraws after each read and each key, and stops on `q` or when the process
//! is gone.
//!
//! The loop is generic over the ratatui backend, the data [`Source`] and the [`Keys`], so tests
//! run it on a `TestBackend` with scripted keys.

use crate::failure::{open_failure, reading_failure, Failure};
use crate::input::action;
use crate::state::App;
use crate::view;
use crossterm::event::{self, Event as TermEvent, KeyEvent};
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};
use zokio_telemetry::{process_start_time, Error, EventBatch, EventCursor, Reader, Snapshot};

/// Where snapshots and events come from.
pub trait Source {
    /// Everything in the segment now; [`Error::Gone`] once the process has exited.
    fn snapshot(&mut self) -> Result<Snapshot, Error>;
    /// Worker `worker`'s events from `cursor` on.
    fn events(&mut self, worker: usize, cursor: &mut EventCursor) -> Result<EventBatch, Error>;
}

/// A live process's segment.
#[derive(Debug)]
pub struct Attached {
    reader: Reader,
    pid: u32,
    start_time: u64,
}

impl Attached {
    /// Opens the segment of `pid` in `dir`; a failure says why in the user's terms.
    pub fn open_in(dir: &Path, pid: u32) -> Result<Attached, Failure> {
        let reader = Reader::open_pid_in(dir, pid).map_err(|e| open_failure(pid, dir, e))?;
        Attached::new(reader).map_err(|e| reading_failure(pid, e))
    }

    /// Watches the process that wrote `reader`'s segment.
    pub fn new(reader: Reader) -> Result<Attached, Error> {
        let h = reader.header()?;
        Ok(Attached {
            reader,
            pid: h.pid,
            start_time: h.start_time,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A model whose event cursors start at the oldest event still in each ring (events
    /// overwritten before attach are not counted as lost).
    pub fn app(&self) -> Result<App, Error> {
        let workers = self.reader.header()?.workers;
        let cursors = (0..workers)
            .map(|w| self.reader.oldest_cursor(w))
            .collect::<Result<_, _>>()?;
        Ok(App::new(cursors))
    }

    fn alive(&self) -> bool {
        process_start_time(self.pid).is_ok_and(|t| t == self.start_time)
    }
}

impl Source for Attached {
    fn snapshot(&mut self) -> Result<Snapshot, Error> {
        // A process killed with SIGKILL leaves its file linked: ask /proc too.
        if !self.alive() {
            return Err(Error::Gone);
        }
        self.reader.snapshot()
    }

    fn events(&mut self, worker: usize, cursor: &mut EventCursor) -> Result<EventBatch, Error> {
        self.reader.events(worker, cursor)
    }
}

/// Reads a snapshot and every ring's new events into `app`.
pub fn refresh(app: &mut App, source: &mut impl Source, at: Instant) -> Result<(), Error> {
    let snapshot = source.snapshot()?;
    for w in 0..snapshot.workers.len() {
        let batch = source.events(w, app.events.cursor(w))?;
        app.ingest_events(batch);
    }
    app.ingest(snapshot, at);
    Ok(())
}

/// Where keys come from.
pub trait Keys {
    /// The next key within `timeout`, or `None` (a timeout, or an event that only needs a
    /// redraw, such as a resize).
    fn next(&mut self, timeout: Duration) -> io::Result<Option<KeyEvent>>;
}

/// The terminal's keys.
#[derive(Debug, Default)]
pub struct TerminalKeys;

impl Keys for TerminalKeys {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<KeyEvent>> {
        if !event::poll(timeout)? {
            return Ok(None);
        }
        Ok(match event::read()? {
            TermEvent::Key(k) => Some(k),
            _ => None,
        })
    }
}

/// Why the loop stopped other than by a quit key.
#[derive(Debug)]
pub enum LoopError {
    /// Drawing or reading keys failed.
    Terminal(io::Error),
    /// Reading the segment failed (the process exited: [`Error::Gone`]).
    Source(Error),
}

impl From<io::Error> for LoopError {
    fn from(e: io::Error) -> LoopError {
        LoopError::Terminal(e)
    }
}

/// The loop: refresh every `interval`, redraw after each refresh and each key, until a quit key
/// (`Ok`) or a failure.
pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    source: &mut impl Source,
    keys: &mut impl Keys,
    interval: Duration,
) -> Result<(), LoopError> {
    let mut next_read = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_read {
            refresh(app, source, now).map_err(LoopError::Source)?;
            next_read = next_read_after(now, now.elapsed(), interval);
        }
        terminal.draw(|f| view::draw(f, app))?;
        let wait = next_read.saturating_duration_since(Instant::now());
        if let Some(key) = keys.next(wait)? {
            if !app.apply(action(app.mode, key)) {
                return Ok(());
            }
        }
    }
}

/// When to read the segment again after a read that began at `began` and took `took`:
/// `interval` after it began, or, when reading takes long (with a million tasks listed, the
/// table alone takes a few hundred milliseconds), twice its duration after it ended, so keys and
/// redraws keep at least two thirds of the time (back to back, a key waited for the next read).
pub fn next_read_after(began: Instant, took: Duration, interval: Duration) -> Instant {
    (began + interval).max(began + took * 3)
}

/// Attaches the TUI to `pid` (segments in `dir`) until the user quits or the process exits. The
/// terminal is restored before this returns, whatever happened.
pub fn tui(dir: &Path, pid: u32, interval: Duration) -> Result<(), Failure> {
    let mut source = Attached::open_in(dir, pid)?;
    let mut app = source.app().map_err(|e| reading_failure(pid, e))?;
    let (guard, mut terminal) = crate::term::enter().map_err(Failure::other)?;
    let result = run(
        &mut terminal,
        &mut app,
        &mut source,
        &mut TerminalKeys,
        interval,
    );
    drop(guard);
    match result {
        Ok(()) => Ok(()),
        Err(LoopError::Terminal(e)) => Err(Failure::other(format!("terminal: {e}"))),
        Err(LoopError::Source(e)) => Err(reading_failure(pid, e)),
    }
}
