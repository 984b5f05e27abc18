//! The `zokio-exporter` binary's arguments: bad input gets a clear message and exit code 2.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zokio-exporter"))
        .args(args)
        .output()
        .expect("run zokio-exporter")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_names_every_flag() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in ["--listen", "--otlp-endpoint", "--interval", "--once"] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    assert!(
        text.contains("127.0.0.1:9464"),
        "the default address is shown"
    );
}

#[test]
fn bad_values_are_refused_with_the_reason() {
    let o = run(&["--interval", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a number of seconds in (0, 86400]"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--listen", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'nowhere' for '--listen <ADDR>'"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "--listen",
        "127.0.0.1:0",
        "--otlp-endpoint",
        "ftp://collector",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--otlp-endpoint: ftp://collector: the URL must start with http://"),
        "{}",
        stderr(&o)
    );
    // Refused before anything is served or announced.
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
}

#[test]
fn an_address_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = run(&["--listen", &addr]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[test]
fn once_prints_the_exporters_own_metrics_even_with_no_runtime() {
    let dir = std::env::temp_dir().join(format!("zokio-exporter-cli-{}", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_zokio-exporter"))
        .arg("--once")
        .env("ZOKIO_TELEMETRY_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("zokio_exporter_targets 0\n"), "{text}");
    assert!(text.contains("zokio_exporter_scrapes_total 1\n"), "{text}");
    assert!(
        !text.contains("zokio_workers{"),
        "no runtime in an empty directory"
    );
}
