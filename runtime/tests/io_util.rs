//! `zokio::io` helpers: bytes that go through duplex, split, BufReader/BufWriter, copy and
//! copy_bidirectional arrive byte-exact (over every scheduler flavor where tasks are involved);
//! the ext traits' exact results and errors; duplex back-pressure and EOF, checked by polling by
//! hand and counting wake-ups; cancel safety of `read` and `Lines::next_line`; and the futures-io
//! (and, with `tokio-compat`, tokio) compatibility layer.

mod support;

use std::future::Future;
use std::io::{Cursor, ErrorKind, SeekFrom};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use support::Watchdog;
use zokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufReader,
    BufWriter, ReadBuf,
};
use zokio::runtime::{Builder, Runtime};

/// Deterministic pseudo-random numbers (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `1..=max`.
    fn size(&mut self, max: usize) -> usize {
        1 + (self.next() % max as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    Builder::new_current_thread().build().unwrap().block_on(f)
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    (counter.clone(), Waker::from(counter))
}

fn poll_once<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

// ---- byte-exact transfers between tasks, over every flavor -------------------------------

const MIB: usize = 1 << 20;

/// 1 MiB of pseudo-random bytes written in random chunks (1..=300 bytes) into a duplex of 61
/// bytes, read in random chunks (1..=500): every byte arrives, in order, then end of stream.
fn duplex_1mib_random_chunks_byte_exact(rt: Runtime) {
    let _w = Watchdog::new("duplex_1mib_random_chunks_byte_exact", 60);
    let data = Rng(0x5eed).bytes(MIB);
    let got = rt.block_on({
        let data = data.clone();
        async move {
            let (mut tx, mut rx) = zokio::io::duplex(61);
            zokio::spawn(async move {
                let mut rng = Rng(1);
                for chunk in chunks(&data, &mut rng, 300) {
                    tx.write_all(chunk).await.unwrap();
                }
            });
            read_in_random_chunks(&mut rx, &mut Rng(2), 500).await
        }
    });
    assert_eq!(got.len(), MIB);
    assert!(got == data, "the bytes read differ from the bytes written");
}

fn chunks<'a>(data: &'a [u8], rng: &mut Rng, max: usize) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (head, tail) = rest.split_at(rng.size(max).min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

async fn read_in_random_chunks<R: AsyncRead + Unpin>(
    r: &mut R,
    rng: &mut Rng,
    max: usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0; max];
    loop {
        let n = r.read(&mut buf[..rng.size(max)]).await.unwrap();
        if n == 0 {
            return got;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// A stream split into halves used by two tasks; the peer echoes through its own halves with
/// `copy`. 256 KiB come back byte-exact, `copy` counts them, and the halves unsplit.
fn split_halves_echo_across_tasks(rt: Runtime) {
    let _w = Watchdog::new("split_halves_echo_across_tasks", 60);
    let data = Rng(7).bytes(256 * 1024);
    let (echoed, copied) = rt.block_on({
        let data = data.clone();
        async move {
            let (a, b) = zokio::io::duplex(100);
            let (mut rd, mut wr) = zokio::io::split(a);
            let (mut peer_rd, mut peer_wr) = zokio::io::split(b);
            let echo = zokio::spawn(async move {
                let n = zokio::io::copy(&mut peer_rd, &mut peer_wr).await.unwrap();
                peer_wr.shutdown().await.unwrap();
                n
            });
            let writer = zokio::spawn(async move {
                wr.write_all(&data).await.unwrap();
                wr.shutdown().await.unwrap();
                wr
            });
            let mut echoed = Vec::new();
            rd.read_to_end(&mut echoed).await.unwrap();
            let wr = writer.await.unwrap();
            assert!(rd.is_pair_of(&wr) && wr.is_pair_of(&rd));
            let _a = rd.unsplit(wr);
            (echoed, echo.await.unwrap())
        }
    });
    assert_eq!(copied, 256 * 1024);
    assert!(echoed == data, "echoed bytes differ");
}

/// client <-> proxy (copy_bidirectional) <-> server over two small duplex pairs: 100,000 bytes
/// one way, 70,000 the other, each arrives byte-exact; the proxy reports (100000, 70000) and
/// shut each direction down after its EOF (the readers saw end of stream).
fn copy_bidirectional_counts_and_bytes(rt: Runtime) {
    let _w = Watchdog::new("copy_bidirectional_counts_and_bytes", 60);
    let up = Rng(11).bytes(100_000);
    let down = Rng(12).bytes(70_000);
    let (server_got, client_got, counts) = rt.block_on({
        let (up, down) = (up.clone(), down.clone());
        async move {
            let (mut client, mut left) = zokio::io::duplex(128);
            let (mut right, mut server) = zokio::io::duplex(77);
            let proxy =
                zokio::spawn(
                    async move { zokio::io::copy_bidirectional(&mut left, &mut right).await },
                );
            let server = zokio::spawn(async move {
                let mut got = Vec::new();
                server.read_to_end(&mut got).await.unwrap();
                server.write_all(&down).await.unwrap();
                got
            });
            client.write_all(&up).await.unwrap();
            client.shutdown().await.unwrap();
            let mut client_got = Vec::new();
            client.read_to_end(&mut client_got).await.unwrap();
            (
                server.await.unwrap(),
                client_got,
                proxy.await.unwrap().unwrap(),
            )
        }
    });
    assert_eq!(counts, (100_000, 70_000));
    assert!(server_got == up, "server got different bytes");
    assert!(client_got == down, "client got different bytes");
}

/// A BufWriter (capacity 100) writes 2,000 numbered lines and integers in small pieces into a
/// duplex; a BufReader (capacity 37) on the other end reads them back exactly.
fn buffered_lines_and_integers_round_trip(rt: Runtime) {
    let _w = Watchdog::new("buffered_lines_and_integers_round_trip", 60);
    rt.block_on(async {
        let (tx, rx) = zokio::io::duplex(64);
        zokio::spawn(async move {
            let mut w = BufWriter::with_capacity(100, tx);
            for i in 0..2_000u32 {
                w.write_u32_le(i).await.unwrap();
                w.write_all(format!("line {i}\n").as_bytes()).await.unwrap();
            }
            w.shutdown().await.unwrap();
        });
        let mut r = BufReader::with_capacity(37, rx);
        let mut line = String::new();
        for i in 0..2_000u32 {
            assert_eq!(r.read_u32_le().await.unwrap(), i);
            line.clear();
            assert_eq!(r.read_line(&mut line).await.unwrap(), line.len());
            assert_eq!(line, format!("line {i}\n"));
        }
        assert_eq!(r.read_line(&mut line).await.unwrap(), 0);
    });
}

/// `copy_buf` from a BufReader over a duplex into a Vec: 300,000 bytes, byte-exact.
fn copy_buf_from_bufreader(rt: Runtime) {
    let _w = Watchdog::new("copy_buf_from_bufreader", 60);
    let data = Rng(21).bytes(300_000);
    let (n, got) = rt.block_on({
        let data = data.clone();
        async move {
            let (mut tx, rx) = zokio::io::duplex(1000);
            zokio::spawn(async move { tx.write_all(&data).await.unwrap() });
            let mut r = BufReader::with_capacity(333, rx);
            let mut got = Vec::new();
            (zokio::io::copy_buf(&mut r, &mut got).await.unwrap(), got)
        }
    });
    assert_eq!(n, 300_000);
    assert!(got == data, "copied bytes differ");
}

rt_test!(
    duplex_1mib_random_chunks_byte_exact,
    split_halves_echo_across_tasks,
    copy_bidirectional_counts_and_bytes,
    buffered_lines_and_integers_round_trip,
    copy_buf_from_bufreader,
);

// ---- duplex: back-pressure, EOF, errors, by polling by hand ------------------------------

/// With `max_buf_size` 4, a 10-byte write takes 4 bytes, the next write is `Pending` without a
/// wake-up; reading 3 bytes wakes the writer exactly once and makes room for exactly 3.
#[test]
fn duplex_back_pressure_pends_until_the_reader_reads() {
    let (mut a, mut b) = zokio::io::duplex(4);
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let data = b"0123456789";
    let write = |a: &mut zokio::io::DuplexStream, cx: &mut Context<'_>, d: &[u8]| {
        Pin::new(a).poll_write(cx, d)
    };
    assert!(matches!(write(&mut a, &mut cx, data), Poll::Ready(Ok(4))));
    assert!(write(&mut a, &mut cx, &data[4..]).is_pending());
    assert!(write(&mut a, &mut cx, &data[4..]).is_pending());
    assert_eq!(wakes.0.load(SeqCst), 0);

    let mut out = [0u8; 3];
    let mut rb = ReadBuf::new(&mut out);
    assert!(Pin::new(&mut b)
        .poll_read(&mut Context::from_waker(Waker::noop()), &mut rb)
        .is_ready());
    assert_eq!(rb.filled(), b"012");
    assert_eq!(wakes.0.load(SeqCst), 1);
    assert!(matches!(
        write(&mut a, &mut cx, &data[4..]),
        Poll::Ready(Ok(3))
    ));
}

/// A reader of an empty duplex is `Pending` and is woken exactly once by the peer's write.
#[test]
fn duplex_reader_is_woken_by_a_write() {
    let (mut a, mut b) = zokio::io::duplex(16);
    let (wakes, waker) = counting_waker();
    let mut buf = [0u8; 8];
    let mut read = b.read(&mut buf);
    assert!(poll_once(&mut read, &waker).is_pending());
    assert_eq!(wakes.0.load(SeqCst), 0);
    let mut write = a.write(b"xy");
    assert!(matches!(
        poll_once(&mut write, Waker::noop()),
        Poll::Ready(Ok(2))
    ));
    assert_eq!(wakes.0.load(SeqCst), 1);
    assert!(matches!(poll_once(&mut read, &waker), Poll::Ready(Ok(2))));
    assert_eq!(&buf[..2], b"xy");
}

/// The reader gets the bytes written before the peer dropped, then end of stream (0, again and
/// again); a dropped peer wakes a pending reader; writing to a dropped peer is `BrokenPipe`.
#[test]
fn duplex_eof_after_drop_and_broken_pipe() {
    block_on(async {
        let (mut a, mut b) = zokio::io::duplex(16);
        a.write_all(b"last").await.unwrap();
        drop(a);
        let mut got = Vec::new();
        assert_eq!(b.read_to_end(&mut got).await.unwrap(), 4);
        assert_eq!(got, b"last");
        assert_eq!(b.read(&mut [0; 4]).await.unwrap(), 0);
        assert_eq!(b.read(&mut [0; 4]).await.unwrap(), 0);
        let err = b.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
    let (a, mut b) = zokio::io::duplex(16);
    let (wakes, waker) = counting_waker();
    let mut buf = [0u8; 4];
    let mut read = b.read(&mut buf);
    assert!(poll_once(&mut read, &waker).is_pending());
    drop(a);
    assert_eq!(wakes.0.load(SeqCst), 1);
    assert!(matches!(poll_once(&mut read, &waker), Poll::Ready(Ok(0))));
}

/// After `shutdown` the peer reads end of stream but can still write back; this end's own
/// writes fail with `BrokenPipe`.
#[test]
fn duplex_shutdown_is_half_close() {
    block_on(async {
        let (mut a, mut b) = zokio::io::duplex(16);
        a.write_all(b"req").await.unwrap();
        a.shutdown().await.unwrap();
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "req");
        b.write_all(b"resp").await.unwrap();
        drop(b);
        let mut back = String::new();
        a.read_to_string(&mut back).await.unwrap();
        assert_eq!(back, "resp");
        assert_eq!(
            a.write(b"x").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
    });
}

// ---- cancel safety -------------------------------------------------------------------------

/// A `Lines::next_line` cancelled after reading half a line loses nothing: the next call
/// returns the whole line (and reads no further). A `read` cancelled while `Pending` takes
/// nothing: the next read gets every byte.
#[test]
fn next_line_and_read_are_cancel_safe() {
    let (mut a, b) = zokio::io::duplex(64);
    let mut lines = BufReader::new(b).lines();
    block_on(a.write_all(b"hel")).unwrap();
    {
        let mut next = pin!(lines.next_line());
        assert!(next
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
    }
    block_on(a.write_all(b"lo\nworld\n")).unwrap();
    assert_eq!(
        block_on(lines.next_line()).unwrap().as_deref(),
        Some("hello")
    );
    assert_eq!(lines.get_ref().buffer(), b"world\n");

    let (mut c, mut d) = zokio::io::duplex(64);
    let mut buf = [0u8; 8];
    assert!(poll_once(&mut d.read(&mut buf), Waker::noop()).is_pending());
    block_on(c.write_all(b"kept")).unwrap();
    assert_eq!(block_on(d.read(&mut buf)).unwrap(), 4);
    assert_eq!(&buf[..4], b"kept");
}

// ---- AsyncReadExt / AsyncWriteExt / AsyncBufReadExt exact results ---------------------------

/// `read_exact` and the number readers fail with `UnexpectedEof` when the stream ends early.
#[test]
fn read_exact_on_early_eof_is_unexpected_eof() {
    block_on(async {
        let mut short: &[u8] = b"abc";
        let mut buf = [0u8; 5];
        assert_eq!(
            short.read_exact(&mut buf).await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        let mut two: &[u8] = &[1, 2];
        assert_eq!(
            two.read_u32().await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        let mut exact: &[u8] = b"abcde";
        assert_eq!(exact.read_exact(&mut buf).await.unwrap(), 5);
        assert_eq!(&buf, b"abcde");
    });
}

/// Every integer and float writer's bytes, big- and little-endian, and the readers get the
/// values back.
#[test]
fn numbers_round_trip_big_and_little_endian() {
    block_on(async {
        let mut w = Vec::new();
        w.write_u16(0x0102).await.unwrap();
        w.write_u16_le(0x0102).await.unwrap();
        w.write_i32(-2).await.unwrap();
        w.write_u64_le(0x0102_0304_0506_0708).await.unwrap();
        assert_eq!(
            w,
            [1, 2, 2, 1, 0xff, 0xff, 0xff, 0xfe, 8, 7, 6, 5, 4, 3, 2, 1]
        );
        w.write_u8(200).await.unwrap();
        w.write_i8(-3).await.unwrap();
        w.write_i16(-300).await.unwrap();
        w.write_i16_le(-301).await.unwrap();
        w.write_u32(u32::MAX - 1).await.unwrap();
        w.write_u32_le(123_456).await.unwrap();
        w.write_i32_le(-123_456).await.unwrap();
        w.write_u64(u64::MAX - 2).await.unwrap();
        w.write_i64(i64::MIN).await.unwrap();
        w.write_i64_le(-5).await.unwrap();
        w.write_u128(u128::MAX / 3).await.unwrap();
        w.write_u128_le(7).await.unwrap();
        w.write_i128(i128::MIN + 1).await.unwrap();
        w.write_i128_le(-9).await.unwrap();
        w.write_f32(1.5).await.unwrap();
        w.write_f32_le(-0.25).await.unwrap();
        w.write_f64(std::f64::consts::PI).await.unwrap();
        w.write_f64_le(-1e300).await.unwrap();

        let mut r: &[u8] = &w;
        assert_eq!(r.read_u16().await.unwrap(), 0x0102);
        assert_eq!(r.read_u16_le().await.unwrap(), 0x0102);
        assert_eq!(r.read_i32().await.unwrap(), -2);
        assert_eq!(r.read_u64_le().await.unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(r.read_u8().await.unwrap(), 200);
        assert_eq!(r.read_i8().await.unwrap(), -3);
        assert_eq!(r.read_i16().await.unwrap(), -300);
        assert_eq!(r.read_i16_le().await.unwrap(), -301);
        assert_eq!(r.read_u32().await.unwrap(), u32::MAX - 1);
        assert_eq!(r.read_u32_le().await.unwrap(), 123_456);
        assert_eq!(r.read_i32_le().await.unwrap(), -123_456);
        assert_eq!(r.read_u64().await.unwrap(), u64::MAX - 2);
        assert_eq!(r.read_i64().await.unwrap(), i64::MIN);
        assert_eq!(r.read_i64_le().await.unwrap(), -5);
        assert_eq!(r.read_u128().await.unwrap(), u128::MAX / 3);
        assert_eq!(r.read_u128_le().await.unwrap(), 7);
        assert_eq!(r.read_i128().await.unwrap(), i128::MIN + 1);
        assert_eq!(r.read_i128_le().await.unwrap(), -9);
        assert_eq!(r.read_f32().await.unwrap(), 1.5);
        assert_eq!(r.read_f32_le().await.unwrap(), -0.25);
        assert_eq!(r.read_f64().await.unwrap(), std::f64::consts::PI);
        assert_eq!(r.read_f64_le().await.unwrap(), -1e300);
        assert!(r.is_empty());
    });
}

/// A number read through a 1-byte-at-a-time duplex is assembled across many `Pending`s.
#[test]
fn numbers_survive_one_byte_chunks() {
    block_on(async {
        let (mut a, mut b) = zokio::io::duplex(1);
        zokio::spawn(async move { a.write_u64(0x1122_3344_5566_7788).await.unwrap() });
        assert_eq!(b.read_u64().await.unwrap(), 0x1122_3344_5566_7788);
    });
}

/// `read_line` keeps the newline and appends; `lines` strips `\n` and `\r\n` and keeps empty
/// lines; both report end of stream.
#[test]
fn read_line_and_lines_contents() {
    block_on(async {
        let mut r = BufReader::with_capacity(3, &b"first\r\nsecond\n\nlast"[..]);
        let mut s = String::from(">");
        assert_eq!(r.read_line(&mut s).await.unwrap(), 7);
        assert_eq!(s, ">first\r\n");
        let mut lines = r.lines();
        let mut all = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            all.push(line);
        }
        assert_eq!(all, ["second", "", "last"]);
        assert_eq!(lines.next_line().await.unwrap(), None);
        let mut empty: &[u8] = b"";
        assert_eq!(empty.read_line(&mut s).await.unwrap(), 0);
        assert_eq!(s, ">first\r\n");
    });
}

/// Invalid UTF-8: `read_line` and `read_to_string` fail with `InvalidData` and leave the string
/// unchanged; `Lines` reports it for that line only.
#[test]
fn invalid_utf8_is_invalid_data_and_keeps_the_string() {
    block_on(async {
        let mut s = String::from("keep");
        let mut r: &[u8] = b"ok\xff\nnext\n";
        assert_eq!(
            r.read_line(&mut s).await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(s, "keep");
        let mut r2: &[u8] = b"\xc3";
        assert_eq!(
            r2.read_to_string(&mut s).await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(s, "keep");
        let mut lines = (&b"\xff\nfine\n"[..]).lines();
        assert_eq!(
            lines.next_line().await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("fine"));
    });
}

/// `read_until` includes the delimiter and appends; `split` yields segments without it,
/// including an empty one and the unterminated tail.
#[test]
fn read_until_and_split_segments() {
    block_on(async {
        let mut r: &[u8] = b"a,bc,,d";
        let mut buf = b"x".to_vec();
        assert_eq!(r.read_until(b',', &mut buf).await.unwrap(), 2);
        assert_eq!(buf, b"xa,");
        let mut split = AsyncBufReadExt::split(r, b',');
        let mut segments = Vec::new();
        while let Some(seg) = split.next_segment().await.unwrap() {
            segments.push(seg);
        }
        assert_eq!(segments, [b"bc".to_vec(), vec![], b"d".to_vec()]);
    });
}

/// `read_to_end`/`read_to_string` append and return the count; `take` stops at the limit;
/// `chain` continues with the second reader.
#[test]
fn read_to_end_take_and_chain() {
    block_on(async {
        let mut buf = b"<".to_vec();
        assert_eq!((&b"abc"[..]).read_to_end(&mut buf).await.unwrap(), 3);
        assert_eq!(buf, b"<abc");
        let mut s = String::from("1");
        assert_eq!((&b"23"[..]).read_to_string(&mut s).await.unwrap(), 2);
        assert_eq!(s, "123");

        let mut take = (&b"hello world"[..]).take(5);
        let mut got = String::new();
        take.read_to_string(&mut got).await.unwrap();
        assert_eq!((got.as_str(), take.limit()), ("hello", 0));
        take.set_limit(100);
        got.clear();
        take.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, " world");

        let mut chain = (&b"ab"[..]).chain(&b"cd"[..]).chain(zokio::io::empty());
        let mut all = Vec::new();
        chain.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"abcd");
        let mut lines = (&b"x\ny"[..]).chain(&b"z\n"[..]).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("x"));
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("yz"));
    });
}

/// `write_vectored` on a Vec takes every slice; `write_all` into a full slice cursor is
/// `WriteZero` after the bytes that fit.
#[test]
fn write_vectored_and_write_zero() {
    block_on(async {
        let mut v = Vec::new();
        let bufs = [std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"cde")];
        assert_eq!(v.write_vectored(&bufs).await.unwrap(), 5);
        assert_eq!(v, b"abcde");
        let mut storage = [0u8; 3];
        let mut c = Cursor::new(&mut storage[..]);
        assert_eq!(
            c.write_all(b"wxyz").await.unwrap_err().kind(),
            ErrorKind::WriteZero
        );
        assert_eq!(&storage, b"wxy");
    });
}

// ---- BufReader / BufWriter / Cursor / seeking --------------------------------------------

/// BufReader over a cursor of bytes 0..=99 with a 10-byte buffer: positions and
/// `SeekFrom::Current` count from the next unread byte, not the inner cursor's position.
#[test]
fn bufreader_seek_accounts_for_the_buffer() {
    block_on(async {
        let data: Vec<u8> = (0..100).collect();
        let mut r = BufReader::with_capacity(10, Cursor::new(data));
        let mut three = [0u8; 3];
        r.read_exact(&mut three).await.unwrap();
        assert_eq!(
            (three, r.buffer().len(), r.get_ref().position()),
            ([0, 1, 2], 7, 10)
        );
        assert_eq!(r.stream_position().await.unwrap(), 3);
        assert_eq!(r.seek(SeekFrom::Current(5)).await.unwrap(), 8);
        assert_eq!(r.read_u8().await.unwrap(), 8);
        assert_eq!(
            r.seek(SeekFrom::Current(i64::MIN + 1))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(r.seek(SeekFrom::Start(50)).await.unwrap(), 50);
        assert_eq!(r.read_u8().await.unwrap(), 50);
        assert_eq!(r.seek(SeekFrom::End(-1)).await.unwrap(), 99);
        assert_eq!(r.read_u8().await.unwrap(), 99);
        r.rewind().await.unwrap();
        assert_eq!(r.read_u16().await.unwrap(), 0x0001);
    });
}

/// BufWriter holds small writes until flush; a large write goes straight through; a seek
/// writes the buffer out first.
#[test]
fn bufwriter_buffers_until_flush_and_before_seek() {
    block_on(async {
        let mut w = BufWriter::with_capacity(8, Cursor::new(Vec::new()));
        w.write_all(b"abcde").await.unwrap();
        assert_eq!(
            (w.buffer(), w.get_ref().get_ref().len()),
            (&b"abcde"[..], 0)
        );
        assert_eq!(w.seek(SeekFrom::Start(1)).await.unwrap(), 1);
        assert_eq!(w.buffer(), b"");
        w.write_all(b"X").await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().get_ref(), b"aXcde");
        w.write_all(b"0123456789").await.unwrap();
        assert_eq!(
            (w.buffer(), w.get_ref().get_ref().as_slice()),
            (&b""[..], &b"aX0123456789"[..])
        );
        assert_eq!(w.stream_position().await.unwrap(), 12);
        assert_eq!(w.into_inner().into_inner(), b"aX0123456789");
    });
}

/// Cursor: read, buffered read, seek and write with std's semantics.
#[test]
fn cursor_read_seek_write() {
    block_on(async {
        let mut c = Cursor::new(b"0123456789".to_vec());
        c.seek(SeekFrom::Start(8)).await.unwrap();
        c.write_all(b"XYZ").await.unwrap();
        assert_eq!(c.get_ref(), b"01234567XYZ");
        c.rewind().await.unwrap();
        let mut line = Vec::new();
        c.read_until(b'4', &mut line).await.unwrap();
        assert_eq!(line, b"01234");
        let mut rest = String::new();
        c.read_to_string(&mut rest).await.unwrap();
        assert_eq!(
            (rest.as_str(), c.stream_position().await.unwrap()),
            ("567XYZ", 11)
        );
    });
}

/// `repeat(7).take(100_000)` copied into `sink()` counts 100,000; `empty()` reads nothing and
/// accepts writes; repeat fills a buffer with its byte.
#[test]
fn empty_sink_repeat() {
    block_on(async {
        let mut src = zokio::io::repeat(7).take(100_000);
        assert_eq!(
            zokio::io::copy(&mut src, &mut zokio::io::sink())
                .await
                .unwrap(),
            100_000
        );
        let mut buf = [0u8; 4];
        zokio::io::repeat(9).read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [9; 4]);
        let mut e = zokio::io::empty();
        assert_eq!(e.read(&mut buf).await.unwrap(), 0);
        assert_eq!(e.write(b"abc").await.unwrap(), 3);
    });
}

// ---- compatibility ---------------------------------------------------------------------------

/// `futures::io::AsyncReadExt::read_to_end` reads a zokio duplex through `Compat`, and through
/// the futures-io impl DuplexStream has itself; `futures::io::AsyncWriteExt::close` is shutdown.
#[test]
fn compat_lets_futures_read_a_duplex() {
    block_on(async {
        let (mut a, b) = zokio::io::duplex(8);
        let writer = zokio::spawn(async move {
            AsyncWriteExt::write_all(&mut a, b"through compat")
                .await
                .unwrap();
        });
        let mut b = zokio::io::Compat::new(b);
        let mut got = Vec::new();
        futures::io::AsyncReadExt::read_to_end(&mut b, &mut got)
            .await
            .unwrap();
        writer.await.unwrap();
        assert_eq!(got, b"through compat");

        let (mut c, mut d) = zokio::io::duplex(8);
        futures::io::AsyncWriteExt::write_all(&mut c, b"direct")
            .await
            .unwrap();
        futures::io::AsyncWriteExt::close(&mut c).await.unwrap();
        let mut got = String::new();
        futures::io::AsyncReadExt::read_to_string(&mut d, &mut got)
            .await
            .unwrap();
        assert_eq!(got, "direct");
    });
}

/// The other direction: a futures-io cursor read, written and seeked through zokio's traits;
/// and a zokio cursor seeked through futures-io's.
#[test]
fn from_futures_io_and_compat_seek() {
    block_on(async {
        let mut f = zokio::io::FromFuturesIo::new(futures::io::Cursor::new(b"abcdef".to_vec()));
        assert_eq!(f.seek(SeekFrom::Start(2)).await.unwrap(), 2);
        f.write_all(b"XY").await.unwrap();
        f.rewind().await.unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "abXYef");

        let mut c = zokio::io::Compat::new(Cursor::new(b"0123".to_vec()));
        assert_eq!(
            futures::io::AsyncSeekExt::seek(&mut c, SeekFrom::End(-1))
                .await
                .unwrap(),
            3
        );
        assert_eq!(c.get_ref().position(), 3);
    });
}

/// tokio's `AsyncWriteExt::write_all` writes into a zokio duplex, through `Compat` and directly;
/// tokio's `AsyncReadExt` reads one; a tokio reader works as a zokio one through `FromTokio`.
#[cfg(feature = "tokio-compat")]
#[test]
fn tokio_write_all_into_a_duplex() {
    block_on(async {
        let (a, mut b) = zokio::io::duplex(4);
        let writer = zokio::spawn(async move {
            let mut a = zokio::io::Compat::new(a);
            tokio::io::AsyncWriteExt::write_all(&mut a, b"tokio compat")
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::shutdown(&mut a).await.unwrap();
        });
        let mut got = Vec::new();
        AsyncReadExt::read_to_end(&mut b, &mut got).await.unwrap();
        writer.await.unwrap();
        assert_eq!(got, b"tokio compat");

        let (mut c, mut d) = zokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut c, b"direct")
            .await
            .unwrap();
        drop(c);
        let mut s = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut d, &mut s)
            .await
            .unwrap();
        assert_eq!(s, "direct");

        let mut t = zokio::io::FromTokio::new(&b"from tokio"[..]);
        let mut s = String::new();
        AsyncReadExt::read_to_string(&mut t, &mut s).await.unwrap();
        assert_eq!(s, "from tokio");
    });
}

/// A writer that takes at most `max` bytes per call (vectored or not, as configured) and keeps
/// everything it took.
struct Trickle {
    got: Vec<u8>,
    max: usize,
    vectored: bool,
    calls: usize,
}

impl AsyncWrite for Trickle {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let n = buf.len().min(self.max);
        self.got.extend_from_slice(&buf[..n]);
        self.calls += 1;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let mut room = self.max;
        for b in bufs {
            let n = b.len().min(room);
            self.got.extend_from_slice(&b[..n]);
            room -= n;
        }
        self.calls += 1;
        Poll::Ready(Ok(self.max - room))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// `read_buf` fills a `BytesMut`'s spare capacity and advances it (0 once it is full, or at
/// the end); `write_buf` writes one call's worth and advances the `Buf`; `write_all_buf`
/// writes a chained `Buf` whole through a writer that takes 5 bytes a call: across the chain's
/// chunks when the writer takes vectored writes, one chunk per call otherwise.
#[test]
fn read_buf_and_write_buf_advance_their_buffers() {
    use bytes::{Buf, BufMut, BytesMut};
    block_on(async {
        let mut input: &[u8] = b"hello, world";
        let mut buf = BytesMut::with_capacity(4);
        while input.read_buf(&mut buf).await.unwrap() > 0 {}
        assert_eq!(&buf[..], b"hello, world");
        // A fixed slice fills up: then nothing more is read.
        let mut arr = [0u8; 4];
        let mut room = &mut arr[..];
        let mut more: &[u8] = b"abcdef";
        assert_eq!(more.read_buf(&mut room).await.unwrap(), 4);
        assert_eq!(room.remaining_mut(), 0);
        assert_eq!(more.read_buf(&mut room).await.unwrap(), 0, "no room");
        assert_eq!((&arr, more), (b"abcd", &b"ef"[..]));

        for vectored in [false, true] {
            let mut w = Trickle {
                got: Vec::new(),
                max: 5,
                vectored,
                calls: 0,
            };
            let mut one = &b"0123456789"[..];
            assert_eq!(w.write_buf(&mut one).await.unwrap(), 5);
            assert_eq!(one, b"56789");
            let mut chain = Buf::chain(&b"hello "[..], &b"chained world"[..]);
            w.write_all_buf(&mut chain).await.unwrap();
            assert!(!chain.has_remaining());
            assert_eq!(w.got, b"01234hello chained world");
            // Vectored: 19 bytes in 5-byte calls; one chunk at a time: "hello", " ", then
            // "chain", "ed wo", "rld".
            let calls = if vectored { 4 } else { 5 };
            assert_eq!(w.calls, 1 + calls, "vectored: {vectored}");
        }
    });
}
