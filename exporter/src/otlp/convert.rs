//! A [`MetricSet`] as an OTLP `ExportMetricsServiceRequest`: pure data, no I/O.
//!
//! - One `ResourceMetrics` per runtime, with the resource attributes `service.name`,
//!   `process.pid`, `zokio.runtime` and, from `zokio_build_info`, `zokio.version`,
//!   `zokio.io_backend` and `zokio.abi` (build info is a resource's description in OTLP, not a
//!   metric). The exporter's own metrics get a resource of their own (`service.name` =
//!   `zokio-exporter`, the exporter's `process.pid`).
//! - Data points carry the same attribute keys as the Prometheus labels, values as strings
//!   (`worker="0"`, `op`, `pool`, `outcome`, `result`, `lint`, `victim`), plus the target labels
//!   `service`, `pid` and `runtime`: the standard OTLP-to-Prometheus translation then lands on
//!   the series `/metrics` shows.
//! - Counters are monotonic cumulative Sums, gauges Gauges, histograms cumulative explicit-bucket
//!   Histograms whose bounds are the power-of-two bounds in seconds and whose bucket counts are
//!   per bucket (OTLP) rather than cumulative (Prometheus), with the overflow bucket last.
//! - Names and units are the catalog's `otlp_name` and `otlp_unit`; descriptions its HELP text.

use crate::catalog::{id, Family, Kind, Scope, FAMILIES};
use crate::model::{Histogram, LabelValue, MetricSet, Series, Target, Value};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Gauge, HistogramDataPoint, Metric,
    NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

/// The times a request needs besides the set itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// The collection's time, ns since the Unix epoch.
    pub now_unix_ns: u64,
    /// When the exporter's own counters started (its cumulative sums' start time).
    pub exporter_started_unix_ns: u64,
}

/// The `service.name` of the exporter's own resource.
pub const EXPORTER_SERVICE: &str = "zokio-exporter";

/// The request carrying every series of `set`.
pub fn request(set: &MetricSet, times: Times) -> ExportMetricsServiceRequest {
    let mut out = Resources::new(set, times);
    for (i, (family, series)) in FAMILIES.iter().zip(&set.families).enumerate() {
        if i != id::BUILD_INFO {
            out.add_family(family, series);
        }
    }
    let resource_metrics = out
        .resources
        .into_iter()
        .filter(|r| r.scope_metrics.iter().any(|s| !s.metrics.is_empty()))
        .collect();
    ExportMetricsServiceRequest { resource_metrics }
}

/// The resources being filled: one per target, then the exporter's.
struct Resources<'a> {
    set: &'a MetricSet,
    times: Times,
    resources: Vec<ResourceMetrics>,
}

impl<'a> Resources<'a> {
    fn new(set: &'a MetricSet, times: Times) -> Resources<'a> {
        let mut resources: Vec<ResourceMetrics> = (0..set.targets.len())
            .map(|t| resource(runtime_attributes(set, t), "zokio"))
            .collect();
        let own = vec![
            string("service.name", EXPORTER_SERVICE),
            int("process.pid", std::process::id().into()),
        ];
        resources.push(resource(own, EXPORTER_SERVICE));
        Resources {
            set,
            times,
            resources,
        }
    }

    /// Adds a family's series to the metric of that family in each series' resource.
    fn add_family(&mut self, family: &'static Family, series: &[Series]) {
        let own = self.resources.len() - 1;
        // Where this family's metric sits in each resource, once made.
        let mut made: Vec<Option<usize>> = vec![None; self.resources.len()];
        for s in series {
            let (r, target) = match s.target {
                Some(t) => (t as usize, self.set.targets.get(t as usize)),
                None => (own, None),
            };
            let Some(slot) = made.get_mut(r) else {
                continue;
            };
            let metrics = &mut self.resources[r].scope_metrics[0].metrics;
            let at = *slot.get_or_insert_with(|| {
                metrics.push(metric(family));
                metrics.len() - 1
            });
            let start = target.map_or(self.times.exporter_started_unix_ns, |t| t.started_unix_ns);
            let attributes = attributes(family, s, target);
            push_point(
                &mut metrics[at],
                s,
                attributes,
                start,
                self.times.now_unix_ns,
            );
        }
    }
}

fn resource(attributes: Vec<KeyValue>, scope: &str) -> ResourceMetrics {
    ResourceMetrics {
        resource: Some(Resource {
            attributes,
            ..Default::default()
        }),
        scope_metrics: vec![ScopeMetrics {
            scope: Some(InstrumentationScope {
                name: scope.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..Default::default()
            }),
            metrics: Vec::new(),
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    }
}

/// `service.name`, `process.pid`, `zokio.runtime`, and the build info of target `t`.
fn runtime_attributes(set: &MetricSet, t: usize) -> Vec<KeyValue> {
    let target = &set.targets[t];
    let mut attributes = vec![
        string("service.name", &target.service),
        int("process.pid", target.pid.into()),
        int("zokio.runtime", saturating_i64(target.runtime)),
    ];
    let build = set.families[id::BUILD_INFO]
        .iter()
        .find(|s| s.target == Some(t as u32));
    if let Some(build) = build {
        for (key, value) in ["zokio.version", "zokio.io_backend", "zokio.abi"]
            .into_iter()
            .zip(&build.labels)
            .filter(|(_, v)| **v != LabelValue::None)
        {
            attributes.push(string(key, &value.to_string()));
        }
    }
    attributes
}

/// The family's labels, then the target labels (`service`, `pid`, `runtime`) for a runtime's.
fn attributes(family: &Family, s: &Series, target: Option<&Target>) -> Vec<KeyValue> {
    let mut out: Vec<KeyValue> = family
        .labels
        .iter()
        .zip(&s.labels)
        .map(|(key, value)| string(key, &value.to_string()))
        .collect();
    if let (Scope::Runtime, Some(t)) = (family.scope, target) {
        out.push(string("service", &t.service));
        out.push(string("pid", &t.pid.to_string()));
        out.push(string("runtime", &t.runtime.to_string()));
    }
    out
}

/// An empty metric of `family`'s name, unit, description and type.
fn metric(family: &Family) -> Metric {
    let cumulative = AggregationTemporality::Cumulative as i32;
    let data = match family.kind {
        Kind::Counter => Data::Sum(Sum {
            data_points: Vec::new(),
            aggregation_temporality: cumulative,
            is_monotonic: true,
        }),
        Kind::Gauge => Data::Gauge(Gauge {
            data_points: Vec::new(),
        }),
        Kind::Histogram => Data::Histogram(opentelemetry_proto::tonic::metrics::v1::Histogram {
            data_points: Vec::new(),
            aggregation_temporality: cumulative,
        }),
    };
    Metric {
        name: family.otlp_name.to_owned(),
        description: family.help.to_owned(),
        unit: family.otlp_unit.to_owned(),
        metadata: Vec::new(),
        data: Some(data),
    }
}

/// Adds one series to its metric; a value of the wrong shape for the metric is left out.
fn push_point(m: &mut Metric, s: &Series, attributes: Vec<KeyValue>, start: u64, now: u64) {
    match (&mut m.data, &s.value) {
        (Some(Data::Sum(sum)), v) => sum.data_points.extend(number(v, attributes, start, now)),
        (Some(Data::Gauge(g)), v) => g.data_points.extend(number(v, attributes, 0, now)),
        (Some(Data::Histogram(h)), Value::Histogram(v)) => {
            h.data_points.push(histogram(v, attributes, start, now));
        }
        _ => {}
    }
}

fn number(v: &Value, attributes: Vec<KeyValue>, start: u64, now: u64) -> Option<NumberDataPoint> {
    let value = match *v {
        Value::Int(n) => number_data_point::Value::AsInt(saturating_i64(n)),
        Value::Float(x) => number_data_point::Value::AsDouble(x),
        Value::Histogram(_) => return None,
    };
    Some(NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(value),
        ..Default::default()
    })
}

/// Per-bucket counts from the cumulative ones: bucket `i` holds `(bound[i-1], bound[i]]`, and
/// the last one everything above the highest bound.
fn histogram(h: &Histogram, attributes: Vec<KeyValue>, start: u64, now: u64) -> HistogramDataPoint {
    let explicit_bounds = h
        .bounds_log2
        .clone()
        .map(|k| (1u64 << k) as f64 / 1e9)
        .collect();
    let mut below = 0u64;
    let mut bucket_counts: Vec<u64> = h
        .cumulative
        .iter()
        .map(|&c| {
            let n = c.saturating_sub(below);
            below = below.max(c);
            n
        })
        .collect();
    bucket_counts.push(h.count.saturating_sub(below));
    HistogramDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        count: h.count,
        sum: Some(h.sum),
        bucket_counts,
        explicit_bounds,
        ..Default::default()
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn string(key: &str, value: &str) -> KeyValue {
    key_value(key, any_value::Value::StringValue(value.to_owned()))
}

fn int(key: &str, value: i64) -> KeyValue {
    key_value(key, any_value::Value::IntValue(value))
}

fn key_value(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::POLL_BUCKETS_LOG2;
    use crate::model::Limits;
    use opentelemetry_proto::tonic::metrics::v1::Histogram as OtlpHistogram;
    use zokio_telemetry::{HeaderInfo, Snapshot, WorkerSnapshot, HISTOGRAM_BUCKETS, LINT_SLOTS};

    const TIMES: Times = Times {
        now_unix_ns: 2_000,
        exporter_started_unix_ns: 500,
    };

    /// One runtime with two workers, and the exporter's own series.
    fn set() -> MetricSet {
        let mut snap = Snapshot {
            header: HeaderInfo {
                workers: 2,
                backend: "io_uring".into(),
                abi_major: 1,
                abi_minor: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        snap.runtime.spawned_remote = 40;
        for index in 0..2 {
            let mut w = WorkerSnapshot {
                index,
                stolen_from: vec![0, 0],
                ..Default::default()
            };
            w.counters.polls = 100 + index as u64;
            w.counters.spawned_local = 1;
            w.counters.busy_ns = 1_500_000_000;
            w.counters.poll_histogram = vec![0; HISTOGRAM_BUCKETS];
            w.counters.lints = vec![0; LINT_SLOTS];
            w.counters.poll_histogram[3] = 5; // 8-16 ns: in the first bucket
            w.counters.poll_histogram[10] = 2; // 1024-2047 ns: in (1024, 2048]
            w.counters.poll_histogram[30] = 1; // 2^30 ns and more: beyond every bound
            snap.workers.push(w);
        }
        let mut set = MetricSet::new(Limits::default());
        let target = Target {
            service: "svc".into(),
            pid: 42,
            runtime: 3,
            started_unix_ns: 1_000,
        };
        set.add_runtime(target, &snap);
        let none = || [LabelValue::None, LabelValue::None, LabelValue::None];
        set.add_own(id::EXPORTER_SCRAPES, none(), Value::Int(7));
        set.add_own(id::EXPORTER_TARGETS, none(), Value::Int(1));
        set
    }

    fn find<'a>(r: &'a ResourceMetrics, name: &str) -> &'a Metric {
        let metrics = &r.scope_metrics[0].metrics;
        metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    }

    fn attr(attributes: &[KeyValue], key: &str) -> Option<any_value::Value> {
        let kv = attributes.iter().find(|kv| kv.key == key)?;
        kv.value.as_ref()?.value.clone()
    }

    fn s(v: &str) -> Option<any_value::Value> {
        Some(any_value::Value::StringValue(v.into()))
    }

    #[test]
    fn each_kind_becomes_its_otlp_type() {
        let req = request(&set(), TIMES);
        let rt = &req.resource_metrics[0];
        for family in FAMILIES.iter().filter(|f| f.scope == Scope::Runtime) {
            if family.name == "zokio_build_info" {
                continue;
            }
            let Some(m) = rt.scope_metrics[0]
                .metrics
                .iter()
                .find(|m| m.name == family.otlp_name)
            else {
                continue; // no series in this set (pools, I/O)
            };
            assert_eq!(m.unit, family.otlp_unit, "{}", family.name);
            assert_eq!(m.description, family.help);
            let cumulative = AggregationTemporality::Cumulative as i32;
            match (family.kind, &m.data) {
                (Kind::Counter, Some(Data::Sum(sum))) => {
                    assert!(sum.is_monotonic, "{}", family.name);
                    assert_eq!(sum.aggregation_temporality, cumulative);
                    assert!(sum
                        .data_points
                        .iter()
                        .all(|p| p.start_time_unix_nano == 1_000));
                }
                (Kind::Gauge, Some(Data::Gauge(g))) => assert!(!g.data_points.is_empty()),
                (Kind::Histogram, Some(Data::Histogram(h))) => {
                    assert_eq!(h.aggregation_temporality, cumulative);
                }
                (kind, data) => panic!("{}: {kind:?} became {data:?}", family.name),
            }
        }
        assert!(rt.scope_metrics[0]
            .metrics
            .iter()
            .all(|m| m.name != "zokio.build.info"));
    }

    #[test]
    fn values_and_attributes_are_exact() {
        let req = request(&set(), TIMES);
        let rt = &req.resource_metrics[0];
        let Some(Data::Sum(spawned)) = &find(rt, "zokio.task.spawned").data else {
            panic!("a sum")
        };
        let p = &spawned.data_points[0];
        assert_eq!(p.value, Some(number_data_point::Value::AsInt(42)));
        assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (1_000, 2_000));
        assert_eq!(attr(&p.attributes, "service"), s("svc"));
        assert_eq!(attr(&p.attributes, "pid"), s("42"));
        assert_eq!(attr(&p.attributes, "runtime"), s("3"));
        let Some(Data::Sum(polls)) = &find(rt, "zokio.worker.polls").data else {
            panic!("a sum")
        };
        let by_worker: Vec<_> = polls
            .data_points
            .iter()
            .map(|p| (attr(&p.attributes, "worker"), p.value))
            .collect();
        let int = |n| Some(number_data_point::Value::AsInt(n));
        assert_eq!(by_worker, vec![(s("0"), int(100)), (s("1"), int(101))]);
        let Some(Data::Sum(busy)) = &find(rt, "zokio.worker.busy_time").data else {
            panic!("a sum")
        };
        let as_double = Some(number_data_point::Value::AsDouble(1.5));
        assert_eq!(busy.data_points[0].value, as_double);
        let Some(Data::Gauge(workers)) = &find(rt, "zokio.workers").data else {
            panic!("a gauge")
        };
        assert_eq!(workers.data_points[0].value, int(2));
        assert_eq!(workers.data_points[0].start_time_unix_nano, 0);
    }

    #[test]
    fn histogram_buckets_are_per_bucket_with_bounds_in_seconds() {
        let req = request(&set(), TIMES);
        let m = find(&req.resource_metrics[0], "zokio.task.poll.duration");
        let Some(Data::Histogram(OtlpHistogram { data_points, .. })) = &m.data else {
            panic!("a histogram")
        };
        let p = &data_points[0];
        let n = POLL_BUCKETS_LOG2.count();
        assert_eq!(p.explicit_bounds.len(), n);
        assert_eq!(p.explicit_bounds[0], 1024e-9);
        assert_eq!(p.explicit_bounds[n - 1], (1u64 << 27) as f64 / 1e9);
        assert_eq!(p.bucket_counts.len(), n + 1);
        let mut want = vec![0u64; n + 1];
        want[0] = 10; // 2 x 5 below 1024 ns
        want[1] = 4; // 2 x 2 in (1024, 2048] ns
        want[n] = 2; // 2 x 1 above 2^27 ns
        assert_eq!(p.bucket_counts, want);
        assert_eq!(p.count, 16);
        assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count);
        assert!(p.sum.is_some_and(|s| s > 0.0));
    }

    #[test]
    fn resources_describe_the_runtime_and_the_exporter() {
        let req = request(&set(), TIMES);
        assert_eq!(req.resource_metrics.len(), 2);
        let rt = req.resource_metrics[0].resource.as_ref().unwrap();
        let int = |n| Some(any_value::Value::IntValue(n));
        assert_eq!(attr(&rt.attributes, "service.name"), s("svc"));
        assert_eq!(attr(&rt.attributes, "process.pid"), int(42));
        assert_eq!(attr(&rt.attributes, "zokio.runtime"), int(3));
        assert_eq!(attr(&rt.attributes, "zokio.io_backend"), s("io_uring"));
        assert_eq!(attr(&rt.attributes, "zokio.abi"), s("1.1"));
        assert_eq!(
            attr(&rt.attributes, "zokio.version"),
            s(env!("CARGO_PKG_VERSION"))
        );
        let own = &req.resource_metrics[1];
        let attributes = &own.resource.as_ref().unwrap().attributes;
        assert_eq!(attr(attributes, "service.name"), s(EXPORTER_SERVICE));
        assert_eq!(
            attr(attributes, "process.pid"),
            int(std::process::id().into())
        );
        let Some(Data::Sum(scrapes)) = &find(own, "zokio.exporter.scrapes").data else {
            panic!("a sum")
        };
        let p = &scrapes.data_points[0];
        assert_eq!(p.value, Some(number_data_point::Value::AsInt(7)));
        assert_eq!(p.start_time_unix_nano, 500);
        assert!(
            p.attributes.is_empty(),
            "no target labels on the exporter's own"
        );
    }

    #[test]
    fn an_empty_set_has_no_resources() {
        let req = request(&MetricSet::new(Limits::default()), TIMES);
        assert!(req.resource_metrics.is_empty());
    }
}
