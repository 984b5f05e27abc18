//! Checksums every file under a directory, many files at once.
//!
//! It walks DIR recursively with `zokio::fs::read_dir`, and for each regular file (symbolic links
//! and other special files are skipped) starts a task that reads it with `zokio::fs::File` in
//! 64 KiB chunks and computes its 64-bit FNV-1a checksum. A semaphore of 16 permits bounds how
//! many files are open at once. It prints one line per file (checksum in hex, size in bytes,
//! path, sorted by path), then the totals and the runtime's `openat`/`read` operation counters.
//! On io_uring those count the file opens and reads; on the poll backend file I/O runs on the
//! blocking pool and is not counted there.
//!
//! ```text
//! cargo run --release --example file_processor -- DIR
//! cargo run --release --example file_processor -- --self-test
//! ZOKIO_IO=poll cargo run --release --example file_processor -- --self-test
//! ```
//!
//! A file that cannot be read is reported on stderr and the exit status is 1. `--self-test`
//! writes a temporary directory of files with known contents (an empty file, a short one, exactly
//! one chunk, one chunk plus a byte, 5 MiB and a bit, one in a nested directory), checks the FNV
//! code against published test vectors, runs over the directory, compares every size and
//! checksum with ones computed synchronously with `std::fs`, checks that the walk found exactly
//! those files, removes the directory and exits 0 (1 on any mismatch).

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zokio::fs::File;
use zokio::runtime::{Builder, Runtime, RuntimeMetrics};
use zokio::sync::Semaphore;
use zokio::task::JoinSet;

const USAGE: &str = "usage: file_processor DIR | --self-test";
/// Files read at the same time.
const CONCURRENCY: usize = 16;
const CHUNK: usize = 64 * 1024;

enum Mode {
    Process(PathBuf),
    SelfTest,
}

fn main() -> ExitCode {
    let mode = match parse_args(std::env::args_os().skip(1).collect()) {
        Ok(Some(mode)) => mode,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("file_processor: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match Builder::new_multi_thread()
        .service_name("file-processor")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("file_processor: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("I/O backend: {}", rt.handle().io_backend());
    let result = match mode {
        Mode::Process(dir) => process(&rt, &dir),
        Mode::SelfTest => self_test(&rt),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("file_processor: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(None)` asks for the usage text.
fn parse_args(args: Vec<std::ffi::OsString>) -> Result<Option<Mode>, String> {
    match args.as_slice() {
        [] => Err("no directory given".into()),
        [a] if a == "-h" || a == "--help" => Ok(None),
        [a] if a == "--self-test" => Ok(Some(Mode::SelfTest)),
        [a] if a.to_string_lossy().starts_with('-') => Err(format!("unknown option {a:?}")),
        [dir] => Ok(Some(Mode::Process(PathBuf::from(dir)))),
        _ => Err("too many arguments".into()),
    }
}

// --- The work ----------------------------------------------------------------------------------

/// One file's result.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Summary {
    path: PathBuf,
    size: u64,
    checksum: u64,
}

/// What a run found: the files read (sorted by path) and the ones that failed.
#[derive(Default)]
struct Report {
    files: Vec<Summary>,
    failures: Vec<(PathBuf, io::Error)>,
}

fn process(rt: &Runtime, dir: &Path) -> Result<(), String> {
    let started = Instant::now();
    let report = run_on_worker(rt, dir)?;
    for f in &report.files {
        println!("{:016x} {:>12}  {}", f.checksum, f.size, f.path.display());
    }
    for (path, e) in &report.failures {
        eprintln!("file_processor: {}: {e}", path.display());
    }
    print_totals(&report, started.elapsed(), &rt.metrics());
    match report.failures.len() {
        0 => Ok(()),
        n => Err(format!("{n} files could not be read")),
    }
}

/// Runs [`checksum_tree`] as a task on the runtime's workers.
fn run_on_worker(rt: &Runtime, dir: &Path) -> Result<Report, String> {
    let task = rt.spawn(checksum_tree(dir.to_owned()));
    match rt.block_on(task) {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(e)) => Err(format!("cannot read {}: {e}", dir.display())),
        Err(e) => Err(format!("the walk failed: {e}")),
    }
}

/// Walks `dir` and checksums its files, at most [`CONCURRENCY`] at a time. Fails only if `dir`
/// itself cannot be listed; other failures are collected in the report.
async fn checksum_tree(dir: PathBuf) -> io::Result<Report> {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    let mut report = Report::default();
    let mut dirs = vec![dir];
    let mut first = true;
    while let Some(dir) = dirs.pop() {
        let listed = list(&dir, &mut dirs, &mut report).await;
        match listed {
            Ok(files) => spawn_all(files, &permits, &mut tasks).await,
            Err(e) if first => return Err(e),
            Err(e) => report.failures.push((dir, e)),
        }
        first = false;
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((path, Ok((size, checksum)))) => report.files.push(Summary {
                path,
                size,
                checksum,
            }),
            Ok((path, Err(e))) => report.failures.push((path, e)),
            Err(e) => return Err(io::Error::other(format!("a checksum task failed: {e}"))),
        }
    }
    report.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// The regular files of `dir`; its subdirectories go on `dirs`. An entry whose type cannot be
/// read is a failure of that entry.
async fn list(
    dir: &Path,
    dirs: &mut Vec<PathBuf>,
    report: &mut Report,
) -> io::Result<Vec<PathBuf>> {
    let mut entries = zokio::fs::read_dir(dir).await?;
    let mut files = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        match entry.file_type().await {
            Ok(t) if t.is_dir() => dirs.push(entry.path()),
            Ok(t) if t.is_file() => files.push(entry.path()),
            Ok(_) => {} // symbolic links, sockets, devices...
            Err(e) => report.failures.push((entry.path(), e)),
        }
    }
    Ok(files)
}

type Checked = (PathBuf, io::Result<(u64, u64)>);

/// Starts one task per file, each holding a permit while it runs.
async fn spawn_all(files: Vec<PathBuf>, permits: &Arc<Semaphore>, tasks: &mut JoinSet<Checked>) {
    for path in files {
        let permit = permits.clone().acquire_owned().await.expect("never closed");
        tasks.spawn(async move {
            let result = checksum_file(&path).await;
            drop(permit);
            (path, result)
        });
    }
}

/// The size and FNV-1a checksum of one file, read in [`CHUNK`]-sized pieces.
async fn checksum_file(path: &Path) -> io::Result<(u64, u64)> {
    let file = File::open(path).await?;
    let mut hash = Fnv1a::new();
    let mut size = 0u64;
    let mut buf = Vec::with_capacity(CHUNK);
    loop {
        buf.clear();
        let (res, back) = file.read_owned(buf).await;
        buf = back;
        match res? {
            0 => return Ok((size, hash.finish())),
            n => {
                hash.write(&buf[..n]);
                size += n as u64;
            }
        }
    }
}

/// 64-bit FNV-1a (Fowler–Noll–Vo): not cryptographic, but simple and well known.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Fnv1a {
        Fnv1a(Fnv1a::OFFSET_BASIS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Fnv1a::PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.write(bytes);
    h.finish()
}

fn print_totals(report: &Report, elapsed: Duration, m: &RuntimeMetrics) {
    let bytes: u64 = report.files.iter().map(|f| f.size).sum();
    println!(
        "{} files, {bytes} bytes in {elapsed:.0?}; {} could not be read",
        report.files.len(),
        report.failures.len()
    );
    for name in ["openat", "read"] {
        match m.io.op(name) {
            Some(op) => println!(
                "io op {name:<6} submitted {:>8}  completed {:>8}  errors {:>4}  bytes {:>12}",
                op.submitted, op.completed, op.errors, op.bytes
            ),
            None => println!("io op {name:<6} not counted (the `telemetry` feature is off)"),
        }
    }
}

// --- The self-test -----------------------------------------------------------------------------

/// The test files: a path under the temporary directory and its contents.
fn fixture() -> Vec<(&'static str, Vec<u8>)> {
    let pattern = |len: usize, seed: u32| -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                // xorshift32
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    };
    vec![
        ("empty", Vec::new()),
        ("hello.txt", b"hello, zokio\n".to_vec()),
        ("one-chunk.bin", pattern(CHUNK, 1)),
        ("chunk-and-a-byte.bin", pattern(CHUNK + 1, 2)),
        ("large.bin", pattern(5 * 1024 * 1024 + 12_345, 3)),
        (
            "nested/deeper/inner.txt",
            b"found by the recursive walk".to_vec(),
        ),
    ]
}

/// Removes the temporary directory however the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("file_processor: cannot remove {}: {e}", self.0.display());
        }
    }
}

fn self_test(rt: &Runtime) -> Result<(), String> {
    check_fnv_vectors()?;
    let dir = std::env::temp_dir().join(format!("zokio-file-processor-{}", std::process::id()));
    let dir = TempDir(dir);
    let expected =
        write_fixture(&dir.0).map_err(|e| format!("cannot write the test files: {e}"))?;
    let started = Instant::now();
    let report = run_on_worker(rt, &dir.0)?;
    for f in &report.files {
        println!("{:016x} {:>12}  {}", f.checksum, f.size, f.path.display());
    }
    let m = rt.metrics();
    print_totals(&report, started.elapsed(), &m);
    compare(&report, &expected)?;
    check_io_counted(&m, expected.len() as u64)?;
    println!("self-test passed: {} files checked", expected.len());
    Ok(())
}

/// Published FNV-1a 64 test vectors.
fn check_fnv_vectors() -> Result<(), String> {
    let vectors: [(&[u8], u64); 3] = [
        (b"", 0xcbf2_9ce4_8422_2325),
        (b"a", 0xaf63_dc4c_8601_ec8c),
        (b"foobar", 0x8594_4171_f739_67e8),
    ];
    for (input, want) in vectors {
        let got = fnv1a(input);
        if got != want {
            return Err(format!(
                "FNV-1a of {input:?} is {got:016x}, expected {want:016x}"
            ));
        }
    }
    Ok(())
}

/// Writes the fixture under `dir` with std; returns what each file must give, sorted by path.
fn write_fixture(dir: &Path) -> io::Result<Vec<Summary>> {
    std::fs::create_dir(dir)?;
    let mut expected = Vec::new();
    for (name, contents) in fixture() {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &contents)?;
        // Computed again from what is on disk, independently of the async path.
        let on_disk = std::fs::read(&path)?;
        expected.push(Summary {
            path,
            size: on_disk.len() as u64,
            checksum: fnv1a(&on_disk),
        });
    }
    expected.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(expected)
}

fn compare(report: &Report, expected: &[Summary]) -> Result<(), String> {
    if let Some((path, e)) = report.failures.first() {
        return Err(format!("{}: {e}", path.display()));
    }
    for want in expected {
        match report.files.iter().find(|f| f.path == want.path) {
            Some(got) if got == want => {}
            Some(got) => return Err(format!("expected {want:?}, got {got:?}")),
            None => return Err(format!("{} was not found", want.path.display())),
        }
    }
    if report.files.len() != expected.len() {
        return Err(format!(
            "found {} files, expected {}",
            report.files.len(),
            expected.len()
        ));
    }
    Ok(())
}

/// On io_uring, every open must show up as an `openat` operation.
fn check_io_counted(m: &RuntimeMetrics, files: u64) -> Result<(), String> {
    let opened = m.io.op("openat").map_or(0, |op| op.completed);
    if m.io.backend == "io_uring" && m.io.op("openat").is_some() && opened < files {
        return Err(format!(
            "io_uring counted {opened} openat operations for {files} files"
        ));
    }
    Ok(())
}
