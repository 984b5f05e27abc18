//! The Overview: runtime-wide task counts and queues, then one row per worker (busy %, polls/s,
//! steals/s and from whom, local queue, parks, and a sparkline of its polls/s).

use super::fmt;
use crate::state::histogram::quantile_ns;
use crate::state::rates::{completed, spawned, WorkerRates};
use crate::state::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;
use zokio_telemetry::WorkerSnapshot;

/// Samples in a sparkline.
const SPARK: usize = 30;

/// Draws the view into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [top, workers] = Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(area);
    frame.render_widget(runtime_block(app), top);
    frame.render_widget(worker_table(app), workers);
}

fn runtime_block(app: &App) -> Paragraph<'static> {
    let s = &app.current;
    let rt = &s.runtime;
    let have = !app.rates.workers.is_empty();
    let r = |v: f64| fmt::rate(have.then_some(v));
    let lines = vec![
        Line::from(format!(
            "tasks live {}   spawned {} ({}/s)   completed {} ({}/s)   listed {}",
            fmt::count(rt.active_tasks),
            fmt::count(spawned(s)),
            r(app.rates.spawned),
            fmt::count(completed(s)),
            r(app.rates.completed),
            fmt::count(app.tasks.rows().len() as u64),
        )),
        Line::from(format!(
            "global queue {}   blocking threads {} (idle {}, queued {})   polls {}",
            rt.global_queue_depth,
            rt.blocking_threads,
            rt.blocking_idle_threads,
            rt.blocking_queue_depth,
            fmt::count(s.total_polls()),
        )),
        schedule_line(&app.current),
    ];
    Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(" Runtime "))
}

/// Scheduling delays (wake to poll) over all workers since the runtime started: the upper
/// edges of the buckets holding the median and the 99th percentile.
fn schedule_line(s: &zokio_telemetry::Snapshot) -> Line<'static> {
    let buckets = s.schedule_histogram();
    let timed: u64 = buckets.iter().sum();
    let q = |q| quantile_ns(&buckets, q).map_or("-".into(), fmt::ns);
    Line::from(format!(
        "scheduling delay (wake to poll) p50 {}   p99 {}   ({} wakes timed, 1 in 128)",
        q(0.5),
        q(0.99),
        fmt::count(timed),
    ))
}

fn worker_table(app: &App) -> Table<'static> {
    let header = Row::new([
        "worker",
        "busy %",
        "polls/s",
        "polls",
        "steals/s",
        "stolen",
        "stolen from",
        "local q",
        "parks",
        "polls/s history",
    ])
    .style(Style::new().bold());
    let rows = app.current.workers.iter().map(|w| worker_row(app, w));
    let widths = [
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(22),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Min(SPARK as u16),
    ];
    Table::new(rows, widths)
        .header(header)
        .block(Block::new().borders(Borders::ALL).title(" Workers "))
}

fn worker_row(app: &App, w: &WorkerSnapshot) -> Row<'static> {
    let rates = app.rates.workers.get(w.index);
    let r = |f: fn(&WorkerRates) -> f64| fmt::rate(rates.map(f));
    let c = &w.counters;
    let samples: Vec<u64> = app.history.worker(w.index).collect();
    Row::new(vec![
        w.index.to_string(),
        rates.map_or("-".into(), |r| format!("{:.0}", r.busy_pct)),
        r(|r| r.polls),
        fmt::count(c.polls),
        r(|r| r.steals),
        fmt::count(c.tasks_stolen),
        stolen_from(&w.stolen_from),
        c.local_queue_depth.to_string(),
        fmt::count(c.parks),
        fmt::sparkline(&samples, SPARK),
    ])
}

/// The non-zero entries of a steal-matrix row: `w1:4 w2:9` (tasks stolen from each victim).
pub fn stolen_from(row: &[u64]) -> String {
    let parts: Vec<String> = row
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(v, &n)| format!("w{v}:{}", fmt::count(n)))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stolen_from_lists_victims() {
        assert_eq!(super::stolen_from(&[0, 4, 0, 12]), "w1:4 w3:12");
        assert_eq!(super::stolen_from(&[0, 0]), "-");
    }
}
