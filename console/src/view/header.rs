//! The header: who we are attached to, and what was lost. Lost data is counted and shown, never
//! silent: events the console could not read in time, tasks the table had no slot for, task
//! slots that could not be read.

use super::fmt;
use crate::state::{App, ViewId};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};
use ratatui::Frame;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lines the header takes.
pub const HEIGHT: u16 = 3;

/// Draws the header into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let lines = vec![identity_line(app), loss_line(app)];
    let text = Rect { height: 2, ..area };
    frame.render_widget(Paragraph::new(lines), text);
    let tabs = Rect {
        y: area.y + 2,
        height: 1,
        ..area
    };
    frame.render_widget(tab_bar(app.view), tabs);
}

fn identity_line(app: &App) -> Line<'static> {
    let h = app.header();
    let label = |s: &str| Span::styled(s.to_owned(), Style::new().fg(Color::DarkGray));
    let value = |s: String| Span::styled(s, Style::new().bold());
    let backend = if h.backend.is_empty() {
        "-".to_owned()
    } else {
        h.backend.clone()
    };
    Line::from(vec![
        Span::styled("zokio-console ", Style::new().fg(Color::Cyan).bold()),
        label("pid "),
        value(h.pid.to_string()),
        label("  service "),
        value(h.service_name.clone()),
        label("  runtime "),
        value(h.runtime_id.to_string()),
        label("  uptime "),
        value(fmt::uptime(uptime_secs(h.created_unix_ns))),
        label("  backend "),
        value(backend),
        label("  ABI "),
        value(format!("{}.{}", h.abi_major, h.abi_minor)),
        label("  workers "),
        value(h.workers.to_string()),
    ])
}

fn loss_line(app: &App) -> Line<'static> {
    let e = &app.events;
    let rt = &app.current.runtime;
    let warn = |n: u64| {
        let style = if n > 0 {
            Style::new().fg(Color::Yellow).bold()
        } else {
            Style::new()
        };
        Span::styled(fmt::count(n), style)
    };
    let mut spans = vec![
        Span::raw("events lost "),
        warn(e.lost),
        Span::raw(format!(" (since attach; read {})", fmt::count(e.read))),
        Span::raw("  task table overflows "),
        warn(rt.task_table_overflows),
        Span::raw("  unreadable task slots "),
        warn(app.current.tasks_unreadable),
    ];
    if e.invalid > 0 {
        spans.push(Span::raw("  invalid events "));
        spans.push(warn(e.invalid));
    }
    if e.paused() {
        spans.push(Span::styled(
            "  [events paused]",
            Style::new().fg(Color::Magenta).bold(),
        ));
    }
    Line::from(spans)
}

fn tab_bar(current: ViewId) -> Tabs<'static> {
    let titles = ViewId::ALL
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{} {}", i + 1, v.title()));
    Tabs::new(titles)
        .select(current.index())
        .highlight_style(Style::new().fg(Color::Black).bg(Color::Cyan).bold())
}

/// Seconds from `created_unix_ns` to now (0 if the clock says earlier).
fn uptime_secs(created_unix_ns: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    now.saturating_sub(created_unix_ns) / 1_000_000_000
}
