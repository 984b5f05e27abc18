//! The recent polls/s of each worker, one sample per snapshot, for the Overview's sparklines.

use std::collections::VecDeque;

/// Samples kept per worker.
pub const HISTORY_LEN: usize = 60;

/// A bounded series per worker.
#[derive(Debug, Clone, Default)]
pub struct History {
    series: Vec<VecDeque<u64>>,
}

impl History {
    /// Appends one sample per worker (growing to the worker count), dropping the oldest beyond
    /// [`HISTORY_LEN`].
    pub fn push(&mut self, samples: impl IntoIterator<Item = u64>) {
        for (i, v) in samples.into_iter().enumerate() {
            if self.series.len() <= i {
                self.series.push(VecDeque::with_capacity(HISTORY_LEN));
            }
            let s = &mut self.series[i];
            if s.len() == HISTORY_LEN {
                s.pop_front();
            }
            s.push_back(v);
        }
    }

    /// Worker `i`'s samples, oldest first (empty when there are none).
    pub fn worker(&self, i: usize) -> impl Iterator<Item = u64> + '_ {
        self.series.get(i).into_iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_samples() {
        let mut h = History::default();
        for v in 0..(HISTORY_LEN as u64 + 5) {
            h.push([v, v * 2]);
        }
        let w0: Vec<u64> = h.worker(0).collect();
        assert_eq!(w0.len(), HISTORY_LEN);
        assert_eq!((w0[0], *w0.last().unwrap()), (5, HISTORY_LEN as u64 + 4));
        assert_eq!(h.worker(1).last(), Some(2 * (HISTORY_LEN as u64 + 4)));
        assert_eq!(h.worker(7).count(), 0);
    }
}
