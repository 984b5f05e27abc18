//! The counter blocks: runtime-wide, per worker, per pool, per I/O operation kind, I/O driver.
//!
//! Every counter is one [`Counter`] (an `AtomicU64`): a reader never sees a torn value, and no
//! cross-counter consistency is promised. A counter owned by one thread (a worker's) is counted
//! locally and published with [`Counter::store`] (Relaxed); counters updated from several threads
//! (I/O completions, the global queue) use [`Counter::add`]. Blocks are 128-byte aligned so two
//! writers never share a cache line or an adjacent-line prefetch pair.
//!
//! Each block type comes with an owned snapshot struct of the same fields (`u64`s and `Vec<u64>`s)
//! that the reader fills through the same field offsets: one definition serves both sides.

use crate::words::Words;
use std::mem::offset_of;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Buckets of every latency histogram: bucket `i` counts durations in `[2^i, 2^(i+1))` ns
/// (bucket 0 also holds 0 ns, the last one everything longer).
pub const HISTOGRAM_BUCKETS: usize = 32;

pub use crate::lint::LINT_SLOTS;

/// The histogram bucket of a duration in nanoseconds.
pub fn bucket_of(ns: u64) -> usize {
    (63 - (ns | 1).leading_zeros() as usize).min(HISTOGRAM_BUCKETS - 1)
}

/// One published counter word.
#[repr(transparent)]
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Publishes a value counted locally by the owning thread (Relaxed store).
    #[inline]
    pub fn store(&self, value: u64) {
        self.0.store(value, Relaxed)
    }

    /// Adds to a counter shared by several writers (Relaxed read-modify-write).
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }

    /// Subtracts from a shared gauge (Relaxed read-modify-write, wrapping).
    #[inline]
    pub fn sub(&self, n: u64) {
        self.0.fetch_sub(n, Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn load(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// Defines a block of counters and its owned snapshot, read by field offset.
macro_rules! counter_block {
    (
        $(#[$meta:meta])*
        $block:ident => $snap:ident {
            $( $(#[$fmeta:meta])* $field:ident, )*
        }
        arrays { $( $(#[$ameta:meta])* $arr:ident: $len:expr, )* }
    ) => {
        $(#[$meta])*
        #[repr(C, align(128))]
        #[derive(Debug)]
        pub struct $block {
            $( $(#[$fmeta])* pub $field: Counter, )*
            $( $(#[$ameta])* pub $arr: [Counter; $len], )*
        }

        #[doc = concat!("The values of a [`", stringify!($block), "`] when it was read.")]
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $snap {
            $( $(#[$fmeta])* pub $field: u64, )*
            $( $(#[$ameta])* pub $arr: Vec<u64>, )*
        }

        impl $snap {
            /// Reads the block starting at word `base`.
            pub(crate) fn read<W: Words + ?Sized>(words: &W, base: usize) -> $snap {
                $snap {
                    $( $field: words.word(base + offset_of!($block, $field) / 8), )*
                    $( $arr: (0..$len)
                        .map(|i| words.word(base + offset_of!($block, $arr) / 8 + i))
                        .collect(), )*
                }
            }
        }
    };
}

counter_block! {
    /// Runtime-wide counters.
    RuntimeBlock => RuntimeCounters {
        /// Tasks spawned from outside the workers (through the global queue).
        spawned_remote,
        /// Tasks alive now (spawned, not completed).
        active_tasks,
        /// Tasks in the global queue.
        global_queue_depth,
        /// Threads in the blocking pool, busy or idle.
        blocking_threads,
        /// Idle threads in the blocking pool.
        blocking_idle_threads,
        /// Tasks waiting for a blocking thread.
        blocking_queue_depth,
        /// Tasks that found the task table full and are not listed (counted, never silent).
        task_table_overflows,
        /// Strings (task names, spawn locations) that found the string table full.
        string_table_overflows,
        /// The runtime's clock now (ns since it started, the clock of event timestamps and task
        /// `state_since_ns`), advanced by its monitor every 10 ms: how old an event is, how long
        /// a task has been in its state.
        clock_ns,
        /// Tasks whose poll panicked (ABI 1.1).
        tasks_panicked,
        /// Tasks cancelled (aborted, or dropped at shutdown) before they completed (ABI 1.1).
        tasks_cancelled,
        /// Of those, the ones cancelled by a worker about to poll them (counted in the
        /// worker's `completed`; the others were never counted there) (ABI 1.1).
        tasks_cancelled_in_poll,
    }
    arrays {}
}

counter_block! {
    /// One worker's counters, written only by that worker, except `stuck_since_ns` and `lints`,
    /// which the runtime's monitor thread (and, for `lints`, any thread) adds to.
    WorkerBlock => WorkerCounters {
        /// Task polls.
        polls,
        /// Tasks spawned from this worker onto its own queue.
        spawned_local,
        /// Tasks that completed on this worker.
        completed,
        /// Attempts to steal from another worker.
        steal_attempts,
        /// Steal attempts that took at least one task.
        steal_operations,
        /// Tasks taken by stealing.
        tasks_stolen,
        /// Tasks in the local queue when last published.
        local_queue_depth,
        /// Tasks run from the LIFO slot.
        lifo_hits,
        /// Times the worker parked.
        parks,
        /// Times the worker returned from parking.
        unparks,
        /// Wake-ups that found the worker still meant to sleep.
        spurious_wakeups,
        /// Nanoseconds awake (polling, searching, stealing, maintenance).
        busy_ns,
        /// Polls that ended because the task ran out of cooperative budget.
        budget_forced_yields,
        /// Id of the task being polled now, 0 when the worker is between polls.
        current_task,
        /// Counts poll starts and ends (odd while a poll runs): an unchanged odd value seen
        /// twice means one poll has been running all along.
        poll_seq,
        /// When the runtime's monitor first saw the current poll running (ns on the runtime's
        /// clock, like event timestamps), 0 between polls: how long the task has not yielded.
        stuck_since_ns,
    }
    arrays {
        /// Poll durations, log2-ns buckets (see [`bucket_of`]).
        poll_histogram: HISTOGRAM_BUCKETS,
        /// Lint triggers, indexed by [`Lint::index`].
        lints: LINT_SLOTS,
        /// Scheduling delays of tasks woken from idle, from the wake to the start of the poll
        /// that followed, log2-ns buckets: one wake in 128 (per waking thread) is timed (ABI
        /// 1.2; a reader shows zeros for a 1.1 segment, whose worker blocks end before it).
        schedule_histogram: HISTOGRAM_BUCKETS,
    }
}

/// The size of a [`WorkerBlock`] in ABI 1.0 and 1.1 segments (before `schedule_histogram`).
pub(crate) const WORKER_BLOCK_1_1_BYTES: usize = 512;

counter_block! {
    /// One pool slot (a task-cell pool of one thread, or another pool the runtime names).
    PoolBlock => PoolCounters {
        /// String-table id of the pool's name; 0 marks an unused slot.
        label,
        /// Allocations served from the pool.
        hits,
        /// Allocations that went to the global allocator.
        misses,
        /// Items handed out and not yet back.
        in_use,
        /// Bytes cached in the pool.
        bytes_held,
        /// Items freed on other threads that came home.
        remote_frees,
        /// Items the pool can hold.
        capacity,
        /// Times the pool grew.
        growth,
    }
    arrays {}
}

counter_block! {
    /// Counters of one I/O operation kind (the runtime publishes sums of per-ring counters here).
    IoOpBlock => IoOpCounters {
        /// Operations started.
        submitted,
        /// Completions, successful or not.
        completed,
        /// Completions with an error (cancellations excluded).
        errors,
        /// Completions of cancelled operations.
        cancelled,
        /// Bytes moved by successful reads and writes.
        bytes,
        /// Operations submitted and not completed yet.
        in_flight,
    }
    arrays {
        /// Submission-to-completion latency, log2-ns buckets.
        latency_histogram: HISTOGRAM_BUCKETS,
    }
}

counter_block! {
    /// Driver-wide I/O counters and the provided-buffer pool.
    IoDriverBlock => IoDriverCounters {
        /// Submissions that found the submission queue full.
        sq_full_waits,
        /// Completions the kernel held back because the completion queue was full.
        cq_overflows,
        /// Completions that named no operation in flight.
        stray_completions,
        /// Buffers in the provided-buffer pool.
        buffer_capacity,
        /// Bytes per buffer.
        buffer_size,
        /// Buffers holding data not yet read.
        buffers_in_use,
        /// Receives that found a buffer.
        buffer_hits,
        /// Receives that found none.
        buffer_misses,
        /// Buffers allocated over the pool's life.
        buffer_growth,
    }
    arrays {}
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_whole_cache_line_pairs() {
        for size in [
            size_of::<RuntimeBlock>(),
            size_of::<WorkerBlock>(),
            size_of::<PoolBlock>(),
            size_of::<IoOpBlock>(),
            size_of::<IoDriverBlock>(),
        ] {
            assert_eq!(size % 128, 0, "{size}");
        }
        assert_eq!(offset_of!(WorkerBlock, polls), 0);
        assert_eq!(offset_of!(WorkerBlock, poll_histogram), 16 * 8);
        // ABI 1.2 grew the block at its end: every older field stays where it was (the new
        // histogram starts in what was the 1.1 block's padding).
        assert_eq!(offset_of!(WorkerBlock, lints), (16 + HISTOGRAM_BUCKETS) * 8);
        assert_eq!(
            offset_of!(WorkerBlock, schedule_histogram),
            offset_of!(WorkerBlock, lints) + LINT_SLOTS * 8
        );
        assert!(size_of::<WorkerBlock>() > WORKER_BLOCK_1_1_BYTES);
    }

    #[test]
    fn buckets_are_log2() {
        assert_eq!((bucket_of(0), bucket_of(1), bucket_of(2)), (0, 0, 1));
        assert_eq!((bucket_of(1023), bucket_of(1024)), (9, 10));
        assert_eq!(bucket_of(u64::MAX), HISTOGRAM_BUCKETS - 1);
    }
}
