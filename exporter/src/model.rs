//! The metrics of one collection: every series of every family, from the snapshots of the
//! runtimes being exported. Pure data, built by [`MetricSet::add_runtime`]; the Prometheus text
//! ([`crate::text`]), the `prometheus` crate's [`Collector`](crate::ZokioCollector) and OTLP all
//! read it, so every path publishes the same names and values.

use crate::catalog::{id, Family, FAMILIES, IO_BUCKETS_LOG2, POLL_BUCKETS_LOG2};
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;
use zokio_telemetry::{IoOp, Lint, Snapshot, HISTOGRAM_BUCKETS};

/// One runtime being exported: the values of the target labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its service name.
    pub service: String,
    /// Its process.
    pub pid: u32,
    /// Its id within the process.
    pub runtime: u64,
    /// When its counters started, ns since the Unix epoch (OTLP's start time of its sums).
    pub started_unix_ns: u64,
}

/// A label value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelValue {
    /// A number (worker and victim indices).
    Index(u32),
    /// A fixed word (op, outcome, lint...).
    Static(&'static str),
    /// Text read from a segment (pool names, the backend).
    Text(Arc<str>),
    /// The values folded together past a cardinality limit.
    Other,
    /// No label in this position.
    None,
}

impl fmt::Display for LabelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelValue::Index(i) => write!(f, "{i}"),
            LabelValue::Static(s) => f.write_str(s),
            LabelValue::Text(s) => f.write_str(s),
            LabelValue::Other => f.write_str("other"),
            LabelValue::None => Ok(()),
        }
    }
}

/// A histogram over power-of-two bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The bounds are `2^k` ns for each `k` here.
    pub bounds_log2: RangeInclusive<u32>,
    /// Observations at or below each bound, in bound order.
    pub cumulative: Vec<u64>,
    /// Every observation.
    pub count: u64,
    /// Their sum in seconds (estimated from bucket midpoints).
    pub sum: f64,
}

impl Histogram {
    /// From log2-ns bucket counts (bucket `i` holds `[2^i, 2^(i+1))` ns): exact at every bound.
    pub fn from_log2(buckets: &[u64], bounds_log2: RangeInclusive<u32>) -> Histogram {
        let mut cumulative = Vec::with_capacity(bounds_log2.clone().count());
        let mut below = 0u64;
        let mut next = 0usize;
        for k in bounds_log2.clone() {
            while next < (k as usize).min(buckets.len()) {
                below = below.saturating_add(buckets[next]);
                next += 1;
            }
            cumulative.push(below);
        }
        let count = buckets.iter().fold(0u64, |a, &b| a.saturating_add(b));
        let sum_ns: f64 = buckets
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                n as f64
                    * if i == 0 {
                        1.0
                    } else {
                        1.5 * (1u64 << i) as f64
                    }
            })
            .sum();
        Histogram {
            bounds_log2,
            cumulative,
            count,
            sum: sum_ns / 1e9,
        }
    }
}

/// A sample's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer counter or gauge.
    Int(u64),
    /// A counter or gauge in seconds or another fractional unit.
    Float(f64),
    /// A histogram.
    Histogram(Histogram),
}

impl Value {
    /// The value as a float (histograms: their count).
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Int(v) => *v as f64,
            Value::Float(v) => *v,
            Value::Histogram(h) => h.count as f64,
        }
    }

    /// Adds another value of the same shape (folding series together).
    fn add(&mut self, other: &Value) {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => *a = a.saturating_add(*b),
            (Value::Float(a), Value::Float(b)) => *a += b,
            (Value::Histogram(a), Value::Histogram(b)) => {
                for (x, y) in a.cumulative.iter_mut().zip(&b.cumulative) {
                    *x += y;
                }
                a.count += b.count;
                a.sum += b.sum;
            }
            _ => {}
        }
    }
}

/// One series: its target (none for the exporter's own metrics), label values in the order of
/// the family's labels, and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Index into [`MetricSet::targets`].
    pub target: Option<u32>,
    /// Label values (unused positions are [`LabelValue::None`]).
    pub labels: [LabelValue; 3],
    /// The value.
    pub value: Value,
}

/// How many values a label may take before the rest are folded into `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Worker indices (also victims).
    pub workers: usize,
    /// Pools.
    pub pools: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            workers: 128,
            pools: 64,
        }
    }
}

/// Every series of one collection.
#[derive(Debug, Clone, Default)]
pub struct MetricSet {
    /// The runtimes.
    pub targets: Vec<Target>,
    /// The series of each family, indexed like [`FAMILIES`].
    pub families: Vec<Vec<Series>>,
    /// Series folded into `other` by this collection.
    pub folded: u64,
    limits: Limits,
}

const NONE: LabelValue = LabelValue::None;

impl MetricSet {
    /// An empty set with the given cardinality limits.
    pub fn new(limits: Limits) -> MetricSet {
        MetricSet {
            targets: Vec::new(),
            families: vec![Vec::new(); FAMILIES.len()],
            folded: 0,
            limits,
        }
    }

    /// The family definitions with their series, skipping families without any.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Family, &[Series])> {
        FAMILIES
            .iter()
            .zip(&self.families)
            .filter(|(_, s)| !s.is_empty())
            .map(|(f, s)| (f, s.as_slice()))
    }

    /// Adds a series of the exporter's own (no target labels).
    pub fn add_own(&mut self, family: usize, labels: [LabelValue; 3], value: Value) {
        self.families[family].push(Series {
            target: None,
            labels,
            value,
        });
    }

    /// The series of `family` whose first label is `label` (tests and tools).
    pub fn find(&self, family: &str, labels: &[&str]) -> Option<&Value> {
        let i = FAMILIES.iter().position(|f| f.name == family)?;
        self.families[i]
            .iter()
            .find(|s| {
                labels
                    .iter()
                    .zip(&s.labels)
                    .all(|(want, have)| have.to_string() == *want)
            })
            .map(|s| &s.value)
    }

    /// Adds every series of one runtime.
    pub fn add_runtime(&mut self, target: Target, snap: &Snapshot) {
        let t = self.targets.len() as u32;
        self.targets.push(target);
        let folded_before = self.folded;
        let mut b = Builder { set: self, t };
        b.runtime(snap);
        b.workers(snap);
        b.tasks(snap);
        b.pools(snap);
        b.io(snap);
        if self.folded != folded_before {
            self.merge_folded(t);
        }
    }

    /// Sums the series of target `t` that folding gave identical labels.
    fn merge_folded(&mut self, t: u32) {
        for family in &mut self.families {
            let mut merged: Vec<Series> = Vec::with_capacity(family.len());
            for s in family.drain(..) {
                let same = merged
                    .iter_mut()
                    .find(|m| m.target == Some(t) && s.target == Some(t) && m.labels == s.labels);
                match same {
                    Some(m) => m.value.add(&s.value),
                    None => merged.push(s),
                }
            }
            *family = merged;
        }
    }
}

/// Adds the series of one target.
struct Builder<'a> {
    set: &'a mut MetricSet,
    t: u32,
}

impl Builder<'_> {
    fn push(&mut self, family: usize, labels: [LabelValue; 3], value: Value) {
        self.set.families[family].push(Series {
            target: Some(self.t),
            labels,
            value,
        });
    }

    fn int(&mut self, family: usize, value: u64) {
        self.push(family, [NONE, NONE, NONE], Value::Int(value));
    }

    fn worker_label(&mut self, index: usize) -> LabelValue {
        if index < self.set.limits.workers {
            LabelValue::Index(index as u32)
        } else {
            self.set.folded += 1;
            LabelValue::Other
        }
    }

    fn runtime(&mut self, s: &Snapshot) {
        let h = &s.header;
        let labels = [
            LabelValue::Static(env!("CARGO_PKG_VERSION")),
            LabelValue::Text(Arc::from(h.backend.as_str())),
            LabelValue::Text(Arc::from(format!("{}.{}", h.abi_major, h.abi_minor))),
        ];
        self.push(id::BUILD_INFO, labels, Value::Int(1));
        self.int(id::WORKERS, h.workers as u64);
        let r = &s.runtime;
        self.int(id::GLOBAL_QUEUE, r.global_queue_depth);
        self.int(id::BLOCKING_THREADS, r.blocking_threads);
        self.int(id::BLOCKING_IDLE_THREADS, r.blocking_idle_threads);
        self.int(id::BLOCKING_QUEUE, r.blocking_queue_depth);
        self.int(id::TASK_TABLE_OVERFLOWS, r.task_table_overflows);
        self.int(id::STRINGS_OVERFLOWS, r.string_table_overflows);
    }

    fn workers(&mut self, s: &Snapshot) {
        let ring = s.header.ring_capacity as u64;
        let clock = s.runtime.clock_ns;
        for w in &s.workers {
            let l = [self.worker_label(w.index), NONE, NONE];
            let c = &w.counters;
            let per_worker = [
                (id::WORKER_POLLS, c.polls),
                (id::WORKER_STEALS, c.tasks_stolen),
                (id::WORKER_STEAL_OPERATIONS, c.steal_operations),
                (id::WORKER_STEAL_ATTEMPTS, c.steal_attempts),
                (id::WORKER_PARKS, c.parks),
                (id::WORKER_SPURIOUS_WAKEUPS, c.spurious_wakeups),
                (id::WORKER_LOCAL_QUEUE, c.local_queue_depth),
                (id::WORKER_LIFO_HITS, c.lifo_hits),
                (id::WORKER_FORCED_YIELDS, c.budget_forced_yields),
                (id::EVENTS_LOST, w.events_pushed.saturating_sub(ring)),
            ];
            for (family, v) in per_worker {
                self.push(family, l.clone(), Value::Int(v));
            }
            let busy = Value::Float(c.busy_ns as f64 / 1e9);
            self.push(id::WORKER_BUSY, l.clone(), busy);
            let running = if c.stuck_since_ns != 0 && c.current_task != 0 {
                clock.saturating_sub(c.stuck_since_ns)
            } else {
                0
            };
            self.push(
                id::WORKER_CURRENT_POLL,
                l.clone(),
                Value::Float(running as f64 / 1e9),
            );
            self.stolen_from(&l[0], &w.stolen_from);
        }
    }

    fn stolen_from(&mut self, thief: &LabelValue, row: &[u64]) {
        self.set.families[id::WORKER_STOLEN_FROM].reserve(row.len());
        for (victim, &n) in row.iter().enumerate().filter(|(_, &n)| n > 0) {
            let l = [thief.clone(), self.worker_label(victim), NONE];
            self.push(id::WORKER_STOLEN_FROM, l, Value::Int(n));
        }
    }

    fn tasks(&mut self, s: &Snapshot) {
        let r = &s.runtime;
        let sum = |f: fn(&zokio_telemetry::WorkerCounters) -> u64| -> u64 {
            s.workers.iter().map(|w| f(&w.counters)).sum()
        };
        self.int(id::TASK_ACTIVE, r.active_tasks);
        self.int(
            id::TASK_SPAWNED,
            r.spawned_remote + sum(|c| c.spawned_local),
        );
        let polled_completions = sum(|c| c.completed);
        let ok = polled_completions
            .saturating_sub(r.tasks_panicked)
            .saturating_sub(r.tasks_cancelled_in_poll);
        for (outcome, n) in [
            ("ok", ok),
            ("panic", r.tasks_panicked),
            ("cancelled", r.tasks_cancelled),
        ] {
            let l = [LabelValue::Static(outcome), NONE, NONE];
            self.push(id::TASK_COMPLETED, l, Value::Int(n));
        }
        let mut buckets = [0u64; HISTOGRAM_BUCKETS];
        for w in &s.workers {
            for (b, n) in buckets.iter_mut().zip(&w.counters.poll_histogram) {
                *b += n;
            }
        }
        let h = Histogram::from_log2(&buckets, POLL_BUCKETS_LOG2);
        self.push(
            id::TASK_POLL_DURATION,
            [NONE, NONE, NONE],
            Value::Histogram(h),
        );
        let h = Histogram::from_log2(&s.schedule_histogram(), POLL_BUCKETS_LOG2);
        self.push(
            id::TASK_SCHEDULE_DURATION,
            [NONE, NONE, NONE],
            Value::Histogram(h),
        );
        for lint in Lint::ALL {
            let n = s
                .workers
                .iter()
                .map(|w| w.counters.lints[lint.index()])
                .sum();
            let l = [LabelValue::Static(lint.as_str()), NONE, NONE];
            self.push(id::LINTS, l, Value::Int(n));
        }
    }

    fn pools(&mut self, s: &Snapshot) {
        for p in &s.pools {
            let label = if p.index < self.set.limits.pools {
                let name = p
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("pool-{}", p.index));
                LabelValue::Text(Arc::from(name))
            } else {
                self.set.folded += 1;
                LabelValue::Other
            };
            let c = &p.counters;
            let values = [
                c.bytes_held,
                c.in_use,
                c.capacity,
                c.hits + c.misses,
                c.misses,
                c.growth,
                c.remote_frees,
            ];
            self.pool(label, values);
        }
        let d = &s.io_driver;
        if d.buffer_capacity > 0 || d.buffer_hits + d.buffer_misses > 0 {
            let values = [
                d.buffer_capacity * d.buffer_size,
                d.buffers_in_use,
                d.buffer_capacity,
                d.buffer_hits + d.buffer_misses,
                d.buffer_misses,
                d.buffer_growth,
                0,
            ];
            self.pool(LabelValue::Static("io_buffers"), values);
        }
    }

    /// Memory, in use, capacity, allocations, misses, growth, remote frees.
    fn pool(&mut self, label: LabelValue, values: [u64; 7]) {
        let families = [
            id::POOL_MEMORY,
            id::POOL_IN_USE,
            id::POOL_CAPACITY,
            id::POOL_ALLOCATIONS,
            id::POOL_MISSES,
            id::POOL_GROWTH,
            id::POOL_REMOTE_FREES,
        ];
        for (family, v) in families.into_iter().zip(values) {
            self.push(family, [label.clone(), NONE, NONE], Value::Int(v));
        }
    }

    fn io(&mut self, s: &Snapshot) {
        for o in &s.io_ops {
            if matches!(o.op, IoOp::Unknown(_)) {
                continue;
            }
            let op = LabelValue::Static(o.op.as_str());
            let c = &o.counters;
            let l = [op.clone(), NONE, NONE];
            self.push(id::IO_SUBMISSIONS, l.clone(), Value::Int(c.submitted));
            let ok = c.completed.saturating_sub(c.errors + c.cancelled);
            for (result, n) in [("ok", ok), ("error", c.errors), ("cancelled", c.cancelled)] {
                let l = [op.clone(), LabelValue::Static(result), NONE];
                self.push(id::IO_COMPLETIONS, l, Value::Int(n));
            }
            self.push(id::IO_INFLIGHT, l.clone(), Value::Int(c.in_flight));
            let h = Histogram::from_log2(&c.latency_histogram, IO_BUCKETS_LOG2);
            self.push(id::IO_DURATION, l.clone(), Value::Histogram(h));
            self.push(id::IO_BYTES, l, Value::Int(c.bytes));
        }
        let d = &s.io_driver;
        self.int(id::IO_SQ_FULL, d.sq_full_waits);
        self.int(id::IO_CQ_OVERFLOWS, d.cq_overflows);
        self.int(id::IO_STRAY, d.stray_completions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bounds_are_exact() {
        let mut b = [0u64; HISTOGRAM_BUCKETS];
        b[0] = 1; // 0-2 ns
        b[9] = 2; // 512-1023 ns: below the first bound 1024
        b[10] = 3; // 1024-2047 ns: at or below 2048
        b[31] = 4; // beyond every bound
        let h = Histogram::from_log2(&b, 10..=12);
        assert_eq!(h.cumulative, vec![3, 6, 6]);
        assert_eq!(h.count, 10);
        let want = (1.0 + 2.0 * 768.0 + 3.0 * 1536.0 + 4.0 * 1.5 * (1u64 << 31) as f64) / 1e9;
        assert!((h.sum - want).abs() < 1e-12);
    }
}
