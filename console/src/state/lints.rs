//! What the lints say: totals per lint over all workers' lint counters, and the live tasks whose
//! records carry lint bits (found once per snapshot).

use zokio_telemetry::{Lint, Snapshot, TaskSnapshot, LINT_SLOTS};

/// Lint totals and flagged tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintSummary {
    /// Times each lint slot fired, summed over workers.
    pub totals: [u64; LINT_SLOTS],
    /// Indices (into the task rows) of the live tasks with a lint bit set, by id.
    pub flagged: Vec<u32>,
}

impl LintSummary {
    /// The summary of `snapshot`'s counters and of `tasks` (its live tasks).
    pub fn new(snapshot: &Snapshot, tasks: &[TaskSnapshot]) -> LintSummary {
        let mut flagged: Vec<u32> = (0..tasks.len() as u32)
            .filter(|&i| tasks[i as usize].record.lints != 0)
            .collect();
        flagged.sort_by_key(|&i| tasks[i as usize].record.id);
        LintSummary {
            totals: totals(snapshot),
            flagged,
        }
    }

    /// `(lint, total)` for every known lint, then unknown slots that fired.
    pub fn rows(&self) -> Vec<(Lint, u64)> {
        (0..LINT_SLOTS)
            .map(|i| (Lint::from_index(i), self.totals[i]))
            .filter(|&(l, n)| !matches!(l, Lint::Unknown(_)) || n > 0)
            .collect()
    }
}

/// Each lint slot summed over workers.
pub fn totals(snapshot: &Snapshot) -> [u64; LINT_SLOTS] {
    let mut t = [0u64; LINT_SLOTS];
    for w in &snapshot.workers {
        for (slot, n) in t.iter_mut().zip(&w.counters.lints) {
            *slot = slot.saturating_add(*n);
        }
    }
    t
}

/// The names of the lints in a task record's mask, comma-separated.
pub fn names(mask: u32) -> String {
    Lint::in_mask(mask)
        .map(Lint::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zokio_telemetry::{TaskRecord, WorkerCounters, WorkerSnapshot};

    #[test]
    fn totals_sum_workers_and_flagged_tasks_are_found() {
        let worker = |lints: Vec<u64>| WorkerSnapshot {
            counters: WorkerCounters {
                lints,
                ..Default::default()
            },
            ..Default::default()
        };
        let snapshot = Snapshot {
            workers: vec![
                worker(vec![1, 2, 0, 0, 0, 0, 0, 0]),
                worker(vec![3, 0, 0, 0, 0, 0, 5, 0]),
            ],
            ..Default::default()
        };
        let task = |id, lints| TaskSnapshot {
            record: TaskRecord {
                id,
                lints,
                ..Default::default()
            },
            ..Default::default()
        };
        let tasks = [task(9, 0b11), task(2, 0), task(4, 0b1)];
        let s = LintSummary::new(&snapshot, &tasks);
        assert_eq!(s.totals, [4, 2, 0, 0, 0, 0, 5, 0]);
        assert_eq!(s.flagged, [2, 0]);
        let rows = s.rows();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[4], (Lint::Unknown(6), 5));
        assert_eq!(names(0b11), "long_poll,no_yield");
    }
}
