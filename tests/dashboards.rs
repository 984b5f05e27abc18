//! The dashboards and the rules file against the exporter's catalog, without running anything:
//! every metric they name is one the exporter publishes (histograms only through `_bucket`,
//! `_sum` and `_count`), every family of the catalog is charted, every dashboard selector filters
//! on the template variables, every variable a query uses is defined, and every alert has a
//! summary and a description. (tests/prometheus_e2e.rs runs the same queries on real data.)

mod e2e;

use e2e::promql::{self, metric_names, selector_at};
use std::collections::BTreeSet;
use zokio_exporter::catalog::{Family, Kind, Scope, FAMILIES};

/// The family a metric name belongs to, if the exporter publishes that name.
fn family_of(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| match f.kind {
        Kind::Histogram => ["_bucket", "_sum", "_count"]
            .iter()
            .any(|s| name.strip_suffix(s) == Some(f.name)),
        _ => name == f.name,
    })
}

/// The rules file without its comment lines.
fn rules_text() -> String {
    let text = std::fs::read_to_string(promql::rules_file()).unwrap();
    let lines = text.lines().filter(|l| !l.trim_start().starts_with('#'));
    lines.collect::<Vec<_>>().join("\n")
}

#[test]
fn every_metric_named_is_in_the_catalog() {
    let mut sources = promql::dashboard_exprs(false);
    sources.push(("zokio.rules.yml".into(), rules_text()));
    let mut unknown = Vec::new();
    for (at, expr) in &sources {
        for (name, _) in metric_names(expr) {
            if family_of(&name).is_none() {
                unknown.push(format!("{at}: {name}"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "not in catalog.rs:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn every_family_is_charted() {
    let charted: BTreeSet<&str> = promql::panel_queries()
        .iter()
        .flat_map(|q| metric_names(&q.expr))
        .filter_map(|(name, _)| family_of(&name).map(|f| f.name))
        .collect();
    let missing: Vec<&str> = FAMILIES
        .iter()
        .map(|f| f.name)
        .filter(|n| !charted.contains(n))
        .collect();
    assert!(missing.is_empty(), "no dashboard panel charts {missing:?}");
}

const JOB: &str = r#"job=~"$job""#;
const INSTANCE: &str = r#"instance=~"$instance""#;
const SERVICE: &str = r#"service=~"$service""#;

/// The filters a selector of `family` needs at `at`: the variables chain job -> instance ->
/// service; panels filter on all of them (exporter families have no `service`).
fn required_filters(at: &str, family: &Family) -> Vec<&'static str> {
    if at.ends_with("variable job") {
        vec![]
    } else if at.ends_with("variable instance") {
        vec![JOB]
    } else if at.contains(" / variable ") || family.scope == Scope::Exporter {
        vec![JOB, INSTANCE]
    } else {
        vec![JOB, INSTANCE, SERVICE]
    }
}

#[test]
fn every_selector_filters_on_the_template_variables() {
    let mut bad = Vec::new();
    for (at, expr) in promql::dashboard_exprs(false) {
        for (name, start) in metric_names(&expr) {
            let Some(family) = family_of(&name) else {
                continue;
            };
            let selector = selector_at(&expr, start + name.len()).unwrap_or_default();
            for want in required_filters(&at, family) {
                if !selector.contains(want) {
                    bad.push(format!("{at}: {name}{{{selector}}} lacks {want}"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn queries_use_only_defined_variables() {
    let builtins = ["__rate_interval", "__interval", "__range", "__all"];
    for (file, d) in promql::dashboards() {
        let list = d["templating"]["list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let defined: Vec<String> = list
            .iter()
            .filter_map(|v| v["name"].as_str().map(str::to_owned))
            .collect();
        let values: Vec<(&str, &str)> = defined
            .iter()
            .map(String::as_str)
            .chain(builtins)
            .map(|n| (n, "x"))
            .collect();
        for q in promql::panel_queries()
            .iter()
            .filter(|q| q.dashboard == file)
        {
            if let Err(e) = promql::substitute(&q.expr, &values) {
                panic!("{file} / {}: {e}", q.panel);
            }
        }
    }
}

#[test]
fn every_alert_has_a_summary_and_a_description() {
    let text = rules_text();
    let rules: Vec<&str> = text.split("\n      - ").skip(1).collect();
    let alerts: Vec<&&str> = rules.iter().filter(|r| r.starts_with("alert:")).collect();
    assert!(alerts.len() >= 6, "{} alerts", alerts.len());
    for a in alerts {
        let name = a.lines().next().unwrap_or_default();
        for key in ["annotations:", "summary:", "description:", "severity:"] {
            assert!(a.contains(key), "{name}: no {key}");
        }
    }
}
