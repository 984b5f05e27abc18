//! A `prometheus` crate [`Collector`] over an [`Exporter`]: the same families, names and
//! values as the `/metrics` endpoint, for a service that already serves its own `Registry`.

use crate::catalog::{Family, Kind, Scope, FAMILIES, TARGET_LABELS};
use crate::exporter::Exporter;
use crate::model::{MetricSet, Series, Value};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, LabelPair, Metric, MetricFamily, MetricType};

/// Zokio's metrics as a `prometheus` crate collector.
///
/// ```
/// let registry = prometheus::Registry::new();
/// registry.register(Box::new(zokio_exporter::ZokioCollector::new()))?;
/// let families = registry.gather();
/// # Ok::<(), prometheus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ZokioCollector {
    exporter: Exporter,
    descs: Vec<Desc>,
}

impl ZokioCollector {
    /// The runtimes of this process.
    pub fn new() -> ZokioCollector {
        ZokioCollector::with_exporter(Exporter::this_process())
    }

    /// Over `exporter`.
    pub fn with_exporter(exporter: Exporter) -> ZokioCollector {
        let descs = FAMILIES
            .iter()
            .filter_map(|f| {
                let target = match f.scope {
                    Scope::Runtime => &TARGET_LABELS[..],
                    Scope::Exporter => &[],
                };
                let labels = target
                    .iter()
                    .chain(f.labels)
                    .map(|l| l.to_string())
                    .collect();
                Desc::new(f.name.into(), f.help.into(), labels, Default::default()).ok()
            })
            .collect();
        ZokioCollector { exporter, descs }
    }
}

impl Default for ZokioCollector {
    fn default() -> ZokioCollector {
        ZokioCollector::new()
    }
}

impl Collector for ZokioCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        families(&self.exporter.collect())
    }
}

/// The `prometheus` crate's model of `set`.
pub(crate) fn families(set: &MetricSet) -> Vec<MetricFamily> {
    set.iter()
        .map(|(f, series)| {
            let mut mf = MetricFamily::default();
            mf.set_name(f.name.into());
            mf.set_help(f.help.into());
            mf.set_field_type(match f.kind {
                Kind::Counter => MetricType::COUNTER,
                Kind::Gauge => MetricType::GAUGE,
                Kind::Histogram => MetricType::HISTOGRAM,
            });
            let metrics = series.iter().map(|s| metric(set, f, s)).collect();
            mf.set_metric(metrics);
            mf
        })
        .collect()
}

fn metric(set: &MetricSet, f: &Family, s: &Series) -> Metric {
    let mut pairs = Vec::new();
    let pair = |name: &str, value: String| {
        let mut p = LabelPair::default();
        p.set_name(name.into());
        p.set_value(value);
        p
    };
    if let Some(t) = s.target.and_then(|t| set.targets.get(t as usize)) {
        pairs.push(pair(TARGET_LABELS[0], t.service.clone()));
        pairs.push(pair(TARGET_LABELS[1], t.pid.to_string()));
        pairs.push(pair(TARGET_LABELS[2], t.runtime.to_string()));
    }
    for (name, value) in f.labels.iter().zip(&s.labels) {
        pairs.push(pair(name, value.to_string()));
    }
    let mut m = Metric::from_label(pairs);
    match &s.value {
        Value::Histogram(h) => {
            let mut ph = proto::Histogram::default();
            ph.set_sample_count(h.count);
            ph.set_sample_sum(h.sum);
            let buckets = h.bounds_log2.clone().zip(&h.cumulative).map(|(k, &n)| {
                let mut b = proto::Bucket::default();
                b.set_upper_bound((1u64 << k) as f64 / 1e9);
                b.set_cumulative_count(n);
                b
            });
            ph.set_bucket(buckets.collect());
            m.set_histogram(ph);
        }
        v if f.kind == Kind::Counter => {
            let mut c = proto::Counter::default();
            c.set_value(v.as_f64());
            m.set_counter(c);
        }
        v => {
            let mut g = proto::Gauge::default();
            g.set_value(v.as_f64());
            m.set_gauge(g);
        }
    }
    m
}
