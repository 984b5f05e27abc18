//! The help bar: the keys that work now.

use crate::state::{App, Mode, ViewId};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Draws the bar into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let line = match app.mode {
        Mode::Filter => filter_line(app),
        Mode::Normal => keys_line(&keys(app.view)),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The `(key, what)` pairs of `view`.
pub fn keys(view: ViewId) -> Vec<(&'static str, &'static str)> {
    let mut k = vec![("1-6/Tab", "views"), ("q", "quit")];
    match view {
        ViewId::Tasks => k.extend([
            ("↑↓/jk", "select"),
            ("s", "sort"),
            ("r", "reverse"),
            ("/", "filter name/location"),
        ]),
        ViewId::Events => k.extend([
            ("p", "pause"),
            ("↑↓", "scroll"),
            ("/", "filter kind t:ID w:N"),
        ]),
        _ => k.push(("p", "pause events")),
    }
    k
}

fn keys_line(keys: &[(&'static str, &'static str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(
            format!(" {key} "),
            Style::new().fg(Color::Black).bg(Color::Gray),
        ));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}

fn filter_line(app: &App) -> Line<'static> {
    Line::from(vec![
        Span::styled(" filter: ", Style::new().bold()),
        Span::raw(format!("{}_", app.filter_text())),
        Span::styled("   Enter keep  Esc clear", Style::new().fg(Color::DarkGray)),
    ])
}
