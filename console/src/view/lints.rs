//! The Lints view: how often each lint fired (worker lint counters), the live tasks whose records
//! carry lint bits (with name and spawn location), and the recent Lint events.

use super::events::task_label;
use super::fmt;
use crate::state::lints::names;
use crate::state::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;
use zokio_telemetry::EventData;

/// Draws the view into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let totals = app.lints.rows().len() as u16 + 3;
    let [top, tasks, events] = Layout::vertical([
        Constraint::Length(totals),
        Constraint::Min(4),
        Constraint::Length(8),
    ])
    .areas(area);
    frame.render_widget(totals_table(app), top);
    frame.render_widget(flagged_table(app, tasks.height.saturating_sub(3)), tasks);
    frame.render_widget(recent(app, events.height.saturating_sub(2)), events);
}

fn totals_table(app: &App) -> Table<'static> {
    let rows = app.lints.rows().into_iter().map(|(lint, n)| {
        Row::new(vec![
            lint.as_str().to_owned(),
            fmt::count(n),
            lint.description().to_owned(),
        ])
    });
    let widths = [
        Constraint::Length(16),
        Constraint::Length(10),
        Constraint::Min(20),
    ];
    Table::new(rows, widths)
        .header(Row::new(["lint", "fired", "meaning"]).style(Style::new().bold()))
        .block(block(" Lints fired (all workers, since start) "))
}

fn flagged_table(app: &App, height: u16) -> Table<'static> {
    let rows_all = app.tasks.rows();
    let rows = app.lints.flagged.iter().take(height as usize).map(|&i| {
        let t = &rows_all[i as usize];
        Row::new(vec![
            t.record.id.to_string(),
            t.name.clone().unwrap_or_default(),
            names(t.record.lints),
            fmt::ns(t.record.last_poll_duration_ns),
            t.location.clone().unwrap_or_default(),
        ])
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(18),
        Constraint::Length(26),
        Constraint::Length(10),
        Constraint::Min(20),
    ];
    let title = format!(" Live tasks with lints: {} ", app.lints.flagged.len());
    Table::new(rows, widths)
        .header(
            Row::new(["task", "name", "lints", "last poll", "spawned at"])
                .style(Style::new().bold()),
        )
        .block(block(&title))
}

fn recent(app: &App, height: u16) -> Paragraph<'static> {
    let lines: Vec<Line> = app
        .events
        .lint_events()
        .rev()
        .take(height as usize)
        .filter_map(|e| match e.data {
            EventData::Lint { lint, value } => Some(Line::from(format!(
                "w{} {} {}: {}",
                e.worker,
                task_label(app, e.task),
                lint.as_str(),
                fmt::ns(value)
            ))),
            _ => None,
        })
        .collect();
    Paragraph::new(lines).block(block(" Recent lint events (newest first) "))
}

fn block(title: &str) -> Block<'static> {
    Block::new().borders(Borders::ALL).title(title.to_owned())
}
