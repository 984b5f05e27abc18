//! The attach loop on a `TestBackend` with scripted keys: it switches views and quits on `q`,
//! and it stops with "exited" when the segment disappears under it.

mod common;

use common::{attached, filled, TempDir};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::VecDeque;
use std::io;
use std::time::Duration;
use zokio_console::attach::{run, Keys, LoopError};
use zokio_console::failure::{code, reading_failure};
use zokio_console::view::buffer_text;
use zokio_telemetry::Error;

/// Keys from a script; when it runs out, a hook runs once (to change the world), then no keys.
struct Script {
    keys: VecDeque<KeyEvent>,
    at_end: Option<Box<dyn FnOnce()>>,
}

impl Script {
    fn new(keys: &str) -> Script {
        let keys = keys
            .chars()
            .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
            .collect();
        Script { keys, at_end: None }
    }
}

impl Keys for Script {
    fn next(&mut self, _timeout: Duration) -> io::Result<Option<KeyEvent>> {
        if let Some(k) = self.keys.pop_front() {
            return Ok(Some(k));
        }
        if let Some(hook) = self.at_end.take() {
            hook();
        }
        Ok(None)
    }
}

#[test]
fn keys_switch_views_and_q_quits() {
    let dir = TempDir::new("loop-keys");
    let _seg = filled(dir.path());
    let mut source = attached(dir.path());
    let mut app = source.app().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(140, 40)).unwrap();
    let mut keys = Script::new("23456q");
    // A long interval: only the first read happens, every redraw is caused by a key.
    let result = run(
        &mut terminal,
        &mut app,
        &mut source,
        &mut keys,
        Duration::from_secs(600),
    );
    assert!(result.is_ok(), "{result:?}");
    let last = buffer_text(terminal.backend().buffer());
    assert!(
        last.contains("Lints fired (all workers, since start)"),
        "{last}"
    );
    assert_eq!(
        app.snapshots, 1,
        "keys redraw without waiting for the next read"
    );
}

#[test]
fn a_process_that_goes_away_stops_the_loop_as_exited() {
    let dir = TempDir::new("loop-exit");
    let seg = filled(dir.path());
    let mut source = attached(dir.path());
    let mut app = source.app().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut keys = Script::new("2");
    // The writer's exit unlinks its segment.
    keys.at_end = Some(Box::new(move || drop(seg)));
    let result = run(
        &mut terminal,
        &mut app,
        &mut source,
        &mut keys,
        Duration::from_millis(20),
    );
    let Err(LoopError::Source(e)) = result else {
        panic!("expected the source to fail, got {result:?}")
    };
    assert!(matches!(e, Error::Gone), "{e:?}");
    let f = reading_failure(42, e);
    assert_eq!(
        (f.code, f.message.as_str()),
        (code::EXITED, "process 42 exited")
    );
}

/// The read schedule: a quick read waits out the interval; a slow one (a table of a million
/// tasks) leaves twice its own time to keys and redraws before the next.
#[test]
fn a_slow_read_leaves_twice_its_time_before_the_next() {
    use std::time::Instant;
    use zokio_console::attach::next_read_after;
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    assert_eq!(next_read_after(t0, ms(10), ms(250)), t0 + ms(250));
    assert_eq!(next_read_after(t0, ms(83), ms(250)), t0 + ms(250));
    assert_eq!(next_read_after(t0, ms(600), ms(250)), t0 + ms(1_800));
    assert_eq!(next_read_after(t0, ms(100), ms(100)), t0 + ms(300));
}
