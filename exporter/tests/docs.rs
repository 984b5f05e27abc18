//! docs/metrics.md lists every metric of the catalog, as the catalog says: regenerate the table
//! with `ZOKIO_BLESS=1 cargo test -p zokio-exporter --test docs`.

use zokio_exporter::catalog::{Kind, Scope, FAMILIES, TARGET_LABELS};

const BEGIN: &str = "<!-- catalog: begin (generated from exporter/src/catalog.rs) -->\n";
const END: &str = "<!-- catalog: end -->\n";

fn table() -> String {
    let mut t = String::from(
        "| Prometheus | type | labels | OTLP (unit) | meaning |\n|---|---|---|---|---|\n",
    );
    for f in FAMILIES {
        let mut labels: Vec<&str> = match f.scope {
            Scope::Runtime => TARGET_LABELS.to_vec(),
            Scope::Exporter => Vec::new(),
        };
        labels.extend(f.labels);
        let kind = match f.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        t.push_str(&format!(
            "| `{}` | {} | {} | `{}` ({}) | {} |\n",
            f.name,
            kind,
            labels.join(", "),
            f.otlp_name,
            f.otlp_unit,
            f.help.replace('|', "\\|")
        ));
    }
    t
}

#[test]
fn docs_list_every_metric() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/metrics.md");
    let doc = std::fs::read_to_string(path).expect("docs/metrics.md");
    let (head, rest) = doc.split_once(BEGIN).expect("the begin marker");
    let (_, tail) = rest.split_once(END).expect("the end marker");
    let want = format!("{head}{BEGIN}{}{END}{tail}", table());
    if std::env::var_os("ZOKIO_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    assert!(doc == want, "docs/metrics.md is out of date: run ZOKIO_BLESS=1 cargo test -p zokio-exporter --test docs");
}
