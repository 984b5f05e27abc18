//! [`Exporter`]: the targets, the exporter's own counters, and a collection of both.

use crate::catalog::id;
use crate::model::{LabelValue, Limits, MetricSet, Value};
use crate::targets::Targets;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// The exporter's own counters, shared with the OTLP pusher.
#[derive(Debug, Default)]
pub struct Stats {
    /// Collections served.
    pub scrapes: AtomicU64,
    /// Series folded into `other` over the exporter's life.
    pub folded: AtomicU64,
    /// OTLP exports accepted by the collector.
    pub otlp_ok: AtomicU64,
    /// OTLP attempts that will be retried.
    pub otlp_retries: AtomicU64,
    /// OTLP batches dropped.
    pub otlp_dropped: AtomicU64,
}

/// Reads runtimes' segments and turns them into metrics. Cheap to clone; collections from
/// several threads take turns (each takes well under a millisecond).
#[derive(Debug, Clone)]
pub struct Exporter {
    targets: Arc<Mutex<Targets>>,
    limits: Limits,
    stats: Arc<Stats>,
    /// The length of the last text rendered: the next one reserves as much at once.
    last_len: Arc<AtomicUsize>,
}

impl Exporter {
    /// An exporter of `targets`.
    pub fn new(targets: Targets) -> Exporter {
        Exporter {
            targets: Arc::new(Mutex::new(targets)),
            limits: Limits::default(),
            stats: Arc::new(Stats::default()),
            last_len: Arc::new(AtomicUsize::new(16 * 1024)),
        }
    }

    /// The runtimes of this process.
    pub fn this_process() -> Exporter {
        Exporter::new(Targets::this_process())
    }

    /// Every Zokio process of this user.
    pub fn all_processes() -> Exporter {
        Exporter::new(Targets::all())
    }

    /// Sets the label cardinality limits.
    pub fn with_limits(mut self, limits: Limits) -> Exporter {
        self.limits = limits;
        self
    }

    /// The exporter's own counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Every series now: the runtimes' and the exporter's own.
    pub fn collect(&self) -> MetricSet {
        let mut set = MetricSet::new(self.limits);
        let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets.collect(&mut set);
        let (n, read_errors) = (targets.len(), targets.read_errors);
        drop(targets);
        let s = &*self.stats;
        let scrapes = s.scrapes.fetch_add(1, Relaxed) + 1;
        let folded = s.folded.fetch_add(set.folded, Relaxed) + set.folded;
        let none = || [LabelValue::None, LabelValue::None, LabelValue::None];
        set.add_own(id::EXPORTER_TARGETS, none(), Value::Int(n as u64));
        set.add_own(id::EXPORTER_READ_ERRORS, none(), Value::Int(read_errors));
        set.add_own(id::EXPORTER_FOLDED, none(), Value::Int(folded));
        set.add_own(id::EXPORTER_SCRAPES, none(), Value::Int(scrapes));
        for (result, counter) in [
            ("ok", &s.otlp_ok),
            ("retry", &s.otlp_retries),
            ("dropped", &s.otlp_dropped),
        ] {
            let l = [
                LabelValue::Static(result),
                LabelValue::None,
                LabelValue::None,
            ];
            set.add_own(
                id::EXPORTER_OTLP_EXPORTS,
                l,
                Value::Int(counter.load(Relaxed)),
            );
        }
        let dropped = Value::Int(s.otlp_dropped.load(Relaxed));
        set.add_own(id::EXPORTER_OTLP_DROPPED, none(), dropped);
        set
    }

    /// Every series now, in the Prometheus text format.
    pub fn render(&self) -> String {
        let set = self.collect();
        let mut out = String::with_capacity(self.last_len.load(Relaxed) + 4096);
        crate::text::render(&set, &mut out);
        self.last_len.store(out.len(), Relaxed);
        out
    }
}
