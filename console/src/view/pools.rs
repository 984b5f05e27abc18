//! The Pools view: every named pool slot (capacity, in use, hits, misses, growth), and the I/O
//! driver's provided-buffer pool.

use super::fmt;
use crate::state::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;
use zokio_telemetry::PoolSnapshot;

/// Draws the view into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [pools, buffers] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(3)]).areas(area);
    frame.render_widget(pool_table(app), pools);
    frame.render_widget(buffer_line(app), buffers);
}

fn pool_table(app: &App) -> Table<'static> {
    let header = Row::new([
        "slot",
        "name",
        "capacity",
        "in use",
        "hits",
        "misses",
        "hit %",
        "growth",
        "held",
        "remote frees",
    ])
    .style(Style::new().bold());
    let rows = app.current.pools.iter().map(pool_row);
    let widths = [
        Constraint::Length(5),
        Constraint::Length(20),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(12),
    ];
    let title = format!(" Pools: {} ", app.current.pools.len());
    Table::new(rows, widths)
        .header(header)
        .block(Block::new().borders(Borders::ALL).title(title))
}

fn pool_row(p: &PoolSnapshot) -> Row<'static> {
    let c = &p.counters;
    Row::new(vec![
        p.index.to_string(),
        p.name
            .clone()
            .unwrap_or_else(|| format!("pool {}", p.index)),
        fmt::count(c.capacity),
        fmt::count(c.in_use),
        fmt::count(c.hits),
        fmt::count(c.misses),
        hit_pct(c.hits, c.misses),
        fmt::count(c.growth),
        fmt::bytes(c.bytes_held),
        fmt::count(c.remote_frees),
    ])
}

/// Hits over all allocations, in percent with one decimal; `-` before any.
pub fn hit_pct(hits: u64, misses: u64) -> String {
    match hits + misses {
        0 => "-".into(),
        total => format!("{:.1}", hits as f64 * 100.0 / total as f64),
    }
}

fn buffer_line(app: &App) -> Paragraph<'static> {
    let d = &app.current.io_driver;
    let text = format!(
        "capacity {}  size {}  in use {}  hits {}  misses {}  growth {}",
        d.buffer_capacity,
        fmt::bytes(d.buffer_size),
        d.buffers_in_use,
        fmt::count(d.buffer_hits),
        fmt::count(d.buffer_misses),
        d.buffer_growth
    );
    Paragraph::new(text).block(
        Block::new()
            .borders(Borders::ALL)
            .title(" I/O provided buffers "),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn hit_percentage() {
        assert_eq!(super::hit_pct(50, 5), "90.9");
        assert_eq!(super::hit_pct(0, 0), "-");
    }
}
