//! The batches waiting to be sent: at most `capacity` of them. A new batch that finds the queue
//! full evicts the oldest: every batch holds cumulative values, so the newest one carries
//! everything an older one would have said, and a collector coming back gets the freshest data
//! first. The batch being sent (or waiting to be retried) is not in the queue: memory is bounded
//! by `capacity + 1` encoded batches.

use bytes::Bytes;
use std::collections::VecDeque;

/// One encoded `ExportMetricsServiceRequest`.
pub type Batch = Bytes;

/// A bounded FIFO of batches that evicts its oldest.
#[derive(Debug)]
pub struct Queue {
    batches: VecDeque<Batch>,
    capacity: usize,
    high_water: usize,
    closed: bool,
}

impl Queue {
    /// An empty queue of `capacity` batches (at least 1).
    pub fn new(capacity: usize) -> Queue {
        let capacity = capacity.max(1);
        Queue {
            batches: VecDeque::with_capacity(capacity),
            capacity,
            high_water: 0,
            closed: false,
        }
    }

    /// Queues `batch`; returns the batch it evicted, if the queue was full.
    #[must_use]
    pub fn push(&mut self, batch: Batch) -> Option<Batch> {
        let evicted = if self.batches.len() == self.capacity {
            self.batches.pop_front()
        } else {
            None
        };
        self.batches.push_back(batch);
        self.high_water = self.high_water.max(self.batches.len());
        evicted
    }

    /// The oldest batch.
    pub fn pop(&mut self) -> Option<Batch> {
        self.batches.pop_front()
    }

    /// Takes every batch out.
    pub fn drain(&mut self) -> Vec<Batch> {
        self.batches.drain(..).collect()
    }

    /// Batches waiting.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// The most batches that ever waited at once.
    pub fn high_water(&self) -> usize {
        self.high_water
    }

    /// Marks that no more batches will come.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Whether no more batches will come.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u8) -> Batch {
        Bytes::from(vec![n])
    }

    #[test]
    fn a_full_queue_evicts_its_oldest() {
        let mut q = Queue::new(2);
        assert_eq!(q.push(b(1)), None);
        assert_eq!(q.push(b(2)), None);
        assert_eq!(q.push(b(3)), Some(b(1)));
        assert_eq!(q.push(b(4)), Some(b(2)));
        assert_eq!((q.len(), q.high_water()), (2, 2));
        assert_eq!(q.pop(), Some(b(3)));
        assert_eq!(q.drain(), vec![b(4)]);
        assert_eq!((q.len(), q.high_water()), (0, 2));
    }

    #[test]
    fn capacity_is_at_least_one() {
        let mut q = Queue::new(0);
        assert_eq!(q.push(b(1)), None);
        assert_eq!(q.push(b(2)), Some(b(1)));
        assert_eq!(q.len(), 1);
    }
}
