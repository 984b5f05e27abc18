//! The event log: what the console read from every worker's ring since it attached, with one
//! [`EventCursor`] per worker, a filter (kind, task, worker), a pause, and the count of events
//! it lost (overwritten by the writer before the console read them). Lost events are counted and
//! shown, never silent.
//!
//! While paused the log still drains the rings (so pausing loses nothing to the writer) but holds
//! the new events aside; resuming appends them.

use std::collections::VecDeque;
use zokio_telemetry::{Event, EventBatch, EventCursor, EventData, EventKind};

/// Events kept in the log (the oldest are dropped beyond it, and counted).
pub const LOG_CAPACITY: usize = 20_000;

/// Lint events kept apart for the Lints view.
pub const LINT_CAPACITY: usize = 200;

/// The label of an event kind, as shown and as typed in a filter.
pub fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Spawn => "spawn",
        EventKind::PollStart => "poll_start",
        EventKind::PollEnd => "poll_end",
        EventKind::Wake => "wake",
        EventKind::Yield => "yield",
        EventKind::Complete => "complete",
        EventKind::Steal => "steal",
        EventKind::Park => "park",
        EventKind::Unpark => "unpark",
        EventKind::IoSubmit => "io_submit",
        EventKind::IoComplete => "io_complete",
        EventKind::TimerFire => "timer_fire",
        EventKind::PoolGrowth => "pool_growth",
        EventKind::Lint => "lint",
        EventKind::Unknown(_) => "unknown",
    }
}

/// Which events to show. Parsed from words: `w:N` / `worker:N`, `t:N` / `task:N`, and any other
/// word is a prefix of a kind label (`poll` shows `poll_start` and `poll_end`). Words of the same
/// sort are alternatives; different sorts must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Kind label prefixes.
    pub kinds: Vec<String>,
    /// Task ids.
    pub tasks: Vec<u64>,
    /// Worker indices.
    pub workers: Vec<u16>,
}

impl EventFilter {
    /// Parses the filter text (see the type's doc); words that do not parse are kind prefixes.
    pub fn parse(text: &str) -> EventFilter {
        let mut f = EventFilter::default();
        for word in text.split_whitespace() {
            let (key, value) = word.split_once(':').unwrap_or(("", word));
            match (key, value.parse::<u64>()) {
                ("w" | "worker", Ok(n)) => f.workers.push(n.min(u64::from(u16::MAX)) as u16),
                ("t" | "task", Ok(n)) => f.tasks.push(n),
                _ => f.kinds.push(word.to_ascii_lowercase()),
            }
        }
        f
    }

    /// Whether `e` passes.
    pub fn matches(&self, e: &Event) -> bool {
        let label = kind_label(e.data.kind());
        (self.kinds.is_empty() || self.kinds.iter().any(|k| label.starts_with(k.as_str())))
            && (self.tasks.is_empty() || self.tasks.contains(&e.task))
            && (self.workers.is_empty() || self.workers.contains(&e.worker))
    }
}

/// The log.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    cursors: Vec<EventCursor>,
    entries: VecDeque<Event>,
    held: Vec<Event>,
    lints: VecDeque<Event>,
    filter_text: String,
    filter: EventFilter,
    paused: bool,
    scroll: usize,
    /// Events the writers overwrote before this console read them, since attach.
    pub lost: u64,
    /// Records dropped because they named an invalid worker.
    pub invalid: u64,
    /// Events read since attach.
    pub read: u64,
    /// Old events dropped from the log to keep it bounded (they were shown; not lost).
    pub trimmed: u64,
}

impl EventLog {
    /// A log whose cursors start where `cursors` say (one per worker).
    pub fn new(cursors: Vec<EventCursor>) -> EventLog {
        EventLog {
            cursors,
            ..EventLog::default()
        }
    }

    /// Worker `w`'s cursor (grown to `w + 1` workers, at the first event, if needed).
    pub fn cursor(&mut self, w: usize) -> &mut EventCursor {
        if self.cursors.len() <= w {
            self.cursors.resize(w + 1, EventCursor::new());
        }
        &mut self.cursors[w]
    }

    /// Takes in what one read of a ring returned.
    pub fn ingest(&mut self, batch: EventBatch) {
        self.lost += batch.lost;
        self.invalid += batch.invalid;
        self.read += batch.events.len() as u64;
        for e in batch.events {
            if matches!(e.data, EventData::Lint { .. }) {
                push_bounded(&mut self.lints, e, LINT_CAPACITY);
            }
            if self.paused {
                self.held.push(e);
            } else {
                self.append(e);
            }
        }
    }

    fn append(&mut self, e: Event) {
        if push_bounded(&mut self.entries, e, LOG_CAPACITY) {
            self.trimmed += 1;
        }
    }

    /// Pauses or resumes; resuming appends what arrived meanwhile and follows the tail again.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        if !self.paused {
            for e in std::mem::take(&mut self.held) {
                self.append(e);
            }
            self.scroll = 0;
        }
    }

    /// Whether paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Events held while paused.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Sets the filter text.
    pub fn set_filter(&mut self, text: &str) {
        self.filter_text = text.to_owned();
        self.filter = EventFilter::parse(text);
        self.scroll = 0;
    }

    /// The filter text.
    pub fn filter_text(&self) -> &str {
        &self.filter_text
    }

    /// Scrolls back (positive) or forward (negative) by `delta` events.
    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = self
            .scroll
            .saturating_add_signed(delta)
            .min(self.entries.len());
    }

    /// Up to `n` of the newest matching events, oldest first, `scroll` events back from the
    /// newest.
    pub fn visible(&self, n: usize) -> Vec<&Event> {
        let mut out: Vec<&Event> = self
            .entries
            .iter()
            .rev()
            .filter(|e| self.filter.matches(e))
            .skip(self.scroll)
            .take(n)
            .collect();
        out.reverse();
        out
    }

    /// The newest lint events, oldest first.
    pub fn lint_events(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.lints.iter()
    }

    /// Events in the log now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Pushes `e`, dropping the oldest beyond `cap`; whether one was dropped.
fn push_bounded(q: &mut VecDeque<Event>, e: Event, cap: usize) -> bool {
    let full = q.len() >= cap;
    if full {
        q.pop_front();
    }
    q.push_back(e);
    full
}

#[cfg(test)]
mod tests {
    use super::*;
    use zokio_telemetry::{Lint, Outcome};

    fn ev(seq: u64, worker: u16, task: u64, data: EventData) -> Event {
        Event {
            seq,
            timestamp_ns: seq * 10,
            worker,
            task,
            data,
        }
    }

    fn batch(events: Vec<Event>, lost: u64) -> EventBatch {
        EventBatch {
            events,
            lost,
            invalid: 0,
        }
    }

    fn sample() -> Vec<Event> {
        vec![
            ev(0, 0, 4, EventData::PollStart),
            ev(1, 0, 4, EventData::PollEnd { duration_ns: 5 }),
            ev(
                2,
                1,
                9,
                EventData::Complete {
                    outcome: Outcome::Ok,
                },
            ),
            ev(
                3,
                1,
                4,
                EventData::Lint {
                    lint: Lint::LongPoll,
                    value: 20_000_000,
                },
            ),
        ]
    }

    #[test]
    fn filters_by_kind_prefix_task_and_worker() {
        let mut log = EventLog::new(vec![EventCursor::new(); 2]);
        log.ingest(batch(sample(), 3));
        assert_eq!((log.lost, log.read, log.len()), (3, 4, 4));
        let seqs = |log: &EventLog| log.visible(10).iter().map(|e| e.seq).collect::<Vec<_>>();
        log.set_filter("poll");
        assert_eq!(seqs(&log), [0, 1]);
        log.set_filter("t:4 w:1");
        assert_eq!(seqs(&log), [3]);
        log.set_filter("complete lint");
        assert_eq!(seqs(&log), [2, 3]);
        log.set_filter("");
        assert_eq!(
            log.visible(2).iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 3]
        );
        log.scroll_by(1);
        assert_eq!(
            log.visible(2).iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(log.lint_events().count(), 1);
    }

    #[test]
    fn pause_holds_new_events_and_resume_appends_them() {
        let mut log = EventLog::default();
        log.toggle_pause();
        log.ingest(batch(sample(), 0));
        assert_eq!((log.len(), log.held(), log.read), (0, 4, 4));
        log.toggle_pause();
        assert_eq!((log.len(), log.held()), (4, 0));
    }

    #[test]
    fn parse_keeps_unparsable_words_as_kinds() {
        let f = EventFilter::parse("worker:2 t:x IO");
        assert_eq!(f.workers, [2]);
        assert_eq!(f.kinds, ["t:x", "io"]);
        assert!(f.tasks.is_empty());
    }
}
