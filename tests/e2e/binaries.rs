//! The demo service and the `zokio-exporter` daemon as binaries.
//!
//! Cargo exposes neither to this package's tests (`CARGO_BIN_EXE_*` exists only for the bins of
//! the package under test, never for examples), so the test asks cargo for them:
//! `cargo build --workspace --message-format=json` of just those two targets, with the test's own
//! profile and target directory. It names the executables it produced, rebuilds them when their
//! sources changed, and is a no-op after `cargo test --workspace` (as in CI): `--workspace`
//! resolves features as that command does, so no dependency is built twice with different
//! features. `$ZOKIO_DEMO_BIN` and `$ZOKIO_EXPORTER_BIN` override it (both must be set).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The two executables.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub demo: PathBuf,
    pub exporter: PathBuf,
}

/// Builds (once per test binary) or finds the executables; panics with cargo's output when the
/// build fails.
pub fn get() -> Binaries {
    static BUILT: OnceLock<Result<Binaries, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| from_env().map_or_else(build, Ok));
    built.clone().unwrap_or_else(|e| panic!("{e}"))
}

fn from_env() -> Option<Binaries> {
    let demo = std::env::var_os("ZOKIO_DEMO_BIN")?;
    let exporter = std::env::var_os("ZOKIO_EXPORTER_BIN")?;
    Some(Binaries {
        demo: demo.into(),
        exporter: exporter.into(),
    })
}

/// `target/<profile>` of this test executable (`target/<profile>/deps/<test>-<hash>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let deps = exe.parent().expect("deps/");
    deps.parent().expect("target/<profile>/").to_owned()
}

fn build() -> Result<Binaries, String> {
    let profile = profile_dir();
    let target_dir = profile.parent().ok_or("no target directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--workspace",
            "--message-format=json-render-diagnostics",
        ])
        .args(["--example", "demo_service", "--bin", "zokio-exporter"])
        .arg("--target-dir")
        .arg(target_dir);
    if profile.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    eprintln!("building the demo service and the exporter: {cmd:?}");
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("cargo build failed ({}):\n{err}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    Ok(Binaries {
        demo: executable(&stdout, "demo_service")?,
        exporter: executable(&stdout, "zokio-exporter")?,
    })
}

/// The `executable` of the `compiler-artifact` message for target `name`.
fn executable(messages: &str, name: &str) -> Result<PathBuf, String> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .filter(|p| Path::new(p).is_file())
        .ok_or_else(|| format!("cargo built no executable named {name}"))
}
