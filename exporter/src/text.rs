//! The Prometheus text exposition format, version 0.0.4: pure functions writing into a
//! `&mut String`.

use crate::catalog::{Family, TARGET_LABELS};
use crate::model::{Histogram, LabelValue, MetricSet, Series, Target, Value};
use std::fmt::Write;

/// The `Content-Type` of what [`render`] writes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Appends every family of `set` with at least one series: `# HELP`, `# TYPE`, then its series.
pub fn render(set: &MetricSet, out: &mut String) {
    let prefixes: Vec<String> = set.targets.iter().map(target_prefix).collect();
    for (family, series) in set.iter() {
        header(family, out);
        for s in series {
            let prefix = s.target.and_then(|t| prefixes.get(t as usize));
            let prefix = prefix.map_or("", String::as_str);
            sample(family, prefix, s, out);
        }
    }
}

fn header(family: &Family, out: &mut String) {
    out.push_str("# HELP ");
    out.push_str(family.name);
    out.push(' ');
    escape_help(family.help, out);
    out.push_str("\n# TYPE ");
    out.push_str(family.name);
    out.push(' ');
    out.push_str(family.kind.as_str());
    out.push('\n');
}

/// `service="...",pid="...",runtime="..."`.
fn target_prefix(t: &Target) -> String {
    let mut s = String::with_capacity(48 + t.service.len());
    s.push_str(TARGET_LABELS[0]);
    s.push_str("=\"");
    escape_label(&t.service, &mut s);
    let _ = write!(
        s,
        "\",{}=\"{}\",{}=\"{}\"",
        TARGET_LABELS[1], t.pid, TARGET_LABELS[2], t.runtime
    );
    s
}

fn sample(family: &Family, prefix: &str, s: &Series, out: &mut String) {
    match &s.value {
        Value::Int(v) => {
            labels(family.name, "", prefix, family, s, out);
            out.push(' ');
            out.push_str(itoa::Buffer::new().format(*v));
            out.push('\n');
        }
        Value::Float(v) => {
            labels(family.name, "", prefix, family, s, out);
            let _ = writeln!(out, " {v}");
        }
        Value::Histogram(h) => histogram(family, prefix, s, h, out),
    }
}

fn histogram(family: &Family, prefix: &str, s: &Series, h: &Histogram, out: &mut String) {
    let mut num = itoa::Buffer::new();
    let bounds = h.bounds_log2.clone().map(Some).chain([None]);
    let counts = h.cumulative.iter().chain([&h.count]);
    for (k, n) in bounds.zip(counts) {
        out.push_str(family.name);
        out.push_str("_bucket{");
        if label_list(prefix, family, s, out) {
            out.push(',');
        }
        out.push_str("le=\"");
        match k {
            Some(k) => seconds_of_pow2_ns(k, out),
            None => out.push_str("+Inf"),
        }
        out.push_str("\"} ");
        out.push_str(num.format(*n));
        out.push('\n');
    }
    labels(family.name, "_sum", prefix, family, s, out);
    let _ = writeln!(out, " {}", h.sum);
    labels(family.name, "_count", prefix, family, s, out);
    out.push(' ');
    out.push_str(num.format(h.count));
    out.push('\n');
}

/// `name{labels}`, or just `name` for a series without labels.
fn labels(name: &str, suffix: &str, prefix: &str, family: &Family, s: &Series, out: &mut String) {
    out.push_str(name);
    out.push_str(suffix);
    if prefix.is_empty() && family.labels.is_empty() {
        return;
    }
    out.push('{');
    label_list(prefix, family, s, out);
    out.push('}');
}

/// The target labels then the family's, comma-separated; whether any was written.
fn label_list(prefix: &str, family: &Family, s: &Series, out: &mut String) -> bool {
    out.push_str(prefix);
    let mut any = !prefix.is_empty();
    for (key, value) in family.labels.iter().zip(&s.labels) {
        if any {
            out.push(',');
        }
        any = true;
        out.push_str(key);
        out.push_str("=\"");
        label_value(value, out);
        out.push('"');
    }
    any
}

fn label_value(v: &LabelValue, out: &mut String) {
    match v {
        LabelValue::Index(i) => out.push_str(itoa::Buffer::new().format(*i)),
        LabelValue::Static(s) => escape_label(s, out),
        LabelValue::Text(s) => escape_label(s, out),
        LabelValue::Other => out.push_str("other"),
        LabelValue::None => {}
    }
}

/// `2^k` ns in seconds, exactly, in decimal: `2^k` with the point moved nine places left.
pub fn seconds_of_pow2_ns(k: u32, out: &mut String) {
    let ns = 1u128 << k;
    let (whole, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    out.push_str(itoa::Buffer::new().format(whole));
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape_label(s: &str, out: &mut String) {
    if !s.contains(['\\', '"', '\n']) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// HELP text escapes `\` and newlines.
fn escape_help(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_bounds_print_exactly() {
        let s = |k| {
            let mut out = String::new();
            seconds_of_pow2_ns(k, &mut out);
            out
        };
        assert_eq!(s(10), "0.000001024");
        assert_eq!(s(27), "0.134217728");
        assert_eq!(s(30), "1.073741824");
        assert_eq!(s(0), "0.000000001");
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        escape_label("a\"b\\c\nd", &mut out);
        assert_eq!(out, "a\\\"b\\\\c\\nd");
    }
}
