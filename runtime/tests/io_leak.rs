//! 10,000 reads dropped while in flight, then the runtime dropped: no descriptor leaks (the
//! process's `/proc/self/fd` count is the same before and after), on each scheduler flavor and
//! both I/O backends. This binary holds one test so nothing else opens descriptors meanwhile;
//! CI also runs it under AddressSanitizer.

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use zokio::io::{AsyncReadExt, AsyncWriteExt, IoBackendPreference};
use zokio::net::{TcpListener, TcpStream};

const READS: usize = 10_000;
const BATCH: usize = 500;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Polls `fut` once (starting its read) and drops it.
fn start_and_drop<F: Future>(fut: F) -> bool {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    fut.as_mut().poll(&mut cx).is_pending()
}

/// One batch: connected pairs whose reads are started and dropped; half of the pairs are kept
/// alive (with a read in flight and unsent data) past the runtime's end.
async fn batch(listener: &TcpListener, keep: &mut Vec<TcpStream>) -> usize {
    let addr = listener.local_addr().unwrap();
    let mut pending = 0;
    for i in 0..BATCH {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        pending += usize::from(start_and_drop(client.read(&mut buf)));
        server.write_all(b"late").await.unwrap();
        if i % 2 == 0 {
            keep.push(client);
            keep.push(server);
        }
    }
    pending
}

#[test]
fn dropped_reads_and_runtimes_leak_no_descriptors() {
    let backends = [IoBackendPreference::IoUring, IoBackendPreference::Poll];
    for backend in backends {
        for flavor in [0, 1, 4] {
            let before = open_fds();
            let rt = support::io_runtime(flavor, backend);
            let mut keep = Vec::new();
            let pending = rt.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut pending = 0;
                for _ in 0..READS / BATCH {
                    pending += batch(&listener, &mut keep).await;
                    keep.truncate(BATCH);
                }
                pending
            });
            assert_eq!(
                pending, READS,
                "every read was still in flight when dropped"
            );
            drop(rt);
            drop(keep);
            assert_eq!(
                open_fds(),
                before,
                "descriptors leaked ({backend:?}, flavor {flavor})"
            );
        }
    }
}
