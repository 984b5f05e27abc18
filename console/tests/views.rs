//! Each view rendered from a fabricated segment into a `TestBackend`, checked for exact text.

mod common;

use common::{filled, model, TempDir, SPINNER_AT};
use zokio_console::input::Action;
use zokio_console::state::{App, ViewId};
use zokio_console::view::render_text;

fn screen(app: &mut App, view: ViewId) -> String {
    app.apply(Action::Show(view));
    render_text(app, 160, 45)
}

fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
}

fn cells(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || c == '│')
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn header_shows_identity_abi_and_events_lost() {
    let dir = TempDir::new("views-header");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Overview);
    let head = line_with(&text, "zokio-console pid");
    assert!(
        head.contains(&format!("pid {}", std::process::id())),
        "{head}"
    );
    assert!(head.contains("service orders"), "{head}");
    assert!(head.contains("runtime 1"), "{head}");
    assert!(head.contains("backend io_uring"), "{head}");
    let abi = format!(
        "ABI {}.{}",
        zokio_telemetry::ABI_MAJOR,
        zokio_telemetry::ABI_MINOR
    );
    assert!(head.contains(&abi), "{head}");
    assert!(head.contains("workers 3"), "{head}");
    let loss = line_with(&text, "events lost");
    assert!(
        loss.contains("events lost 4 (since attach; read 11)"),
        "{loss}"
    );
    assert!(
        text.contains("1 Overview") && text.contains("6 Lints"),
        "{text}"
    );
}

#[test]
fn overview_has_a_row_per_worker_with_rates_and_steals() {
    let dir = TempDir::new("views-overview");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Overview);
    assert!(
        text.contains("tasks live 3   spawned 71 (0.0/s)   completed 15 (0.0/s)"),
        "{text}"
    );
    assert!(text.contains("global queue 4"), "{text}");
    // worker, busy %, polls/s, polls, steals/s, stolen, stolen from, local q, parks
    let w0 = cells(line_with(&text, "│0 "));
    assert_eq!(
        w0[..9],
        ["0", "0", "500.0", "1500", "2.0", "12", "-", "2", "40"],
        "{text}"
    );
    let w1 = cells(line_with(&text, "│1 "));
    assert_eq!(
        w1[..10],
        ["1", "0", "0.0", "2000", "0.0", "11", "w0:7", "w2:3", "3", "41"]
    );
    assert!(
        line_with(&text, "│0 ").contains('█'),
        "worker 0's sparkline: {text}"
    );
}

#[test]
fn tasks_view_lists_tasks_and_details_the_selected_one() {
    let dir = TempDir::new("views-tasks");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Tasks);
    assert!(
        text.contains("Tasks: 3 live, 3 shown; sorted by id ↑"),
        "{text}"
    );
    let spinner = cells(line_with(&text, "spinner"));
    assert_eq!(
        spinner[..5],
        ["2", "spinner", "running", "1", "3"],
        "{text}"
    );
    assert!(
        line_with(&text, "spinner").contains("long_poll,no_yield"),
        "{text}"
    );
    assert!(line_with(&text, "spinner").contains(SPINNER_AT));
    // Columns: id name state worker polls busy in-state idle last-poll ...
    assert_eq!(spinner[6], "1.20s", "in its state for 1.2 s: {text}");
    assert_eq!(cells(line_with(&text, "http-server"))[6], "-", "{text}");
    // The first row (task 1) is selected: its details and its worker's histogram.
    assert!(text.contains("task 1  http-server"), "{text}");
    assert!(
        text.contains("worker 1's poll times (all its tasks: the ABI has no per-task histogram)")
    );
    assert!(text.contains("2.0µs-4.1µs"), "{text}");
    app.apply(Action::NextSort); // name
    app.apply(Action::StartFilter);
    for c in "SPIN".chars() {
        app.apply(Action::FilterChar(c));
    }
    let text = render_text(&app, 160, 45);
    assert!(
        text.contains("Tasks: 3 live, 1 shown, filter \"SPIN\"; sorted by name ↑"),
        "{text}"
    );
    assert!(
        text.contains("lint no_yield: running for over a second without yielding"),
        "{text}"
    );
}

#[test]
fn pools_view_shows_capacity_use_hits_misses_growth() {
    let dir = TempDir::new("views-pools");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Pools);
    let row = cells(line_with(&text, "task-cells/0"));
    assert_eq!(
        row[..8],
        ["0", "task-cells/0", "256", "17", "900", "100", "90.0", "3"],
        "{text}"
    );
}

#[test]
fn io_view_shows_backend_rates_and_latency_quantiles() {
    let dir = TempDir::new("views-io");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Io);
    assert!(
        text.contains("backend io_uring: kernel supports it"),
        "{text}"
    );
    assert!(text.contains("SQ-full waits 2   CQ overflows 1"), "{text}");
    let read = cells(line_with(&text, "│read "));
    // op, submit/s, done/s, errors/s, in flight, submitted, completed, errors, cancelled, bytes, p50, p90, p99
    assert_eq!(
        read,
        [
            "read", "0.0", "0.0", "0.0", "2", "40", "38", "2", "0", "4.0KiB", "8.2µs", "8.2µs",
            "8.2µs"
        ],
        "{text}"
    );
}

#[test]
fn events_view_logs_events_counts_lost_ones_and_filters() {
    let dir = TempDir::new("views-events");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Events);
    assert!(
        text.contains("Events: 11 in log, 11 read, 4 lost since attach"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "task 2 (spinner)       spawn       by outside at {SPINNER_AT}"
        )),
        "{text}"
    );
    assert!(text.contains("lint        no_yield: 1.20s"), "{text}");
    app.apply(Action::StartFilter);
    for c in "t:3".chars() {
        app.apply(Action::FilterChar(c));
    }
    app.apply(Action::FilterDone);
    let text = render_text(&app, 160, 45);
    assert!(
        text.contains("task 3 (client-0)      complete    ok"),
        "{text}"
    );
    assert!(!text.contains("spawn "), "{text}");
    app.apply(Action::TogglePause);
    assert!(render_text(&app, 160, 45).contains("PAUSED (0 new held)"));
}

#[test]
fn lints_view_names_the_flagged_task_and_its_location() {
    let dir = TempDir::new("views-lints");
    let seg = filled(dir.path());
    let mut app = model(dir.path(), &seg);
    let text = screen(&mut app, ViewId::Lints);
    let long = cells(line_with(&text, "│long_poll"));
    assert_eq!(long[..2], ["long_poll", "3"], "{text}");
    let no_yield = cells(line_with(&text, "│no_yield"));
    assert_eq!(no_yield[..2], ["no_yield", "2"], "{text}");
    assert!(text.contains("Live tasks with lints: 1"), "{text}");
    let flagged = line_with(&text, "long_poll,no_yield");
    assert_eq!(
        cells(flagged)[..5],
        ["2", "spinner", "long_poll,no_yield", "1.20s", SPINNER_AT]
    );
    assert!(
        text.contains("w2 task 2 (spinner) no_yield: 1.20s"),
        "{text}"
    );
}
