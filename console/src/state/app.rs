//! [`App`]: the whole model, fed snapshots and event batches, changed by actions.

use super::events::EventLog;
use super::history::History;
use super::lints::LintSummary;
use super::rates::{rates, Rates};
use super::tasks::TaskTable;
use crate::input::Action;
use std::collections::HashMap;
use std::time::Instant;
use zokio_telemetry::{EventCursor, HeaderInfo, Snapshot};

/// The views, in key order (`1`-`6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewId {
    /// Workers, queues, steals.
    #[default]
    Overview,
    /// The task table.
    Tasks,
    /// Pools.
    Pools,
    /// I/O per operation kind.
    Io,
    /// The event log.
    Events,
    /// Lints.
    Lints,
}

impl ViewId {
    /// Every view, in key order.
    pub const ALL: [ViewId; 6] = [
        ViewId::Overview,
        ViewId::Tasks,
        ViewId::Pools,
        ViewId::Io,
        ViewId::Events,
        ViewId::Lints,
    ];

    /// The title on its tab.
    pub fn title(self) -> &'static str {
        match self {
            ViewId::Overview => "Overview",
            ViewId::Tasks => "Tasks",
            ViewId::Pools => "Pools",
            ViewId::Io => "I/O",
            ViewId::Events => "Events",
            ViewId::Lints => "Lints",
        }
    }

    /// Its position in [`ViewId::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }

    fn shifted(self, by: usize) -> ViewId {
        Self::ALL[(self.index() + by) % Self::ALL.len()]
    }
}

/// Whether keys are commands or filter text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys are commands.
    #[default]
    Normal,
    /// Keys type the filter of the current view.
    Filter,
}

/// The model.
#[derive(Debug, Clone, Default)]
pub struct App {
    /// The view shown.
    pub view: ViewId,
    /// The input mode.
    pub mode: Mode,
    /// The last snapshot, without its tasks (they are in `tasks`).
    pub current: Snapshot,
    /// Rates between the last two snapshots (empty after the first).
    pub rates: Rates,
    /// Recent polls/s per worker.
    pub history: History,
    /// The live tasks.
    pub tasks: TaskTable,
    /// The event log.
    pub events: EventLog,
    /// Lint totals and flagged tasks.
    pub lints: LintSummary,
    /// Spawn locations by string id, learnt from task records (events carry only the id).
    pub locations: HashMap<u32, String>,
    /// Snapshots taken since attach.
    pub snapshots: u64,
    /// Timestamp of the first event read, the origin of the event log's times.
    pub first_event_ns: Option<u64>,
    last_at: Option<Instant>,
}

impl App {
    /// A model whose event cursors start at `cursors` (one per worker).
    pub fn new(cursors: Vec<EventCursor>) -> App {
        App {
            events: EventLog::new(cursors),
            ..App::default()
        }
    }

    /// The segment's header.
    pub fn header(&self) -> &HeaderInfo {
        &self.current.header
    }

    /// Takes in a snapshot read at `at`: rates against the previous one, the task order, lints.
    pub fn ingest(&mut self, mut snapshot: Snapshot, at: Instant) {
        let tasks = std::mem::take(&mut snapshot.tasks);
        self.lints = LintSummary::new(&snapshot, &tasks);
        learn_locations(&mut self.locations, &tasks);
        learn_strings(&mut self.locations, &snapshot);
        if let Some(prev) = self.last_at {
            self.rates = rates(&self.current, &snapshot, at.saturating_duration_since(prev));
            let polls = self.rates.workers.iter().map(|w| w.polls.round() as u64);
            self.history.push(polls);
        }
        self.tasks.set_rows(tasks);
        self.current = snapshot;
        self.last_at = Some(at);
        self.snapshots += 1;
    }

    /// Takes in one read of a ring.
    pub fn ingest_events(&mut self, batch: zokio_telemetry::EventBatch) {
        if self.first_event_ns.is_none() {
            self.first_event_ns = batch.events.first().map(|e| e.timestamp_ns);
        }
        self.events.ingest(batch);
    }

    /// Applies an action; `false` when it asks to quit.
    pub fn apply(&mut self, action: Action) -> bool {
        match action {
            Action::Quit => return false,
            Action::Show(v) => self.show(v),
            Action::NextView => self.show(self.view.shifted(1)),
            Action::PrevView => self.show(self.view.shifted(ViewId::ALL.len() - 1)),
            Action::TogglePause => self.events.toggle_pause(),
            Action::NextSort => self.tasks.next_sort(),
            Action::ReverseSort => self.tasks.reverse(),
            Action::Move(d) => self.move_by(d),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            filter => self.filter_action(filter),
        }
        true
    }

    fn show(&mut self, view: ViewId) {
        self.view = view;
        self.mode = Mode::Normal;
    }

    fn move_by(&mut self, delta: isize) {
        match self.view {
            ViewId::Tasks => self.tasks.move_by(delta),
            // Up (negative) scrolls back in time.
            ViewId::Events => self.events.scroll_by(delta.saturating_neg()),
            _ => {}
        }
    }

    fn filter_action(&mut self, action: Action) {
        let mut text = self.filter_text().to_owned();
        match action {
            Action::StartFilter if self.filterable() => self.mode = Mode::Filter,
            Action::FilterChar(c) => text.push(c),
            Action::FilterBackspace => {
                text.pop();
            }
            Action::FilterDone => self.mode = Mode::Normal,
            Action::FilterCancel => {
                text.clear();
                self.mode = Mode::Normal;
            }
            _ => return,
        }
        self.set_filter(&text);
    }

    /// Whether the current view has a filter.
    pub fn filterable(&self) -> bool {
        matches!(self.view, ViewId::Tasks | ViewId::Events)
    }

    /// The current view's filter text.
    pub fn filter_text(&self) -> &str {
        match self.view {
            ViewId::Tasks => self.tasks.filter(),
            ViewId::Events => self.events.filter_text(),
            _ => "",
        }
    }

    fn set_filter(&mut self, text: &str) {
        if text == self.filter_text() {
            return;
        }
        match self.view {
            ViewId::Tasks => self.tasks.set_filter(text),
            ViewId::Events => self.events.set_filter(text),
            _ => {}
        }
    }
}

/// Adds every string of the segment's table to `map`: events name spawn locations by id, and a
/// task that completed is no longer in the task table to name its location.
fn learn_strings(map: &mut HashMap<u32, String>, snapshot: &Snapshot) {
    for (i, s) in snapshot.strings.iter().enumerate() {
        if let Some(s) = s {
            map.entry(i as u32 + 1).or_insert_with(|| s.clone());
        }
    }
}

/// Adds the spawn locations of `tasks` to `map` (a few distinct strings, many tasks).
fn learn_locations(map: &mut HashMap<u32, String>, tasks: &[zokio_telemetry::TaskSnapshot]) {
    for t in tasks {
        if let (id @ 1.., Some(loc)) = (t.record.location, &t.location) {
            map.entry(id).or_insert_with(|| loc.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn locations_come_from_the_string_table_even_without_live_tasks() {
        let mut app = App::default();
        let snapshot = Snapshot {
            strings: vec![Some("src/main.rs:3:5".into()), None],
            ..Default::default()
        };
        app.ingest(snapshot, Instant::now());
        assert_eq!(
            app.locations.get(&1).map(String::as_str),
            Some("src/main.rs:3:5")
        );
        assert!(!app.locations.contains_key(&2));
    }

    #[test]
    fn views_cycle_both_ways() {
        let mut app = App::default();
        assert!(app.apply(Action::PrevView));
        assert_eq!(app.view, ViewId::Lints);
        app.apply(Action::NextView);
        app.apply(Action::NextView);
        assert_eq!(app.view, ViewId::Tasks);
        assert!(!app.apply(Action::Quit));
    }

    #[test]
    fn filter_typing_applies_to_the_current_view_only() {
        let mut app = App::default();
        app.apply(Action::StartFilter);
        assert_eq!(app.mode, Mode::Normal, "the overview has no filter");
        app.apply(Action::Show(ViewId::Events));
        app.apply(Action::StartFilter);
        assert_eq!(app.mode, Mode::Filter);
        for c in "lintx".chars() {
            app.apply(Action::FilterChar(c));
        }
        app.apply(Action::FilterBackspace);
        app.apply(Action::FilterDone);
        assert_eq!((app.events.filter_text(), app.mode), ("lint", Mode::Normal));
        assert_eq!(app.tasks.filter(), "");
        app.apply(Action::StartFilter);
        app.apply(Action::FilterCancel);
        assert_eq!(app.events.filter_text(), "");
    }

    #[test]
    fn the_second_snapshot_gives_rates_and_history() {
        let mut app = App::default();
        let t0 = Instant::now();
        let mut s = Snapshot::default();
        s.workers.push(Default::default());
        app.ingest(s.clone(), t0);
        assert!(app.rates.workers.is_empty());
        s.workers[0].counters.polls = 50;
        app.ingest(s, t0 + Duration::from_millis(250));
        assert_eq!(app.rates.workers[0].polls, 200.0);
        assert_eq!(app.history.worker(0).collect::<Vec<_>>(), [200]);
        assert_eq!(app.snapshots, 2);
    }
}
