//! Rendering only: each view draws the model ([`App`]) into a frame and changes nothing.
//!
//! The screen is the [`header`], the body of the current view (one file each), and the
//! [`help`] bar. A view formats only the rows that fit on screen.

pub mod events;
pub mod fmt;
pub mod header;
pub mod help;
pub mod io;
pub mod lints;
pub mod overview;
pub mod pools;
pub mod tasks;

use crate::state::{App, ViewId};
use ratatui::backend::TestBackend;
use ratatui::layout::{Constraint, Layout};
use ratatui::Frame;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let [head, body, help] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::draw(frame, head, app);
    match app.view {
        ViewId::Overview => overview::draw(frame, body, app),
        ViewId::Tasks => tasks::draw(frame, body, app),
        ViewId::Pools => pools::draw(frame, body, app),
        ViewId::Io => io::draw(frame, body, app),
        ViewId::Events => events::draw(frame, body, app),
        ViewId::Lints => lints::draw(frame, body, app),
    }
    help::draw(frame, help, app);
}

/// The screen as text, `height` lines of `width` cells (trailing spaces trimmed): what the
/// console would show on a terminal of that size. For `--once` without `--json`, and for tests.
pub fn render_text(app: &App, width: u16, height: u16) -> String {
    let mut terminal = ratatui::Terminal::new(TestBackend::new(width, height))
        .expect("a test backend never fails");
    terminal
        .draw(|f| draw(f, app))
        .expect("a test backend never fails");
    buffer_text(terminal.backend().buffer())
}

/// A buffer's cells as lines of text, trailing spaces trimmed.
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let width = buffer.area.width as usize;
    let mut out = String::new();
    for row in buffer.content.chunks(width.max(1)) {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
