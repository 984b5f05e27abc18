//! The io_uring instance shared by a runtime: submission, reaping, parking and waking.
//!
//! # Locking
//! The submission queue has one producer at a time: whoever holds `sq`. The completion queue has
//! one consumer at a time: whoever holds `cq` (taken with `try_lock` only, so a thread never waits
//! to reap: if someone else is reaping, the completions are in good hands). The lock order is
//! `cq` then `sq` (the reaper re-arms the wake-up poll while reaping); a submitter that finds the
//! queue full flushes it and, if the kernel is holding back completions, lets go of `sq` and
//! reaps with `try_lock` before trying again.
//! A multishot operation's completion is recorded in its cell under `ops` (`ops` then the cell's
//! lock); nothing takes `ops` while holding a cell's lock.
//!
//! # Batching
//! Submissions are pushed without a system call and flushed by one `io_uring_enter` when the
//! driver owner parks, when a worker runs its maintenance, or when the queue is full. Completions
//! are reaped from the shared ring without a system call whenever they are already there.
//!
//! # Waking the parked owner
//! An eventfd is kept under a one-shot `POLL_ADD` (no buffer for the kernel to write into); the
//! unparker writes to it, the poll completes and `io_uring_enter` returns. The reaper drains the
//! eventfd and re-arms the poll before anyone can park again; a reaper that is not the sleeper
//! (a busy worker's maintenance) writes the eventfd again while someone sleeps, so the wake-up
//! it took reaches the sleeper.

use super::buf_ring::BufRing;
use super::op::{Completion, Cqe, OpTable};
use crate::io::driver::backend::describe_setup_error;
use crate::io::driver::OpKind;
use crate::runtime::metrics::{IoStats, RingIoCounters};
use crossbeam_utils::CachePadded;
use io_uring::{opcode, types, IoUring};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `user_data` of the wake-up poll on the eventfd.
const WAKE_TOKEN: u64 = u64::MAX;
/// `user_data` of cancellations (their completions carry nothing to dispatch).
const CANCEL_TOKEN: u64 = u64::MAX - 1;
/// Submission queue entries; the completion queue gets four times as many.
const ENTRIES: u32 = 256;

/// The opcodes the driver submits; a kernel lacking one gets the poll backend.
const REQUIRED_OPCODES: &[(u8, &str)] = &[
    (opcode::PollAdd::CODE, "POLL_ADD"),
    (opcode::AsyncCancel::CODE, "ASYNC_CANCEL"),
    (opcode::Recv::CODE, "RECV"),
    (opcode::Send::CODE, "SEND"),
    (opcode::Accept::CODE, "ACCEPT"),
    (opcode::Connect::CODE, "CONNECT"),
    (opcode::Read::CODE, "READ"),
    (opcode::Write::CODE, "WRITE"),
    (opcode::OpenAt::CODE, "OPENAT"),
    (opcode::Close::CODE, "CLOSE"),
    (opcode::Fsync::CODE, "FSYNC"),
    (opcode::Statx::CODE, "STATX"),
];

/// One io_uring instance of a runtime (see `rings.rs`: one per worker).
pub(crate) struct Uring {
    ring: IoUring,
    /// The id of the [`Rings`](super::Rings) this ring belongs to, and its index there.
    set: u64,
    index: usize,
    // The words written per operation each have a line of their own (submitters, the reaper
    // and readers giving buffers back run on different workers); the fields read for every
    // operation (the queues' pointers above, the flags below) stay on lines nobody writes.
    sq: CachePadded<Mutex<()>>,
    unsubmitted: CachePadded<AtomicUsize>,
    cq: CachePadded<Mutex<()>>,
    ops: CachePadded<Ops>,
    wake_fd: OwnedFd,
    wake_armed: AtomicBool,
    /// A thread is (about to be) asleep in `park`.
    parked: AtomicBool,
    overflow_seen: AtomicU32,
    closed: AtomicBool,
    multishot_accept: AtomicBool,
    buf_ring: Option<BufRing>,
    stray: std::sync::atomic::AtomicU64,
    stats: Arc<IoStats>,
    /// This ring's operation counters: submissions counted under `sq`, completions under `cq`.
    counters: Arc<RingIoCounters>,
}

/// The ring's operations in flight and, on the same cache line (both are written per
/// operation), how many there are, readable without the lock (a hint for the busy worker's
/// frequent I/O check, see [`Uring::poll_now`]).
#[derive(Default)]
struct Ops {
    table: Mutex<OpTable>,
    live: AtomicUsize,
}

impl Ops {
    fn insert(&self, cell: Arc<dyn Completion>) -> u64 {
        let mut table = self.table.lock().unwrap();
        let key = table.insert(cell);
        self.live.store(table.live(), Relaxed);
        key
    }

    fn take(&self, key: u64) -> Option<Arc<dyn Completion>> {
        let mut table = self.table.lock().unwrap();
        let cell = table.take(key);
        self.live.store(table.live(), Relaxed);
        cell
    }
}

impl Uring {
    /// Sets up ring `index` of set `set`, or says why io_uring cannot be used (the poll
    /// backend's reason).
    pub(crate) fn new(
        inject_errno: Option<i32>,
        set: u64,
        index: usize,
        stats: Arc<IoStats>,
    ) -> Result<Uring, String> {
        if let Some(errno) = inject_errno {
            return Err(describe_setup_error(&io::Error::from_raw_os_error(errno)));
        }
        let ring = build_ring().map_err(|e| describe_setup_error(&e))?;
        check_features(&ring)?;
        let wake_fd = eventfd().map_err(|e| format!("eventfd failed: {e}"))?;
        // Provided buffers need kernel 5.19; without them receives stay single-shot.
        let buf_ring = BufRing::new(&ring.submitter()).ok();
        let uring = Uring {
            ring,
            set,
            index,
            sq: CachePadded::new(Mutex::new(())),
            unsubmitted: CachePadded::new(AtomicUsize::new(0)),
            cq: CachePadded::new(Mutex::new(())),
            ops: CachePadded::new(Ops::default()),
            wake_fd,
            wake_armed: AtomicBool::new(false),
            parked: AtomicBool::new(false),
            overflow_seen: AtomicU32::new(0),
            closed: AtomicBool::new(false),
            multishot_accept: AtomicBool::new(true),
            buf_ring,
            stray: std::sync::atomic::AtomicU64::new(0),
            counters: stats.ring(),
            stats,
        };
        uring
            .arm_wake()
            .map_err(|e| format!("io_uring wake-up poll failed: {e}"))?;
        Ok(uring)
    }

    pub(crate) fn stats(&self) -> &IoStats {
        &self.stats
    }

    /// Counts a completion of one of this ring's operations. Only the reaper (holding `cq`)
    /// calls it, from a cell's [`Completion::complete`](super::op::Completion::complete).
    #[inline]
    pub(crate) fn count_completion(&self, kind: OpKind, res: i32, latency_ns: Option<u64>) {
        self.stats.completed(&self.counters, kind, res, latency_ns);
    }

    /// Counts the last completion of one of this ring's operations (as above: under `cq`).
    #[inline]
    pub(crate) fn count_finished(&self, kind: OpKind) {
        self.stats.finished(&self.counters, kind);
    }

    /// Whether the calling thread drives this ring (flushes it before it sleeps): its
    /// submissions may wait for that flush. Any other thread submits at once, since nobody
    /// would flush for it.
    fn defers_submission(&self) -> bool {
        super::rings::drives(self.set, self.index)
    }

    /// The provided-buffer ring for multishot receives, where the kernel supports it.
    pub(crate) fn buf_ring(&self) -> Option<&BufRing> {
        self.buf_ring.as_ref()
    }

    /// Completions whose key named no operation in flight (ignored; see `op.rs`).
    pub(crate) fn stray_completions(&self) -> u64 {
        self.stray.load(Relaxed)
    }

    /// Whether accepts go multishot (until the kernel refuses one with `EINVAL`: before 5.19).
    pub(crate) fn multishot_accept(&self) -> bool {
        self.multishot_accept.load(Relaxed)
    }

    pub(crate) fn disable_multishot_accept(&self) {
        self.multishot_accept.store(false, Relaxed);
    }

    /// Whether operations record their latency (the `telemetry` feature).
    pub(crate) fn timing(&self) -> bool {
        crate::runtime::metrics::ENABLED
    }

    /// Enters `cell` in the op table and queues `entry` under its key; returns the key.
    pub(crate) fn submit_op(
        &self,
        entry: &io_uring::squeue::Entry,
        kind: OpKind,
        cell: Arc<dyn Completion>,
    ) -> io::Result<u64> {
        if self.closed.load(Acquire) {
            return Err(io::Error::other("the runtime's I/O driver has shut down"));
        }
        let key = self.ops.insert(cell);
        if let Err(e) = self.push_raw(&entry.clone().user_data(key), Some(kind)) {
            self.ops.take(key);
            return Err(e);
        }
        self.submit_unless_deferred();
        Ok(key)
    }

    /// Queues an entry that is not an operation of the table (cancellations).
    fn push(&self, entry: &io_uring::squeue::Entry, kind: OpKind) -> io::Result<()> {
        if self.closed.load(Acquire) {
            return Err(io::Error::other("the runtime's I/O driver has shut down"));
        }
        self.push_raw(entry, Some(kind))?;
        self.submit_unless_deferred();
        Ok(())
    }

    /// Submits at once on threads that do not flush the ring themselves (unconditionally: the
    /// pending count is only a hint, and another thread may have just reset it).
    fn submit_unless_deferred(&self) {
        if !self.defers_submission() {
            let _ = self.ring.submitter().submit();
        }
    }

    /// Queues `entry`, counted as an operation of `kind` if it is one (under `sq`).
    fn push_raw(&self, entry: &io_uring::squeue::Entry, kind: Option<OpKind>) -> io::Result<()> {
        loop {
            {
                let _sq = self.sq.lock().unwrap();
                // SAFETY: holding `sq` makes us the only producer of the submission queue; the
                // entry's pointers stay valid because each points into an op cell the kernel
                // holds a reference to (or to nothing, for polls and cancellations).
                let pushed = unsafe { self.ring.submission_shared().push(entry) };
                if pushed.is_ok() {
                    self.unsubmitted.fetch_add(1, Release);
                    if let Some(kind) = kind {
                        self.stats.submitted(&self.counters, kind);
                    }
                    return Ok(());
                }
                self.stats.sq_full_wait();
                if !self.flush_full()? {
                    continue;
                }
            }
            // Reaped without `sq`: dispatching takes it (the wake-up poll is re-armed, the
            // overflow flag read), and a thread never waits for a lock it holds.
            self.reap();
        }
    }

    /// Submits a full queue (under `sq`). Returns whether the kernel refused because it is
    /// holding completions back (`EBUSY` on kernels that do so): the caller then reaps, after
    /// letting go of `sq`, and tries again.
    fn flush_full(&self) -> io::Result<bool> {
        #[cfg(all(test, not(loom)))]
        if tests::INJECT_BUSY
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            let _ = self.ring.submitter().submit();
            return Ok(true);
        }
        match self.ring.submitter().submit() {
            Ok(_) => Ok(false),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Flushes pending submissions (a worker's maintenance, or before it sleeps elsewhere), and
    /// enters the kernel for completion work it flags as waiting (see `build_ring`). Returns
    /// whether it entered the kernel.
    pub(crate) fn submit(&self) -> bool {
        if self.unsubmitted.swap(0, AcqRel) > 0 || self.task_work_waits() {
            let _ = self.ring.submitter().submit();
            return true;
        }
        false
    }

    /// Whether anything is queued or in flight (two loads, no lock): without, a busy worker's
    /// frequent I/O check (see the multi-thread worker) is skipped.
    pub(crate) fn has_io(&self) -> bool {
        self.unsubmitted.load(Relaxed) > 0 || self.ops.live.load(Relaxed) > 0
    }

    /// A busy worker's frequent I/O check: flushes what is queued, runs the completion work
    /// the kernel flags, reaps. Returns how many things it did (kernel entered, completions
    /// dispatched); with nothing to do it makes no system call.
    pub(crate) fn poll_now(&self) -> usize {
        let entered = self.submit();
        usize::from(entered) + self.reap()
    }

    /// Whether the kernel flags completion work that runs at our next system call.
    fn task_work_waits(&self) -> bool {
        let _sq = self.sq.lock().unwrap();
        // SAFETY: holding `sq` makes this the only view of the submission queue; the view drops
        // before the guard (see `cq_overflowed`).
        let waits = unsafe { self.ring.submission_shared() }.taskrun();
        waits
    }

    /// Submits what is pending and sleeps until a completion, a wake-up or `timeout`; then reaps.
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        if !self.wake_armed.load(Acquire) {
            let _ = self.arm_wake();
        }
        // An RMW, not a store: reading another thread's count orders its queued entry before
        // our `io_uring_enter` (a blind store could erase the count of an entry this enter does
        // not see, and that thread's own flush would then find nothing to submit).
        self.unsubmitted.swap(0, AcqRel);
        let submitter = self.ring.submitter();
        let _ = match timeout {
            Some(Duration::ZERO) => submitter.submit(),
            None => submitter.submit_and_wait(1),
            Some(t) => {
                let ts = types::Timespec::from(t);
                submitter.submit_with_args(1, &types::SubmitArgs::new().timespec(&ts))
            }
        };
        // Cleared before reaping: the sleeper's own reap must not pass a wake-up back to itself.
        self.parked.store(false, SeqCst);
        self.reap();
    }

    /// Announces that the driver owner is about to sleep in [`Uring::park`]: from now on a
    /// wake-up reaped by another thread is passed on (see `woken`). `park` clears it.
    pub(crate) fn prepare_park(&self) {
        self.parked.store(true, SeqCst);
    }

    /// Dispatches every completion already in the ring, without a system call. Returns how many.
    pub(crate) fn reap(&self) -> usize {
        let Ok(_cq) = self.cq.try_lock() else {
            return 0;
        };
        // SAFETY: holding `cq` makes us the only consumer of the completion queue.
        let mut cq = unsafe { self.ring.completion_shared() };
        self.count_overflow(cq.overflow());
        let mut n = 0;
        while let Some(entry) = cq.next() {
            n += 1;
            self.dispatch(entry.user_data(), Cqe::new(entry.result(), entry.flags()));
            if n % 64 == 0 {
                cq.sync();
            }
        }
        drop(cq);
        if n > 0 && self.cq_overflowed() {
            // The kernel holds the completions that did not fit until asked to flush them.
            self.stats.cq_overflowed(1);
            let _ = self.ring.submitter().submit();
        }
        n
    }

    /// Whether the kernel flags completions held back for lack of room (`IORING_SQ_CQ_OVERFLOW`).
    fn cq_overflowed(&self) -> bool {
        let _sq = self.sq.lock().unwrap();
        // SAFETY: holding `sq` makes this the only view of the submission queue. The view
        // writes its tail back when dropped, so it must drop before the guard: hence the `let`
        // (a temporary in a block's tail expression would outlive `_sq`, and a stale tail
        // stored outside the lock makes the kernel consume old entries again).
        let overflowed = unsafe { self.ring.submission_shared() }.cq_overflow();
        overflowed
    }

    fn count_overflow(&self, total: u32) {
        let seen = self.overflow_seen.swap(total, Relaxed);
        if total > seen {
            self.stats.cq_overflowed(u64::from(total - seen));
        }
    }

    fn dispatch(&self, user_data: u64, cqe: Cqe) {
        match user_data {
            WAKE_TOKEN => self.woken(),
            CANCEL_TOKEN => {
                self.count_completion(OpKind::Cancel, cqe.result, None);
                self.count_finished(OpKind::Cancel);
            }
            key => {
                let waker = if cqe.more() {
                    // More to come: the cell stays in the table, and is completed through the
                    // table's reference under its lock (no reference-count traffic per
                    // completion of a multishot receive).
                    let ops = self.ops.table.lock().unwrap();
                    ops.peek(key).map(|cell| cell.complete(cqe, self))
                } else {
                    let cell = self.ops.take(key);
                    cell.map(|cell| cell.complete(cqe, self))
                };
                match waker {
                    None => {
                        self.stray.fetch_add(1, Relaxed);
                    }
                    Some(Some(waker)) => waker.wake(),
                    Some(None) => {}
                }
            }
        }
    }

    /// The eventfd poll fired: drain the counter and poll again.
    fn woken(&self) {
        let mut buf = [0u8; 8];
        // SAFETY: reading 8 bytes into a local buffer from our own non-blocking eventfd.
        unsafe { libc::read(self.wake_fd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
        self.wake_armed.store(false, Release);
        // Submitted at once: the owner may already be asleep in the kernel, and only an armed
        // poll can wake it.
        if self.arm_wake().is_ok() {
            // The poll just queued goes in with this enter: its count with it (else the next
            // flush would enter the kernel for nothing).
            self.unsubmitted.swap(0, AcqRel);
            let _ = self.ring.submitter().submit();
        }
        // A busy worker reaping during maintenance may take the wake-up meant for the thread
        // asleep in `park` (which then waits on): pass it on. The owner reaps only after
        // clearing `parked`, so it never re-signals itself.
        if self.parked.load(SeqCst) {
            self.unpark();
        }
    }

    fn arm_wake(&self) -> io::Result<()> {
        if self.wake_armed.swap(true, AcqRel) {
            return Ok(());
        }
        let fd = types::Fd(self.wake_fd.as_raw_fd());
        let entry = opcode::PollAdd::new(fd, libc::POLLIN as u32)
            .build()
            .user_data(WAKE_TOKEN);
        self.push_raw(&entry, None)
            .inspect_err(|_| self.wake_armed.store(false, Release))
    }

    /// Wakes a thread parked in [`Uring::park`].
    pub(crate) fn unpark(&self) {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writing 8 bytes from a local buffer to our own eventfd.
        unsafe { libc::write(self.wake_fd.as_raw_fd(), one.as_ptr().cast(), 8) };
    }

    /// Asks the kernel to cancel the operation of `key` (its future was dropped).
    pub(crate) fn cancel(&self, key: u64) {
        let entry = opcode::AsyncCancel::new(key)
            .build()
            .user_data(CANCEL_TOKEN);
        let _ = self.push(&entry, OpKind::Cancel);
    }

    /// Whether the driver has shut down (its operations were cancelled on purpose).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    /// Whether a completion with result `res` is a cancellation nobody asked for, after which
    /// the operation should simply be submitted again: the kernel cancels the requests a thread
    /// submitted when that thread exits (a `block_on` caller, a blocking-pool thread, a worker
    /// thread after `block_in_place`), while the stream or listener they serve lives on. The
    /// runtime itself cancels only operations nobody waits for, or everything at shutdown.
    pub(crate) fn cancelled_by_thread_exit(&self, res: i32) -> bool {
        res == -libc::ECANCELED && !self.is_closed()
    }

    /// Operations submitted whose final completion has not been reaped.
    pub(crate) fn in_flight(&self) -> usize {
        self.ops.table.lock().unwrap().live()
    }

    /// Runtime shutdown: refuses new operations, cancels every one in flight and waits (up to
    /// `limit`) until the kernel has given each back, so no buffer or descriptor is left behind.
    pub(crate) fn drain(&self, limit: Duration) {
        let any = opcode::AsyncCancel2::new(types::CancelBuilder::any())
            .build()
            .user_data(CANCEL_TOKEN);
        let _ = self.push(&any, OpKind::Cancel);
        self.closed.store(true, Release);
        let deadline = Instant::now() + limit;
        while self.in_flight() > 0 && Instant::now() < deadline {
            self.park(Some(Duration::from_millis(10)));
        }
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // Detached and orphaned operations hold no reference to the ring: let the kernel give
        // them back before the memory they use (and the buffer ring) goes away.
        if self.in_flight() > 0 {
            self.drain(Duration::from_secs(1));
        }
        if let Some(b) = &self.buf_ring {
            b.unregister(&self.ring.submitter());
        }
    }
}

/// Creates the ring. Where the kernel has them (5.19+), completions' task work is cooperative
/// (`COOP_TASKRUN`: the kernel does not interrupt a running worker with an inter-processor
/// interrupt for each completion; the work runs at the worker's next system call) and flagged
/// (`TASKRUN_FLAG`: the ring says when such work waits, so a busy worker enters the kernel for
/// it at its next maintenance).
fn build_ring() -> io::Result<IoUring> {
    let coop = IoUring::builder()
        .setup_cqsize(ENTRIES * 4)
        .setup_clamp()
        .setup_coop_taskrun()
        .setup_taskrun_flag()
        .build(ENTRIES);
    match coop {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => IoUring::builder()
            .setup_cqsize(ENTRIES * 4)
            .setup_clamp()
            .build(ENTRIES),
        other => other,
    }
}

fn check_features(ring: &IoUring) -> Result<(), String> {
    let params = ring.params();
    if !params.is_feature_nodrop() {
        return Err("io_uring lacks IORING_FEAT_NODROP (kernel before 5.5)".into());
    }
    if !params.is_feature_ext_arg() {
        return Err("io_uring lacks IORING_FEAT_EXT_ARG (kernel before 5.11)".into());
    }
    let mut probe = io_uring::Probe::new();
    ring.submitter()
        .register_probe(&mut probe)
        .map_err(|e| format!("io_uring probe failed: {e}"))?;
    match REQUIRED_OPCODES
        .iter()
        .find(|(c, _)| !probe.is_supported(*c))
    {
        Some((_, name)) => Err(format!("io_uring lacks the {name} opcode")),
        None => Ok(()),
    }
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain system call; a non-negative result is a new descriptor we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::Op;
    use super::*;
    use std::task::{Context, Poll, Waker};

    /// Submits `total` polls of a readable eventfd (each completes at once) to `ring`, then
    /// flushes, reaps and polls them until all completed (at most `rounds` times); returns how
    /// many completed, each checked readable.
    fn ready_polls_complete(ring: &Arc<Uring>, total: usize, rounds: usize) -> usize {
        let fd = eventfd().unwrap();
        // SAFETY: writing 8 bytes from a local buffer to our own eventfd makes it readable.
        unsafe { libc::write(fd.as_raw_fd(), 1u64.to_ne_bytes().as_ptr().cast(), 8) };
        let mut ops: Vec<Op<()>> = (0..total)
            .map(|_| {
                let e = opcode::PollAdd::new(types::Fd(fd.as_raw_fd()), libc::POLLIN as u32);
                Op::submit(ring, OpKind::Poll, (), |_| e.build()).unwrap()
            })
            .collect();
        let mut cx = Context::from_waker(Waker::noop());
        let mut done = 0;
        for _ in 0..rounds {
            ring.submit();
            ring.reap();
            ops.retain_mut(|op| match op.poll_complete(&mut cx) {
                Poll::Ready((cqe, ())) => {
                    assert_eq!(cqe.result & libc::POLLIN as i32, libc::POLLIN as i32);
                    done += 1;
                    false
                }
                Poll::Pending => true,
            });
            if ops.is_empty() {
                break;
            }
        }
        done
    }

    /// A new ring's provided buffers take no memory until receives land in them: none of
    /// their pages is resident after setup (each worker has a ring of 4 MiB of buffers).
    #[test]
    fn provided_buffers_are_not_resident_until_used() {
        let rings = super::super::Rings::new(1, None, Default::default()).unwrap();
        let Some(br) = rings.get(0).buf_ring() else {
            eprintln!("skipped: this kernel has no provided-buffer rings");
            return;
        };
        assert_eq!(br.resident_pages(), 0);
    }

    /// Four times more completions than the completion queue holds, posted before anyone
    /// reaps: the kernel holds the excess back (NODROP), the driver counts the overflow, and
    /// every single completion is still delivered.
    #[test]
    fn completion_queue_overflow_loses_nothing() {
        let rings = super::super::Rings::new(1, None, Default::default()).unwrap();
        let ring = rings.get(0).clone();
        let total = ENTRIES as usize * 4 * 4;
        assert_eq!(ready_polls_complete(&ring, total, 100), total);
        assert_eq!(ring.in_flight(), 0);
        let mut m = crate::runtime::metrics::IoMetrics::default();
        rings.stats().snapshot(&mut m);
        if crate::runtime::metrics::ENABLED {
            assert!(m.cq_overflows > 0, "the completion queue never overflowed");
            assert_eq!(m.op("poll").unwrap().completed, total as u64);
        }
    }

    /// Flushes of a full submission queue still to be answered as if the kernel had refused
    /// with `EBUSY`.
    pub(super) static INJECT_BUSY: AtomicU32 = AtomicU32::new(0);

    /// The driving thread queues far more operations than the submission queue holds, each
    /// completing at once, without reaping in between: the queue fills again and again while
    /// the completion queue overflows, and the full-queue path (flush, then reap while the
    /// kernel holds completions back) must neither deadlock nor lose one.
    #[test]
    fn a_full_submission_queue_with_completions_held_back_loses_nothing() {
        // Kernels that hold completions back refuse the flush with EBUSY (this one may not):
        // the first flushes here are answered as if they did.
        INJECT_BUSY.store(4, Relaxed);
        let rings = super::super::Rings::new(1, None, Default::default()).unwrap();
        let ring = rings.get(0).clone();
        let _driving = rings.enter_driving(0);
        let total = ENTRIES as usize * 4 * 8;
        assert_eq!(ready_polls_complete(&ring, total, 1000), total);
        assert_eq!(ring.in_flight(), 0);
        assert_eq!(ring.stray_completions(), 0);
        let mut m = crate::runtime::metrics::IoMetrics::default();
        rings.stats().snapshot(&mut m);
        if crate::runtime::metrics::ENABLED {
            assert!(m.sq_full_waits > 0, "the submission queue never filled");
            assert!(m.cq_overflows > 0, "the completion queue never overflowed");
        }
    }
}

#[cfg(all(test, not(loom)))]
mod concurrency {
    use super::super::Op;
    use super::*;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Waits for one operation on this (non-driver) thread.
    fn wait(mut op: Op<()>) -> Cqe {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready((cqe, ())) = op.poll_complete(&mut cx) {
                return cqe;
            }
            std::thread::park();
        }
    }

    /// Three threads submit 20,000 operations each while a fourth parks in the ring and reaps:
    /// every operation completes exactly once and no completion is stray (a submission queue
    /// protocol slip shows up as lost or repeated entries).
    #[test]
    fn concurrent_submitters_see_each_operation_complete_once() {
        let rings = Arc::new(super::super::Rings::new(1, None, Default::default()).unwrap());
        let ring = rings.get(0).clone();
        let fd = Arc::new(eventfd().unwrap());
        // SAFETY: writing 8 bytes from a local buffer to our own eventfd makes it readable.
        unsafe { libc::write(fd.as_raw_fd(), 1u64.to_ne_bytes().as_ptr().cast(), 8) };
        let stop = Arc::new(AtomicBool::new(false));
        let (r2, s2) = (ring.clone(), stop.clone());
        let set = rings.clone();
        let owner = std::thread::spawn(move || {
            let _driving = set.enter_driving(0);
            while !s2.load(SeqCst) {
                r2.park(Some(Duration::from_millis(5)));
            }
        });
        let submitters: Vec<_> = (0..3)
            .map(|_| {
                let (ring, fd) = (ring.clone(), fd.clone());
                std::thread::spawn(move || {
                    (0..20_000)
                        .filter(|_| {
                            let e = opcode::PollAdd::new(types::Fd(fd.as_raw_fd()), 1);
                            let op = Op::submit(&ring, OpKind::Poll, (), |_| e.build()).unwrap();
                            wait(op).result == libc::POLLIN as i32
                        })
                        .count()
                })
            })
            .collect();
        let ready: usize = submitters.into_iter().map(|t| t.join().unwrap()).sum();
        stop.store(true, SeqCst);
        ring.unpark();
        owner.join().unwrap();
        assert_eq!(ready, 60_000);
        assert_eq!(ring.stray_completions(), 0);
        assert_eq!(ring.in_flight(), 0);
    }
}
