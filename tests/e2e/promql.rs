//! What the tests read from the dashboards and the rules file: the PromQL of every panel, the
//! template variables, Grafana's `$variables` replaced by values, the metric names an
//! expression uses, and an alert expression without its thresholds.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// One query of a dashboard panel.
#[derive(Debug, Clone)]
pub struct PanelQuery {
    pub dashboard: String,
    pub panel: String,
    pub ref_id: String,
    pub expr: String,
}

/// `dashboards/` of the workspace.
pub fn dashboards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards")
}

/// `dashboards/rules/zokio.rules.yml`.
pub fn rules_file() -> PathBuf {
    dashboards_dir().join("rules").join("zokio.rules.yml")
}

/// Every dashboard: file name and JSON, in name order.
pub fn dashboards() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dashboards_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no dashboards in {:?}", dashboards_dir());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            (p.file_name().unwrap().to_string_lossy().into_owned(), json)
        })
        .collect()
}

/// Top-level panels and the panels nested in rows.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    let top = dashboard["panels"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    top.iter()
        .flat_map(|p| {
            let nested = p["panels"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            std::iter::once(p).chain(nested)
        })
        .collect()
}

/// Every panel query of every dashboard.
pub fn panel_queries() -> Vec<PanelQuery> {
    let mut out = Vec::new();
    for (file, d) in dashboards() {
        for p in panels(&d) {
            for t in p["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                out.push(PanelQuery {
                    dashboard: file.clone(),
                    panel: p["title"].as_str().unwrap_or("?").to_owned(),
                    ref_id: t["refId"].as_str().unwrap_or("?").to_owned(),
                    expr: t["expr"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    out
}

/// The query variables of a dashboard: name and query (`label_values(...)`).
pub fn query_variables(dashboard: &Value) -> Vec<(String, String)> {
    let list = dashboard["templating"]["list"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    list.iter()
        .filter(|v| v["type"] == "query")
        .map(|v| {
            let name = v["name"].as_str().unwrap_or_default().to_owned();
            (name, v["query"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// `label_values(SELECTOR, LABEL)` as PromQL returning one series per value of `LABEL`.
pub fn label_values_as_promql(query: &str) -> Option<String> {
    let inner = query
        .trim()
        .strip_prefix("label_values(")?
        .strip_suffix(')')?;
    let (selector, label) = inner.rsplit_once(',')?;
    Some(format!("group by ({}) ({})", label.trim(), selector.trim()))
}

/// Every expression of the dashboards with where it is: each panel query, and each query
/// variable's query (as PromQL when `as_promql`: `label_values(sel, label)` becomes
/// `group by (label) (sel)`).
pub fn dashboard_exprs(as_promql: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = panel_queries()
        .into_iter()
        .map(|q| {
            (
                format!("{} / {} / {}", q.dashboard, q.panel, q.ref_id),
                q.expr,
            )
        })
        .collect();
    for (file, d) in dashboards() {
        for (name, query) in query_variables(&d) {
            let expr = match as_promql {
                true => label_values_as_promql(&query)
                    .unwrap_or_else(|| panic!("{file}: variable {name}: {query}")),
                false => query,
            };
            out.push((format!("{file} / variable {name}"), expr));
        }
    }
    out
}

/// Replaces Grafana's `$name`, `${name}` and `${name:format}` with `values`; an unknown name
/// is an error (a dashboard using a variable it does not define).
pub fn substitute(expr: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced
                    .find('}')
                    .ok_or_else(|| format!("unclosed ${{ in {expr}"))?;
                let name = braced[..end].split(':').next().unwrap_or_default();
                (name, end + 2)
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        let value = values.iter().find(|(n, _)| *n == name);
        let (_, value) = value.ok_or_else(|| format!("unknown variable ${name} in {expr}"))?;
        out.push_str(value);
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The metric names (`zokio_...`) an expression uses, with their byte offsets: identifiers
/// outside quotes that are not part of a recording rule's `level:metric:operation` name.
pub fn metric_names(expr: &str) -> Vec<(String, usize)> {
    let b = expr.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    let mut out = Vec::new();
    let (mut i, mut quoted) = (0, false);
    while i < b.len() {
        if b[i] == b'"' && (i == 0 || b[i - 1] != b'\\') {
            quoted = !quoted;
        }
        if !quoted && expr[i..].starts_with("zokio_") && (i == 0 || !ident(b[i - 1])) {
            let end = (i..b.len()).find(|&j| !ident(b[j])).unwrap_or(b.len());
            if !expr[i..end].contains(':') {
                out.push((expr[i..end].to_owned(), i));
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// The `{...}` selector right after the metric name ending at `end`, if any.
pub fn selector_at(expr: &str, end: usize) -> Option<&str> {
    let rest = expr[end..].strip_prefix('{')?;
    rest.find('}').map(|close| &rest[..close])
}

/// An alert expression without its thresholds: split at the top-level `and`/`or`/`unless`,
/// each part without a trailing top-level comparison with a number. `a > 1 and deriv(b[5m]) > 0`
/// gives `a` and `deriv(b[5m])`.
pub fn without_thresholds(expr: &str) -> Vec<String> {
    let expr = expr.replace('\n', " ");
    split_top_level(&expr)
        .into_iter()
        .map(|part| strip_comparison(part).trim().to_owned())
        .collect()
}

/// Byte offsets at paren/brace/bracket depth 0 and outside quotes, with the character.
fn top_level(expr: &str) -> Vec<(usize, char)> {
    let (mut depth, mut quoted, mut prev) = (0i32, false, ' ');
    let mut out = Vec::new();
    for (i, c) in expr.char_indices() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            '(' | '{' | '[' if !quoted => depth += 1,
            ')' | '}' | ']' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 => out.push((i, c)),
            _ => {}
        }
        prev = c;
    }
    out
}

fn split_top_level(expr: &str) -> Vec<&str> {
    let top = top_level(expr);
    let at_top = |i: usize| top.binary_search_by_key(&i, |&(j, _)| j).is_ok();
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in expr.char_indices() {
        for op in [" and ", " or ", " unless "] {
            if i >= start && expr[i..].starts_with(op) && at_top(i) {
                parts.push(&expr[start..i]);
                start = i + op.len();
            }
        }
    }
    parts.push(&expr[start..]);
    parts
}

fn strip_comparison(part: &str) -> &str {
    let top = top_level(part);
    for op in ["==", "!=", ">=", "<=", ">", "<"] {
        let found = top
            .iter()
            .rev()
            .map(|&(i, _)| i)
            .find(|&i| part[i..].starts_with(op));
        let Some(i) = found else { continue };
        let rhs = part[i + op.len()..].trim();
        let rhs = rhs.strip_prefix("bool ").unwrap_or(rhs).trim();
        if rhs.parse::<f64>().is_ok() {
            return &part[..i];
        }
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted() {
        let v = [("job", "demo"), ("__rate_interval", "5s")];
        let e = r#"rate(x{job=~"$job"}[$__rate_interval]) + y{job="${job}",a="${job:regex}"}"#;
        assert_eq!(
            substitute(e, &v).unwrap(),
            r#"rate(x{job=~"demo"}[5s]) + y{job="demo",a="demo"}"#
        );
        assert!(substitute("x{a=\"$nope\"}", &v).is_err());
    }

    #[test]
    fn thresholds_are_stripped() {
        let e = r#"zokio_q > 100 and deriv(zokio_q[5m]) > 0"#;
        assert_eq!(without_thresholds(e), ["zokio_q", "deriv(zokio_q[5m])"]);
        let e = r#"increase(x{lint="a > b and c"}[10m]) > 0"#;
        assert_eq!(
            without_thresholds(e),
            [r#"increase(x{lint="a > b and c"}[10m])"#]
        );
        assert_eq!(without_thresholds("a / b"), ["a / b"]);
        assert_eq!(
            without_thresholds("rate(a[5m]) >= bool 2.5"),
            ["rate(a[5m])"]
        );
    }

    #[test]
    fn metric_names_skip_rule_names_and_strings() {
        let e = r#"sum(zokio_a_total{x="zokio_b"}) / worker:zokio_c:rate1m + zokio_d"#;
        let names: Vec<_> = metric_names(e).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["zokio_a_total", "zokio_d"]);
        let (_, at) = &metric_names(e)[0];
        assert_eq!(
            selector_at(e, at + "zokio_a_total".len()),
            Some(r#"x="zokio_b""#)
        );
    }

    #[test]
    fn label_values_become_group_by() {
        assert_eq!(
            label_values_as_promql(r#"label_values(m{job=~"$job"}, instance)"#).as_deref(),
            Some(r#"group by (instance) (m{job=~"$job"})"#)
        );
    }
}
