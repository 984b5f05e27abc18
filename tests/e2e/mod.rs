//! Helpers of the end-to-end tests that run real processes: the demo service, the
//! `zokio-exporter` daemon and Debian's Prometheus and promtool.

#![allow(dead_code)]

pub mod binaries;
pub mod http;
pub mod procs;
pub mod promql;

/// Whether the environment demands the end-to-end tests (CI sets `ZOKIO_REQUIRE_E2E=1`).
pub fn required() -> bool {
    std::env::var_os("ZOKIO_REQUIRE_E2E").is_some_and(|v| v == "1")
}

/// Whether `tool --version` runs; when it does not, says why `test` is skipped, or fails the
/// test when the end-to-end tests are required.
pub fn tool_or_skip(test: &str, tool: &str) -> bool {
    let ok = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let why = format!("`{tool}` is not installed (Debian: apt-get install prometheus)");
        assert!(!required(), "{test}: {why}, and ZOKIO_REQUIRE_E2E=1");
        eprintln!("skipping {test}: {why}");
    }
    ok
}
