// The data file of the `file_read` workload in `benches/io.rs`: created once per run in
// `std::env::temp_dir()`, filled with non-zero pseudo-random bytes that depend on their offset
// (so a read that returns stale or misplaced bytes fails `check_read`), synced to disk and read
// once so that every runtime reads it from the page cache, and removed when dropped.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The path of the live bench file, for `remove_live` (the bench's watchdog exits without
/// running destructors).
static LIVE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Removes the live bench file, if any.
pub fn remove_live() {
    if let Some(path) = LIVE.lock().unwrap().take() {
        let _ = fs::remove_file(path);
    }
}

/// The size of one read.
pub const CHUNK: usize = 64 * 1024;

/// The file size: `ZOKIO_BENCH_FILE_MB` MiB if set, else 16 MiB in criterion's `--test` (smoke)
/// mode and 1 GiB otherwise.
pub fn file_size() -> u64 {
    let mb = match std::env::var("ZOKIO_BENCH_FILE_MB") {
        Ok(v) => v
            .parse::<u64>()
            .expect("ZOKIO_BENCH_FILE_MB must be a number of MiB"),
        Err(_) if std::env::args().any(|a| a == "--test") => 16,
        Err(_) => 1024,
    };
    assert!(mb > 0, "ZOKIO_BENCH_FILE_MB must be at least 1");
    mb << 20
}

/// One splitmix64 step of `x`.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 8 bytes of the file starting at `8 * word`, none of them zero.
fn word_bytes(word: u64) -> [u8; 8] {
    splitmix(word).to_le_bytes().map(|b| b.max(1))
}

/// The byte of the file at `offset`.
pub fn expected_byte(offset: u64) -> u8 {
    word_bytes(offset / 8)[(offset % 8) as usize]
}

/// Checks that `data`, read at `offset`, is not empty or longer than a chunk, and that its first
/// and last bytes are the file's bytes there.
pub fn check_read(offset: u64, data: &[u8]) {
    let n = data.len() as u64;
    assert!(n > 0 && n <= CHUNK as u64, "read of {n} bytes at {offset}");
    assert_eq!(data[0], expected_byte(offset), "first byte at {offset}");
    let last = offset + n - 1;
    assert_eq!(data[n as usize - 1], expected_byte(last), "byte at {last}");
}

/// The start of the bench file's name; the process id and `.dat` follow.
const PREFIX: &str = "zokio-bench-io-";

/// Removes bench files left by runs that crashed (their process is gone), 1 GiB each.
fn remove_stale() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX)?.strip_suffix(".dat"));
        if pid.is_some_and(|p| !Path::new("/proc").join(p).exists()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The bench file; removed when dropped.
pub struct BenchFile {
    path: PathBuf,
    size: u64,
}

impl BenchFile {
    /// Writes a file of `size` bytes (a multiple of 8), syncs it and reads it back once, checking
    /// every byte, which also leaves it in the page cache.
    pub fn create(size: u64) -> BenchFile {
        assert_eq!(size % 8, 0, "bench file size {size} is not a multiple of 8");
        remove_stale();
        let name = format!("{PREFIX}{}.dat", std::process::id());
        let file = BenchFile {
            path: std::env::temp_dir().join(name),
            size,
        };
        *LIVE.lock().unwrap() = Some(file.path.clone());
        file.write();
        file.warm();
        file
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the contents in 1 MiB blocks and waits until they are on disk, so that no
    /// write-back runs while the file is being measured.
    fn write(&self) {
        const BLOCK_WORDS: u64 = 1 << 17;
        let mut out = File::create_new(&self.path).expect("create the bench file");
        let mut block = Vec::with_capacity(BLOCK_WORDS as usize * 8);
        for first in (0..self.size / 8).step_by(BLOCK_WORDS as usize) {
            block.clear();
            let end = (first + BLOCK_WORDS).min(self.size / 8);
            (first..end).for_each(|w| block.extend_from_slice(&word_bytes(w)));
            out.write_all(&block).expect("write the bench file");
        }
        out.sync_all().expect("sync the bench file");
    }

    /// Reads the whole file once in 1 MiB blocks, checking every byte.
    fn warm(&self) {
        let mut input = File::open(&self.path).expect("open the bench file");
        let mut buf = vec![0; 1 << 20];
        let mut offset = 0;
        while offset < self.size {
            let n = buf.len().min((self.size - offset) as usize);
            input
                .read_exact(&mut buf[..n])
                .expect("read the bench file");
            for (i, word) in buf[..n].chunks_exact(8).enumerate() {
                assert_eq!(word, word_bytes(offset / 8 + i as u64), "bench file word");
            }
            offset += n as u64;
        }
        let mut rest = [0; 1];
        assert_eq!(
            input.read(&mut rest).unwrap(),
            0,
            "bench file longer than written"
        );
    }
}

impl Drop for BenchFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        *LIVE.lock().unwrap() = None;
    }
}
