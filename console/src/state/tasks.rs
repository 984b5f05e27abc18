//! The task table: the live tasks of the last snapshot, and the order the Tasks view shows them
//! in (filtered by a substring of name or spawn location, sorted by a column).
//!
//! The rows are replaced once per snapshot, and the order is computed then (or when the sort
//! or the filter changes), never per frame: with 100,000 tasks a sort is milliseconds, and a
//! frame formats only the rows on screen.

use std::cmp::Ordering;
use std::collections::HashMap;
use zokio_telemetry::{TaskSnapshot, TaskState};

/// The column the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Task id.
    #[default]
    Id,
    /// Name.
    Name,
    /// State (running, scheduled, idle).
    State,
    /// Times polled.
    Polls,
    /// Time polled.
    Busy,
    /// How long it has been in its current state (the oldest first when descending).
    InState,
    /// Time scheduled but not yet polled (in run queues).
    Scheduled,
    /// Time between polls waiting to be woken.
    Idle,
    /// Last poll's duration.
    LastPoll,
    /// Lints tripped.
    Lints,
    /// Spawn location.
    Location,
}

impl SortKey {
    /// Every key, in the order `s` cycles through them.
    pub const ALL: [SortKey; 11] = [
        SortKey::Id,
        SortKey::Name,
        SortKey::State,
        SortKey::Polls,
        SortKey::Busy,
        SortKey::InState,
        SortKey::Scheduled,
        SortKey::Idle,
        SortKey::LastPoll,
        SortKey::Lints,
        SortKey::Location,
    ];

    /// The next key in [`SortKey::ALL`], wrapping.
    pub fn next(self) -> SortKey {
        let i = Self::ALL.iter().position(|&k| k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The column title it sorts.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Polls => "polls",
            SortKey::Busy => "busy",
            SortKey::InState => "in state",
            SortKey::Scheduled => "sched",
            SortKey::Idle => "idle",
            SortKey::LastPoll => "last poll",
            SortKey::Lints => "lints",
            SortKey::Location => "location",
        }
    }

    /// Numeric keys read best largest first; names and ids smallest first.
    pub fn default_descending(self) -> bool {
        !matches!(
            self,
            SortKey::Id | SortKey::Name | SortKey::Location | SortKey::State
        )
    }
}

/// Compares two tasks by `key`, then by id so the order is total and stable between snapshots.
pub fn compare(a: &TaskSnapshot, b: &TaskSnapshot, key: SortKey) -> Ordering {
    let (x, y) = (&a.record, &b.record);
    let by = match key {
        SortKey::Id => Ordering::Equal,
        SortKey::Name => a.name.cmp(&b.name),
        SortKey::State => state_rank(x.state).cmp(&state_rank(y.state)),
        SortKey::Polls => x.polls.cmp(&y.polls),
        SortKey::Busy => x.busy_ns.cmp(&y.busy_ns),
        // Longer in its state = entered it earlier (all tasks share the runtime's clock).
        SortKey::InState => y.state_since_ns.cmp(&x.state_since_ns),
        SortKey::Scheduled => x.scheduled_ns.cmp(&y.scheduled_ns),
        SortKey::Idle => x.idle_ns.cmp(&y.idle_ns),
        SortKey::LastPoll => x.last_poll_duration_ns.cmp(&y.last_poll_duration_ns),
        SortKey::Lints => x.lints.count_ones().cmp(&y.lints.count_ones()),
        SortKey::Location => a.location.cmp(&b.location),
    };
    by.then(x.id.cmp(&y.id))
}

/// Running first, then scheduled, then idle.
fn state_rank(s: TaskState) -> u64 {
    match s {
        TaskState::Running => 0,
        TaskState::Scheduled => 1,
        TaskState::Idle => 2,
        TaskState::Unknown(c) => 3 + c,
    }
}

/// Whether `task`'s name or spawn location contains `needle` (ASCII case-insensitive; an empty
/// needle matches everything).
pub fn matches(task: &TaskSnapshot, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let hit = |s: &Option<String>| s.as_deref().is_some_and(|s| contains_ci(s, needle));
    hit(&task.name) || hit(&task.location)
}

/// ASCII case-insensitive substring search, without allocating.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The indices of the rows that match `filter`, sorted by `key` (reversed if `descending`).
pub fn order(rows: &[TaskSnapshot], filter: &str, key: SortKey, descending: bool) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..rows.len() as u32)
        .filter(|&i| matches(&rows[i as usize], filter))
        .collect();
    idx.sort_unstable_by(|&a, &b| {
        let o = compare(&rows[a as usize], &rows[b as usize], key);
        if descending {
            o.reverse()
        } else {
            o
        }
    });
    idx
}

/// The live tasks and the Tasks view's order and selection.
#[derive(Debug, Clone, Default)]
pub struct TaskTable {
    rows: Vec<TaskSnapshot>,
    by_id: HashMap<u64, u32>,
    order: Vec<u32>,
    sort: SortKey,
    descending: bool,
    filter: String,
    selected: usize,
    selected_id: Option<u64>,
}

impl TaskTable {
    /// Replaces the rows with a new snapshot's tasks; keeps the selected task selected if it
    /// is still there.
    pub fn set_rows(&mut self, rows: Vec<TaskSnapshot>) {
        self.by_id = rows
            .iter()
            .enumerate()
            .map(|(i, t)| (t.record.id, i as u32))
            .collect();
        self.rows = rows;
        self.reorder();
    }

    /// Sorts by the next column (each column in its natural direction).
    pub fn next_sort(&mut self) {
        self.sort = self.sort.next();
        self.descending = self.sort.default_descending();
        self.reorder();
    }

    /// Reverses the order.
    pub fn reverse(&mut self) {
        self.descending = !self.descending;
        self.reorder();
    }

    /// Shows only tasks whose name or location contains `filter`.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_owned();
        self.reorder();
    }

    fn reorder(&mut self) {
        self.order = order(&self.rows, &self.filter, self.sort, self.descending);
        let found = self.selected_id.and_then(|id| {
            self.order
                .iter()
                .position(|&i| self.rows[i as usize].record.id == id)
        });
        self.select(found.unwrap_or(self.selected));
    }

    /// Moves the selection by `delta` rows, clamped to the table.
    pub fn move_by(&mut self, delta: isize) {
        self.select(self.selected.saturating_add_signed(delta));
    }

    /// Selects row `i` of the shown order (clamped).
    pub fn select(&mut self, i: usize) {
        self.selected = i.min(self.order.len().saturating_sub(1));
        self.selected_id = self.shown(self.selected).map(|t| t.record.id);
    }

    /// Row `i` of the shown order.
    pub fn shown(&self, i: usize) -> Option<&TaskSnapshot> {
        self.order.get(i).map(|&r| &self.rows[r as usize])
    }

    /// Rows shown (after the filter).
    pub fn shown_len(&self) -> usize {
        self.order.len()
    }

    /// All live tasks, in slot order.
    pub fn rows(&self) -> &[TaskSnapshot] {
        &self.rows
    }

    /// The live task with id `id`.
    pub fn by_id(&self, id: u64) -> Option<&TaskSnapshot> {
        self.by_id.get(&id).map(|&i| &self.rows[i as usize])
    }

    /// The selected row's index in the shown order.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The selected task.
    pub fn selected_task(&self) -> Option<&TaskSnapshot> {
        self.shown(self.selected)
    }

    /// The sort column and whether it is descending.
    pub fn sort(&self) -> (SortKey, bool) {
        (self.sort, self.descending)
    }

    /// The filter.
    pub fn filter(&self) -> &str {
        &self.filter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zokio_telemetry::TaskRecord;

    fn task(id: u64, name: &str, location: &str, polls: u64, state: TaskState) -> TaskSnapshot {
        TaskSnapshot {
            slot: id as usize,
            record: TaskRecord {
                id,
                polls,
                state,
                ..Default::default()
            },
            name: (!name.is_empty()).then(|| name.to_owned()),
            location: Some(location.to_owned()),
            worker: Some(0),
        }
    }

    fn rows() -> Vec<TaskSnapshot> {
        vec![
            task(3, "client-1", "src/client.rs:10:5", 50, TaskState::Idle),
            task(
                1,
                "http-server",
                "src/server.rs:4:9",
                900,
                TaskState::Running,
            ),
            task(7, "", "src/Client.rs:99:1", 50, TaskState::Scheduled),
            task(5, "client-2", "src/client.rs:10:5", 7, TaskState::Idle),
        ]
    }

    fn ids(rows: &[TaskSnapshot], order: &[u32]) -> Vec<u64> {
        order.iter().map(|&i| rows[i as usize].record.id).collect()
    }

    #[test]
    fn sorts_by_column_with_ties_broken_by_id() {
        let r = rows();
        assert_eq!(ids(&r, &order(&r, "", SortKey::Id, false)), [1, 3, 5, 7]);
        assert_eq!(ids(&r, &order(&r, "", SortKey::Polls, true)), [1, 7, 3, 5]);
        assert_eq!(ids(&r, &order(&r, "", SortKey::State, false)), [1, 7, 3, 5]);
        // No name sorts first (None < Some).
        assert_eq!(ids(&r, &order(&r, "", SortKey::Name, false)), [7, 3, 5, 1]);
    }

    #[test]
    fn filters_on_name_or_location_ignoring_ascii_case() {
        let r = rows();
        assert_eq!(ids(&r, &order(&r, "CLIENT", SortKey::Id, false)), [3, 5, 7]);
        assert_eq!(ids(&r, &order(&r, "server.rs:4", SortKey::Id, false)), [1]);
        assert_eq!(
            ids(&r, &order(&r, "nothing", SortKey::Id, false)),
            [] as [u64; 0]
        );
    }

    #[test]
    fn selection_follows_the_task_across_snapshots_and_sorts() {
        let mut t = TaskTable::default();
        t.set_rows(rows());
        t.move_by(2);
        assert_eq!(t.selected_task().map(|t| t.record.id), Some(5));
        t.next_sort(); // name, ascending
        assert_eq!(t.sort(), (SortKey::Name, false));
        assert_eq!(t.selected_task().map(|t| t.record.id), Some(5));
        let mut next = rows();
        next.remove(0);
        t.set_rows(next);
        assert_eq!(t.selected_task().map(|t| t.record.id), Some(5));
        t.set_filter("server");
        assert_eq!((t.shown_len(), t.selected()), (1, 0));
        assert_eq!(t.by_id(7).map(|t| t.record.polls), Some(50));
        t.move_by(-5);
        assert_eq!(t.selected(), 0);
    }
}
