//! The Events view: the newest events that pass the filter, one line each (time since the first
//! event read, worker, task, kind, what happened), with the lost-event count in the title.

use super::fmt;
use crate::state::events::kind_label;
use crate::state::App;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use zokio_telemetry::{Event, EventData, Outcome, WakeSource};

/// Draws the view into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let height = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = app
        .events
        .visible(height)
        .into_iter()
        .map(|e| Line::from(line(app, e)))
        .collect();
    let block = Block::new().borders(Borders::ALL).title(title(app));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn title(app: &App) -> String {
    let e = &app.events;
    let mut t = format!(
        " Events: {} in log, {} read, {} lost since attach",
        e.len(),
        e.read,
        e.lost
    );
    if e.paused() {
        t.push_str(&format!(", PAUSED ({} new held)", e.held()));
    }
    if !e.filter_text().is_empty() {
        t.push_str(&format!(", filter \"{}\"", e.filter_text()));
    }
    t.push(' ');
    t
}

/// One event as a line of the log.
pub fn line(app: &App, e: &Event) -> String {
    let at = e
        .timestamp_ns
        .saturating_sub(app.first_event_ns.unwrap_or(0));
    let task = if e.task == 0 {
        "-".to_owned()
    } else {
        task_label(app, e.task)
    };
    format!(
        "{:>12} w{:<3} {:<22} {:<11} {}",
        format!("+{}", fmt::ns(at)),
        e.worker,
        task,
        kind_label(e.data.kind()),
        describe(app, &e.data)
    )
}

/// `task 7 (name)`: the name when the task is live in the last snapshot.
pub fn task_label(app: &App, id: u64) -> String {
    match app.tasks.by_id(id).and_then(|t| t.name.as_deref()) {
        Some(name) => format!("task {id} ({name})"),
        None => format!("task {id}"),
    }
}

/// What an event's payload says.
pub fn describe(app: &App, data: &EventData) -> String {
    match *data {
        EventData::Spawn { parent, location } => {
            let at = app.locations.get(&location).cloned();
            let at = at.unwrap_or_else(|| format!("string #{location}"));
            format!(
                "by {} at {at}",
                if parent == 0 {
                    "outside".into()
                } else {
                    format!("task {parent}")
                }
            )
        }
        EventData::PollEnd { duration_ns } => format!("took {}", fmt::ns(duration_ns)),
        EventData::Wake { by } => match by {
            WakeSource::Task(id) => format!("by task {id}"),
            WakeSource::Driver => "by the driver".into(),
            WakeSource::Unknown(c) => format!("by source {c}"),
        },
        EventData::Complete { outcome } => outcome_label(outcome),
        EventData::Steal { from, count } => format!("took {count} from w{from}"),
        EventData::IoSubmit { op } => op.as_str().into(),
        EventData::IoComplete {
            op,
            latency_ns,
            result,
        } => {
            format!("{} in {} -> {result}", op.as_str(), fmt::ns(latency_ns))
        }
        EventData::TimerFire { late_ns } => format!("{} late", fmt::ns(late_ns)),
        EventData::PoolGrowth { pool, capacity } => format!("pool {pool} grew to {capacity}"),
        EventData::Lint { lint, value } => format!("{}: {}", lint.as_str(), fmt::ns(value)),
        EventData::Unknown { kind, aux, a, b } => format!("code {kind} ({aux}, {a}, {b})"),
        EventData::PollStart | EventData::Yield | EventData::Park | EventData::Unpark => {
            String::new()
        }
    }
}

fn outcome_label(o: Outcome) -> String {
    match o {
        Outcome::Ok => "ok".into(),
        Outcome::Panicked => "panicked".into(),
        Outcome::Cancelled => "cancelled".into(),
        Outcome::Unknown(c) => format!("outcome {c}"),
    }
}
