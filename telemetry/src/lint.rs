//! [`Lint`]: the problems the runtime detects in running tasks, with stable codes.
//!
//! Each worker counts the lints it detects in [`WorkerBlock::lints`](crate::WorkerBlock), a task
//! that tripped one carries its bit in [`TaskRecord::lints`](crate::TaskRecord), and each
//! detection is also an [`EventData::Lint`](crate::EventData) event naming the task.

/// Lint counters per worker (see [`Lint`]); unassigned slots stay zero.
pub const LINT_SLOTS: usize = 8;

/// A problem detected in a task, with its stable slot (its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lint {
    /// A poll ran longer than the long-poll threshold (default 10 ms): blocking inside async code.
    LongPoll,
    /// A task has been running for over a second without returning from its poll (it never
    /// yields).
    NoYield,
    /// A task waits with no live waker: nothing can ever wake it.
    LostWaker,
    /// A task woke itself many times in a row (a busy loop of wakes).
    SelfWakeStorm,
    /// A code this version does not know.
    Unknown(u8),
}

impl Lint {
    /// Every lint this version knows, in slot order.
    pub const ALL: [Lint; 4] = [
        Lint::LongPoll,
        Lint::NoYield,
        Lint::LostWaker,
        Lint::SelfWakeStorm,
    ];

    /// The slot in [`WorkerBlock::lints`](crate::WorkerBlock) and the bit in a task's record.
    pub fn index(self) -> usize {
        match self {
            Lint::Unknown(c) => usize::from(c),
            known => Self::ALL.iter().position(|&l| l == known).unwrap_or(0),
        }
    }

    /// The lint of slot `index`.
    pub fn from_index(index: usize) -> Lint {
        Self::ALL
            .get(index)
            .copied()
            .unwrap_or(Lint::Unknown(index.min(u8::MAX as usize) as u8))
    }

    /// The label value (`lint="long_poll"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lint::LongPoll => "long_poll",
            Lint::NoYield => "no_yield",
            Lint::LostWaker => "lost_waker",
            Lint::SelfWakeStorm => "self_wake_storm",
            Lint::Unknown(_) => "unknown",
        }
    }

    /// What it means, for a user reading the console.
    pub fn description(self) -> &'static str {
        match self {
            Lint::LongPoll => "a poll took longer than the threshold: blocking inside async code",
            Lint::NoYield => "running for over a second without yielding",
            Lint::LostWaker => "waiting with no live waker: it can never be woken",
            Lint::SelfWakeStorm => "woke itself many times in a row",
            Lint::Unknown(_) => "a lint this version does not know",
        }
    }

    /// The lints whose bits are set in `mask` (a task record's `lints`).
    pub fn in_mask(mask: u32) -> impl Iterator<Item = Lint> {
        (0..32usize)
            .filter(move |i| mask & (1 << i) != 0)
            .map(Lint::from_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (i, lint) in Lint::ALL.iter().enumerate() {
            assert_eq!(lint.index(), i);
            assert_eq!(Lint::from_index(i), *lint);
        }
        assert_eq!(Lint::from_index(7), Lint::Unknown(7));
        assert_eq!(
            Lint::in_mask(0b1001).collect::<Vec<_>>(),
            [Lint::LongPoll, Lint::SelfWakeStorm]
        );
        assert!(Lint::ALL.len() <= LINT_SLOTS);
    }
}
