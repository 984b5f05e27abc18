//! `zokio::fs` from the outside, over every flavor: byte-exact round trips through `File` (poll
//! methods and owned buffers) and the whole-file functions, listings, path operations and their
//! error kinds, seeking (including over read-ahead), append mode, and the error of a background
//! write surfacing at the next operation. Each test works in its own temporary directory.

mod support;

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::task::{Context, Poll};
use support::Watchdog;
use zokio::fs::{self, File, OpenOptions};
use zokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use zokio::runtime::{Builder, Runtime};

const MIB: usize = 1024 * 1024;

// ---- fixtures ---------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("zokio-fs-{name}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `len` pseudo-random bytes (xorshift64), different for each `seed`.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

async fn write_all(file: &mut File, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *file).poll_write(cx, data)).await?;
        assert!(n > 0, "poll_write took nothing");
        data = &data[n..];
    }
    Ok(())
}

async fn flush(file: &mut File) -> std::io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *file).poll_flush(cx)).await
}

/// One `poll_read` into a buffer of `room` bytes.
async fn read_some(file: &mut File, room: usize) -> std::io::Result<Vec<u8>> {
    let mut storage = vec![0u8; room];
    let mut buf = ReadBuf::new(&mut storage);
    poll_fn(|cx| Pin::new(&mut *file).poll_read(cx, &mut buf)).await?;
    Ok(buf.filled().to_vec())
}

async fn read_to_end(file: &mut File) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let chunk = read_some(file, 50_000).await?;
        if chunk.is_empty() {
            return Ok(out);
        }
        out.extend_from_slice(&chunk);
    }
}

async fn seek(file: &mut File, pos: SeekFrom) -> std::io::Result<u64> {
    poll_fn(|cx| Pin::new(&mut *file).poll_complete(cx)).await?;
    Pin::new(&mut *file).start_seek(pos)?;
    poll_fn(|cx| Pin::new(&mut *file).poll_complete(cx)).await
}

/// Polls `fut` exactly once with the current task's context.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

fn sizes() -> Vec<usize> {
    vec![0, 1, 4095, 4096, 65537, MIB + 3, 64 * MIB]
}

// ---- round trips ------------------------------------------------------------------------------

/// For every size: write with `poll_write` (64 KiB per operation), flush, and the file's length
/// is the size; reading back with `poll_read` and with `fs::read` gives the same bytes.
fn stream_round_trip_is_byte_exact(rt: Runtime) {
    let dir = TempDir::new("stream");
    rt.block_on(async {
        for (i, size) in sizes().into_iter().enumerate() {
            let data = bytes(size, i as u64);
            let path = dir.join(&format!("f{size}"));
            let mut file = File::create(&path).await.unwrap();
            write_all(&mut file, &data).await.unwrap();
            flush(&mut file).await.unwrap();
            assert_eq!(file.metadata().await.unwrap().len(), size as u64);
            drop(file);
            assert_eq!(fs::metadata(&path).await.unwrap().len(), size as u64);
            let mut file = File::open(&path).await.unwrap();
            assert!(read_to_end(&mut file).await.unwrap() == data, "size {size}");
            assert!(fs::read(&path).await.unwrap() == data, "size {size}");
        }
    });
}

/// For every size: `fs::write` then `fs::read`, and the owned-buffer methods: one
/// `write_all_owned`, then `read_owned` in 1 MiB chunks, give back exactly the bytes written.
fn whole_and_owned_round_trips_are_byte_exact(rt: Runtime) {
    let dir = TempDir::new("owned");
    rt.block_on(async {
        for (i, size) in sizes().into_iter().enumerate() {
            let data = bytes(size, 100 + i as u64);
            let path = dir.join(&format!("w{size}"));
            fs::write(&path, &data).await.unwrap();
            assert!(fs::read(&path).await.unwrap() == data, "size {size}");

            let path = dir.join(&format!("o{size}"));
            let file = File::create_new(&path).await.unwrap();
            let (res, back) = file.write_all_owned(data.clone()).await;
            res.unwrap();
            assert_eq!(back.len(), size, "the buffer comes back whole");
            assert_eq!(fs::metadata(&path).await.unwrap().len(), size as u64);
            assert!(read_owned_to_end(&File::open(&path).await.unwrap()).await == data);
        }
    });
}

async fn read_owned_to_end(file: &File) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let (res, buf) = file.read_owned(Vec::with_capacity(MIB)).await;
        if res.unwrap() == 0 {
            return out;
        }
        out.extend_from_slice(&buf);
    }
}

/// `read_owned` appends after the buffer's length; `read_at_owned` and `write_all_at_owned`
/// work at an offset without moving the cursor.
fn owned_positional_operations(rt: Runtime) {
    let dir = TempDir::new("positional");
    rt.block_on(async {
        let file = File::create_new(dir.join("p")).await.unwrap();
        file.write_all_owned(b"0123456789".to_vec())
            .await
            .0
            .unwrap();
        let (res, buf) = file.read_at_owned(Vec::with_capacity(4), 3).await;
        assert_eq!((res.unwrap(), &buf[..]), (4, &b"3456"[..]));
        file.write_all_at_owned(b"ab".to_vec(), 1).await.0.unwrap();
        file.write_all_owned(b"XY".to_vec()).await.0.unwrap(); // at the cursor: 10
        let mut prefix = b"pre:".to_vec();
        prefix.reserve_exact(20);
        let (res, buf) = file.read_at_owned(prefix, 0).await;
        assert_eq!(res.unwrap(), 12);
        assert_eq!(buf, b"pre:0ab3456789XY");
        let (res, buf) = file.read_at_owned(Vec::new(), 0).await;
        assert_eq!(
            (res.unwrap(), buf.len()),
            (0, 0),
            "no spare capacity reads nothing"
        );
    });
}

// ---- directories and paths --------------------------------------------------------------------

/// A listing returns exactly the names created (more than one batch of 32), with the right
/// types, paths and lengths.
fn read_dir_lists_exactly_what_was_created(rt: Runtime) {
    let dir = TempDir::new("list");
    rt.block_on(async {
        let mut expected: Vec<String> = (0..70).map(|i| format!("file-{i:02}")).collect();
        for (i, name) in expected.iter().enumerate() {
            fs::write(dir.join(name), vec![7u8; i]).await.unwrap();
        }
        fs::create_dir(dir.join("sub")).await.unwrap();
        expected.push("sub".to_owned());
        let mut listed = Vec::new();
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(entry.path(), dir.join(&name));
            let ty = entry.file_type().await.unwrap();
            assert_eq!(ty.is_dir(), name == "sub", "{name}");
            if let Some(i) = name.strip_prefix("file-") {
                let len = entry.metadata().await.unwrap().len();
                assert_eq!(len, i.parse::<u64>().unwrap());
            }
            listed.push(name);
        }
        assert!(
            entries.next_entry().await.unwrap().is_none(),
            "stays exhausted"
        );
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
    });
}

/// rename moves the bytes (the old name is gone), copy returns the length and duplicates them,
/// hard_link adds a name, remove_file and remove_dir remove, remove_dir_all removes a tree.
fn rename_copy_link_remove(rt: Runtime) {
    let dir = TempDir::new("paths");
    rt.block_on(async {
        let data = bytes(10_000, 7);
        fs::write(dir.join("a"), &data).await.unwrap();
        fs::rename(dir.join("a"), dir.join("b")).await.unwrap();
        assert!(!fs::try_exists(dir.join("a")).await.unwrap());
        assert!(fs::read(dir.join("b")).await.unwrap() == data);
        assert_eq!(
            fs::copy(dir.join("b"), dir.join("c")).await.unwrap(),
            10_000
        );
        assert!(fs::read(dir.join("c")).await.unwrap() == data);
        fs::hard_link(dir.join("c"), dir.join("d")).await.unwrap();
        assert_eq!(nlink(&dir.join("c")).await, 2);
        fs::remove_file(dir.join("c")).await.unwrap();
        assert_eq!(nlink(&dir.join("d")).await, 1);
        assert!(fs::read(dir.join("d")).await.unwrap() == data);

        fs::create_dir_all(dir.join("x/y/z")).await.unwrap();
        fs::create_dir_all(dir.join("x/y/z")).await.unwrap(); // exists: still Ok
        fs::write(dir.join("x/y/z/f"), b"f").await.unwrap();
        let err = fs::remove_dir(dir.join("x/y/z")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DirectoryNotEmpty);
        fs::remove_file(dir.join("x/y/z/f")).await.unwrap();
        fs::remove_dir(dir.join("x/y/z")).await.unwrap();
        assert!(!fs::try_exists(dir.join("x/y/z")).await.unwrap());
        fs::remove_dir_all(dir.join("x")).await.unwrap();
        assert!(!fs::try_exists(dir.join("x")).await.unwrap());
        assert!(fs::try_exists(dir.join("d")).await.unwrap());
    });
}

async fn nlink(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).await.unwrap().nlink()
}

/// Symlinks: read_link gives the target, symlink_metadata describes the link, metadata and
/// canonicalize follow it; set_permissions changes the mode.
fn links_and_permissions(rt: Runtime) {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("links");
    rt.block_on(async {
        fs::write(dir.join("target"), b"12345").await.unwrap();
        std::os::unix::fs::symlink("target", dir.join("link")).unwrap();
        assert_eq!(
            fs::read_link(dir.join("link")).await.unwrap(),
            Path::new("target")
        );
        assert!(fs::symlink_metadata(dir.join("link"))
            .await
            .unwrap()
            .is_symlink());
        assert_eq!(fs::metadata(dir.join("link")).await.unwrap().len(), 5);
        let canonical = fs::canonicalize(dir.join("link")).await.unwrap();
        assert_eq!(
            canonical,
            std::fs::canonicalize(dir.join("target")).unwrap()
        );

        let perm = std::fs::Permissions::from_mode(0o640);
        fs::set_permissions(dir.join("target"), perm).await.unwrap();
        let mode = fs::metadata(dir.join("target"))
            .await
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
        let file = File::open(dir.join("target")).await.unwrap();
        let perm = std::fs::Permissions::from_mode(0o600);
        file.set_permissions(perm).await.unwrap();
        let mode = file.metadata().await.unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    });
}

/// A missing path is `NotFound` for every kind of access; `try_exists` says false; `create_new`
/// on an existing file is `AlreadyExists`; invalid UTF-8 is `InvalidData`.
fn error_kinds_are_exact(rt: Runtime) {
    let dir = TempDir::new("errors");
    rt.block_on(async {
        let missing = dir.join("missing");
        assert_eq!(
            File::open(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::read(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::metadata(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::remove_file(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::read_dir(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let err = fs::rename(&missing, dir.join("x")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(!fs::try_exists(&missing).await.unwrap());

        fs::write(dir.join("there"), [0xff, 0xfe]).await.unwrap();
        let err = File::create_new(dir.join("there")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let mut opts = OpenOptions::new();
        let err = opts
            .write(true)
            .create_new(true)
            .open(dir.join("there"))
            .await;
        assert_eq!(err.unwrap_err().kind(), ErrorKind::AlreadyExists);
        let err = fs::read_to_string(dir.join("there")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
    });
}

// ---- cursor -----------------------------------------------------------------------------------

/// Seeks from the start, the current position and the end land where expected and reads there
/// return the bytes at those offsets.
fn seek_then_read(rt: Runtime) {
    let dir = TempDir::new("seek");
    rt.block_on(async {
        let data = bytes(5000, 3);
        fs::write(dir.join("s"), &data).await.unwrap();
        let mut file = File::open(dir.join("s")).await.unwrap();
        assert_eq!(seek(&mut file, SeekFrom::Start(100)).await.unwrap(), 100);
        assert_eq!(read_some(&mut file, 10).await.unwrap(), &data[100..110]);
        assert_eq!(seek(&mut file, SeekFrom::Current(5)).await.unwrap(), 115);
        assert_eq!(read_some(&mut file, 5).await.unwrap(), &data[115..120]);
        assert_eq!(seek(&mut file, SeekFrom::End(-3)).await.unwrap(), 4997);
        assert_eq!(read_some(&mut file, 100).await.unwrap(), &data[4997..]);
        assert!(
            read_some(&mut file, 100).await.unwrap().is_empty(),
            "end of file"
        );
        let err = seek(&mut file, SeekFrom::Current(-6000)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

/// A read re-polled with less room keeps the rest as read-ahead: the next read, a seek from the
/// current position and a write all see the cursor just after the bytes handed out.
fn read_ahead_is_given_back(rt: Runtime) {
    let _w = Watchdog::new("read_ahead_is_given_back", 60);
    let dir = TempDir::new("ahead");
    rt.block_on(async {
        let data = bytes(4096, 9);
        fs::write(dir.join("r"), &data).await.unwrap();
        let mut opts = OpenOptions::new();
        let mut file = opts
            .read(true)
            .write(true)
            .open(dir.join("r"))
            .await
            .unwrap();
        let (open, gate) = close_gate();
        assert_eq!(read_shrinking(&mut file, open).await, &data[..10]);
        gate.await.unwrap();
        assert_eq!(read_some(&mut file, 5).await.unwrap(), &data[10..15]);
        assert_eq!(seek(&mut file, SeekFrom::Current(0)).await.unwrap(), 15);
        assert_eq!(read_some(&mut file, 5).await.unwrap(), &data[15..20]);
        write_all(&mut file, b"XYZ").await.unwrap(); // lands at 20, not after the read-ahead
        flush(&mut file).await.unwrap();
        let mut expected = data.clone();
        expected[20..23].copy_from_slice(b"XYZ");
        assert!(fs::read(dir.join("r")).await.unwrap() == expected);
        assert_eq!(seek(&mut file, SeekFrom::Current(0)).await.unwrap(), 23);
    });
}

/// The first poll asks for 4096 bytes and is pending (the gate holds the read back), then opens
/// the gate; every later poll offers 10 bytes of room. Returns what the read handed out.
async fn read_shrinking(file: &mut File, open: Sender<()>) -> Vec<u8> {
    let (mut big, mut small) = ([0u8; 4096], [0u8; 10]);
    let mut first = true;
    poll_fn(|cx: &mut Context<'_>| {
        let room: &mut [u8] = if first { &mut big } else { &mut small };
        let mut buf = ReadBuf::new(room);
        let res = Pin::new(&mut *file).poll_read(cx, &mut buf);
        if std::mem::take(&mut first) {
            assert!(res.is_pending(), "the read waits behind the gate");
            open.send(()).unwrap();
        }
        res.map(|r| r.map(|()| buf.filled().to_vec()))
    })
    .await
    .unwrap()
}

/// Append mode writes at the end whatever the cursor; `create` + `append` makes a new file.
fn append_mode_appends(rt: Runtime) {
    let dir = TempDir::new("append");
    rt.block_on(async {
        fs::write(dir.join("log"), b"abc").await.unwrap();
        let mut opts = OpenOptions::new();
        let mut file = opts
            .read(true)
            .append(true)
            .open(dir.join("log"))
            .await
            .unwrap();
        assert_eq!(read_some(&mut file, 1).await.unwrap(), b"a");
        write_all(&mut file, b"def").await.unwrap();
        write_all(&mut file, b"gh").await.unwrap();
        flush(&mut file).await.unwrap();
        assert_eq!(fs::read(dir.join("log")).await.unwrap(), b"abcdefgh");

        let mut opts = OpenOptions::new();
        let mut file = opts
            .append(true)
            .create(true)
            .open(dir.join("new"))
            .await
            .unwrap();
        write_all(&mut file, b"1").await.unwrap();
        write_all(&mut file, b"2").await.unwrap();
        flush(&mut file).await.unwrap();
        assert_eq!(fs::read(dir.join("new")).await.unwrap(), b"12");
    });
}

/// set_len truncates and extends with zeros; sync_all and sync_data succeed after writes;
/// try_clone shares the cursor; into_std hands the cursor over.
fn set_len_sync_clone_into_std(rt: Runtime) {
    use std::io::Read;
    let dir = TempDir::new("misc");
    rt.block_on(async {
        let mut file = File::create(dir.join("m")).await.unwrap();
        write_all(&mut file, b"hello world").await.unwrap();
        file.sync_all().await.unwrap();
        file.set_len(5).await.unwrap();
        file.sync_data().await.unwrap();
        assert_eq!(fs::read(dir.join("m")).await.unwrap(), b"hello");
        file.set_len(8).await.unwrap();
        assert_eq!(fs::read(dir.join("m")).await.unwrap(), b"hello\0\0\0");

        let mut file = File::open(dir.join("m")).await.unwrap();
        assert_eq!(read_some(&mut file, 2).await.unwrap(), b"he");
        let mut clone = file.try_clone().await.unwrap();
        assert_eq!(read_some(&mut clone, 2).await.unwrap(), b"ll");
        assert_eq!(
            read_some(&mut file, 1).await.unwrap(),
            b"o",
            "the cursor is shared"
        );
        let mut std = file.into_std().await;
        let mut rest = Vec::new();
        std.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"\0\0\0");
        let file = File::from_std(std);
        assert!(file.try_into_std().is_ok(), "nothing in flight");
    });
}

// ---- background write errors ------------------------------------------------------------------

/// A write to a read-only file is accepted at once and runs in the background; its EBADF comes
/// back from the next flush, and from a read when the read is the next operation. The error is
/// reported once.
fn background_write_error_surfaces_at_next_operation(rt: Runtime) {
    let dir = TempDir::new("bgerr");
    rt.block_on(async {
        fs::write(dir.join("ro"), b"data").await.unwrap();
        let mut file = File::open(dir.join("ro")).await.unwrap();
        let n = poll_fn(|cx| Pin::new(&mut file).poll_write(cx, b"xy"))
            .await
            .unwrap();
        assert_eq!(n, 2, "accepted before it runs");
        let err = flush(&mut file).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        flush(&mut file).await.unwrap();

        assert_eq!(
            file.write_all_owned(b"z".to_vec())
                .await
                .0
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EBADF)
        );
        let mut file = File::open(dir.join("ro")).await.unwrap();
        poll_fn(|cx| Pin::new(&mut file).poll_write(cx, b"xy"))
            .await
            .unwrap();
        let err = read_some(&mut file, 4).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        assert_eq!(read_some(&mut file, 4).await.unwrap(), b"data");
    });
}

/// On a full device (`/dev/full`) the write is accepted and the flush reports `StorageFull`;
/// so does `sync_all` for a later write.
fn full_device_reports_storage_full(rt: Runtime) {
    if !Path::new("/dev/full").exists() {
        return;
    }
    rt.block_on(async {
        let mut opts = OpenOptions::new();
        let mut file = opts.write(true).open("/dev/full").await.unwrap();
        write_all(&mut file, &[1u8; 100]).await.unwrap();
        assert_eq!(
            flush(&mut file).await.unwrap_err().kind(),
            ErrorKind::StorageFull
        );
        write_all(&mut file, &[1u8; 100]).await.unwrap();
        assert_eq!(
            file.sync_all().await.unwrap_err().kind(),
            ErrorKind::StorageFull
        );
    });
}

/// A `set_len` cancelled after its first poll stays in flight: the next operation waits for it,
/// so the length is already set when that operation's result is seen.
fn cancelled_operation_completes_before_the_next(rt: Runtime) {
    let _w = Watchdog::new("cancelled_operation_completes_before_the_next", 60);
    let dir = TempDir::new("cancel");
    rt.block_on(async {
        fs::write(dir.join("c"), vec![1u8; 1000]).await.unwrap();
        let mut opts = OpenOptions::new();
        let file = opts.write(true).open(dir.join("c")).await.unwrap();
        let (open, gate) = close_gate();
        {
            let mut set_len = pin!(file.set_len(10));
            assert!(poll_once(&mut set_len).await.is_pending());
        }
        open.send(()).unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(fs::metadata(dir.join("c")).await.unwrap().len(), 10);
        gate.await.unwrap();
    });
}

/// `poll_write` returns before the write runs (the gate holds it back: the file is still
/// empty); the flush waits for it.
fn write_completes_in_the_background(rt: Runtime) {
    let _w = Watchdog::new("write_completes_in_the_background", 60);
    let dir = TempDir::new("background");
    rt.block_on(async {
        let mut file = File::create(dir.join("b")).await.unwrap();
        let (open, gate) = close_gate();
        let mut write = poll_fn(|cx| Pin::new(&mut file).poll_write(cx, b"later"));
        assert!(matches!(poll_once(&mut write).await, Poll::Ready(Ok(5))));
        assert_eq!(std::fs::metadata(dir.join("b")).unwrap().len(), 0);
        open.send(()).unwrap();
        flush(&mut file).await.unwrap();
        assert_eq!(std::fs::read(dir.join("b")).unwrap(), b"later");
        gate.await.unwrap();
    });
}

/// The flavors with a single blocking thread, so that [`close_gate`] holds back every
/// filesystem operation started after it (on the poll backend, where every filesystem
/// operation runs on the blocking pool).
fn gated_flavors() -> [Runtime; 3] {
    let one = |b: &mut Builder| {
        b.max_blocking_threads(1)
            .io_backend(zokio::io::IoBackendPreference::Poll)
            .build()
            .unwrap()
    };
    [
        one(&mut Builder::new_current_thread()),
        one(Builder::new_multi_thread().worker_threads(1)),
        one(Builder::new_multi_thread().worker_threads(4)),
    ]
}

/// Occupies the blocking thread until the returned sender is used.
fn close_gate() -> (Sender<()>, zokio::task::JoinHandle<()>) {
    let (open, wait) = std::sync::mpsc::channel::<()>();
    let gate = zokio::task::spawn_blocking(move || wait.recv().unwrap());
    (open, gate)
}

#[test]
fn gated_read_ahead_is_given_back() {
    gated_flavors()
        .into_iter()
        .for_each(read_ahead_is_given_back);
}

#[test]
fn gated_write_completes_in_the_background() {
    gated_flavors()
        .into_iter()
        .for_each(write_completes_in_the_background);
}

#[test]
fn gated_cancelled_operation_completes_before_the_next() {
    gated_flavors()
        .into_iter()
        .for_each(cancelled_operation_completes_before_the_next);
}

#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<File>();
    send_sync::<OpenOptions>();
    send_sync::<fs::ReadDir>();
    send_sync::<fs::DirEntry>();
}

rt_io_test!(
    stream_round_trip_is_byte_exact,
    whole_and_owned_round_trips_are_byte_exact,
    owned_positional_operations,
    read_dir_lists_exactly_what_was_created,
    rename_copy_link_remove,
    links_and_permissions,
    error_kinds_are_exact,
    seek_then_read,
    append_mode_appends,
    set_len_sync_clone_into_std,
    background_write_error_surfaces_at_next_operation,
    full_device_reports_storage_full,
);
