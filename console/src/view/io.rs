//! The I/O view: the backend and why it was chosen, driver-wide trouble counters, and per
//! operation kind the rates, what is in flight, totals and latency quantiles (from the log2
//! histogram: the upper edge of the bucket holding the quantile).

use super::fmt;
use crate::state::histogram::quantile_ns;
use crate::state::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;
use zokio_telemetry::IoOpSnapshot;

/// Draws the view into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [top, ops] = Layout::vertical([Constraint::Length(4), Constraint::Min(4)]).areas(area);
    frame.render_widget(driver_block(app), top);
    frame.render_widget(op_table(app), ops);
}

fn driver_block(app: &App) -> Paragraph<'static> {
    let h = app.header();
    let d = &app.current.io_driver;
    let backend = if h.backend.is_empty() {
        "(not set yet)"
    } else {
        &h.backend
    };
    let lines = vec![
        Line::from(format!("backend {backend}: {}", h.backend_reason)),
        Line::from(format!(
            "SQ-full waits {}   CQ overflows {}   stray completions {}",
            d.sq_full_waits, d.cq_overflows, d.stray_completions
        )),
    ];
    Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(" I/O driver "))
}

fn op_table(app: &App) -> Table<'static> {
    let header = Row::new([
        "op",
        "submit/s",
        "done/s",
        "errors/s",
        "in flight",
        "submitted",
        "completed",
        "errors",
        "cancelled",
        "bytes",
        "p50",
        "p90",
        "p99",
    ])
    .style(Style::new().bold());
    let rows = app
        .current
        .io_ops
        .iter()
        .enumerate()
        .map(|(i, o)| op_row(app, i, o));
    let widths = [
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    Table::new(rows, widths).header(header).block(
        Block::new()
            .borders(Borders::ALL)
            .title(" Operations (latency quantiles since start) "),
    )
}

fn op_row(app: &App, i: usize, o: &IoOpSnapshot) -> Row<'static> {
    let c = &o.counters;
    let rates = app.rates.io.get(i).filter(|r| r.op == o.op);
    let q = |q: f64| quantile_ns(&c.latency_histogram, q).map_or("-".into(), fmt::ns);
    Row::new(vec![
        o.op.as_str().to_owned(),
        fmt::rate(rates.map(|r| r.submitted)),
        fmt::rate(rates.map(|r| r.completed)),
        fmt::rate(rates.map(|r| r.errors)),
        fmt::count(c.in_flight),
        fmt::count(c.submitted),
        fmt::count(c.completed),
        fmt::count(c.errors),
        fmt::count(c.cancelled),
        fmt::bytes(c.bytes),
        q(0.5),
        q(0.9),
        q(0.99),
    ])
}
