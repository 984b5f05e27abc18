//! The Tasks view: the task table (only the rows on screen are formatted) and a detail pane for
//! the selected task, with its worker's poll-time histogram (the ABI has no per-task histogram).

use super::fmt;
use crate::state::histogram::{lower_edge, upper_edge};
use crate::state::lints;
use crate::state::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;
use zokio_telemetry::{Lint, TaskSnapshot, TaskState};

/// Lines of the detail pane.
const DETAIL: u16 = 14;

/// Draws the view into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [table, detail] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(DETAIL)]).areas(area);
    draw_table(frame, table, app);
    let [fields, histogram] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(detail);
    if let Some(t) = app.tasks.selected_task() {
        frame.render_widget(detail_fields(t, app.current.runtime.clock_ns), fields);
        frame.render_widget(worker_histogram(app, t), histogram);
    } else {
        frame.render_widget(
            Paragraph::new("no task selected").block(pane(" Task ")),
            fields,
        );
    }
}

/// The first row shown so that `selected` is visible in `height` rows.
pub fn first_visible(selected: usize, height: usize) -> usize {
    selected.saturating_sub(height.saturating_sub(1))
}

fn draw_table(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.tasks;
    let height = area.height.saturating_sub(3) as usize; // borders and header
    let first = first_visible(t.selected(), height);
    let rows = (first..(first + height).min(t.shown_len()))
        .filter_map(|i| t.shown(i).map(|task| (i, task)))
        .map(|(i, task)| {
            let row = task_row(task, app.current.runtime.clock_ns);
            if i == t.selected() {
                row.style(Style::new().fg(Color::Black).bg(Color::Cyan))
            } else {
                row
            }
        });
    let table = Table::new(rows, widths())
        .header(header(app))
        .block(pane(&title(app)));
    frame.render_widget(table, area);
}

fn title(app: &App) -> String {
    let t = &app.tasks;
    let (key, desc) = t.sort();
    let filter = if t.filter().is_empty() {
        String::new()
    } else {
        format!(", filter \"{}\"", t.filter())
    };
    format!(
        " Tasks: {} live, {} shown{filter}; sorted by {} {} ",
        t.rows().len(),
        t.shown_len(),
        key.label(),
        if desc { "↓" } else { "↑" }
    )
}

const COLUMNS: [&str; 12] = [
    "id",
    "name",
    "state",
    "worker",
    "polls",
    "busy",
    "in state",
    "sched",
    "idle",
    "last poll",
    "lints",
    "location",
];

fn header(app: &App) -> Row<'static> {
    let sorted = app.tasks.sort().0.label();
    let cells = COLUMNS.iter().map(|&c| {
        if c == sorted {
            Line::from(c).style(Style::new().bold().underlined())
        } else {
            Line::from(c).style(Style::new().bold())
        }
    });
    Row::new(cells)
}

fn widths() -> [Constraint; 12] {
    [
        Constraint::Length(8),
        Constraint::Length(18),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(20),
        Constraint::Min(20),
    ]
}

/// How long a task has been in its state, by the runtime's clock `now` ("-" before its first
/// change of state).
fn in_state(r: &zokio_telemetry::TaskRecord, now: u64) -> String {
    if r.state_since_ns == 0 || now == 0 {
        "-".into()
    } else {
        fmt::ns(now.saturating_sub(r.state_since_ns))
    }
}

fn task_row(t: &TaskSnapshot, now: u64) -> Row<'static> {
    let r = &t.record;
    Row::new(vec![
        r.id.to_string(),
        t.name.clone().unwrap_or_default(),
        state(r.state),
        t.worker.map_or("-".into(), |w| w.to_string()),
        fmt::count(r.polls),
        fmt::ns(r.busy_ns),
        in_state(r, now),
        fmt::ns(r.scheduled_ns),
        fmt::ns(r.idle_ns),
        fmt::ns(r.last_poll_duration_ns),
        lints::names(r.lints),
        t.location.clone().unwrap_or_default(),
    ])
}

/// A task state's label.
pub fn state(s: TaskState) -> String {
    match s {
        TaskState::Idle => "idle".into(),
        TaskState::Scheduled => "scheduled".into(),
        TaskState::Running => "running".into(),
        TaskState::Unknown(c) => format!("state {c}"),
    }
}

fn pane(title: &str) -> Block<'static> {
    Block::new().borders(Borders::ALL).title(title.to_owned())
}

fn detail_fields(t: &TaskSnapshot, now: u64) -> Paragraph<'static> {
    let r = &t.record;
    let mut lines = vec![
        format!(
            "task {}  {}",
            r.id,
            t.name.as_deref().unwrap_or("(no name)")
        ),
        format!(
            "spawned at {}",
            t.location.as_deref().unwrap_or("(unknown)")
        ),
        format!(
            "parent {}  slot {}  state {}",
            parent(r.parent),
            t.slot,
            state(r.state)
        ),
        format!(
            "polls {}  busy {}  last poll {}",
            r.polls,
            fmt::ns(r.busy_ns),
            fmt::ns(r.last_poll_duration_ns)
        ),
        format!(
            "in this state {}  scheduled {}  idle {}",
            in_state(r, now),
            fmt::ns(r.scheduled_ns),
            fmt::ns(r.idle_ns)
        ),
        format!("wakes {}  self-wakes {}", r.wakes, r.self_wakes),
    ];
    lines.extend(
        Lint::in_mask(r.lints).map(|l| format!("lint {}: {}", l.as_str(), l.description())),
    );
    let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
    Paragraph::new(lines).block(pane(" Task "))
}

fn parent(id: u64) -> String {
    if id == 0 {
        "none (spawned from outside)".into()
    } else {
        id.to_string()
    }
}

fn worker_histogram(app: &App, t: &TaskSnapshot) -> Paragraph<'static> {
    let Some(w) = t.worker.and_then(|w| app.current.workers.get(w)) else {
        return Paragraph::new("no worker has polled it yet").block(pane(" Poll times "));
    };
    let h = &w.counters.poll_histogram;
    let max = h.iter().copied().max().unwrap_or(0);
    let mut lines = vec![Line::from(format!(
        "worker {}'s poll times (all its tasks: the ABI has no per-task histogram)",
        w.index
    ))
    .style(Style::new().fg(Color::DarkGray))];
    for (i, &n) in h.iter().enumerate().filter(|&(_, &n)| n > 0) {
        lines.push(Line::from(format!(
            "{:>8}-{:<8} {:>8} {}",
            fmt::ns(lower_edge(i)),
            fmt::ns(upper_edge(i)),
            fmt::count(n),
            fmt::bar(n, max, 20)
        )));
    }
    Paragraph::new(lines).block(pane(" Poll times "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_selection_stays_on_screen() {
        assert_eq!(super::first_visible(0, 10), 0);
        assert_eq!(super::first_visible(9, 10), 0);
        assert_eq!(super::first_visible(10, 10), 1);
        assert_eq!(super::first_visible(5, 0), 5);
    }
}
