//! [`OtlpPusher`]: collects an [`Exporter`] periodically and posts each collection to an OTLP/HTTP
//! collector, from a thread of its own.
//!
//! # Threads, tasks and who touches what
//!
//! [`Builder::start`] builds a current-thread Zokio runtime (telemetry unpublished, no task
//! table) and moves it to a thread named `zokio-otlp`. Nothing runs on the observed runtimes'
//! workers. On that runtime:
//!
//! - the **collector** task wakes at every tick of `interval` (the first at once), at
//!   [`OtlpPusher::push_now`], and at shutdown; it calls [`Exporter::collect`], converts and
//!   encodes the set, and pushes the batch into the queue (evicting the oldest batch, counted
//!   in [`Stats::otlp_dropped`], when the queue is full). At shutdown it pushes one last
//!   batch, closes the queue and ends.
//! - the **sender** task pops the oldest batch and delivers it: attempt, verdict (see the
//!   `policy` module), wait, attempt... up to `max_retries` retries. It ends when the
//!   queue is closed and empty, or when the shutdown deadline has passed (whatever is left is
//!   dropped and counted).
//!
//! Shared state ([`Shared`]): the queue, behind a mutex that no one holds across an `await`
//! (the collector pushes, the sender pops, the handle reads lengths); `more` (a `Notify`: the
//! collector's `notify_one` after each push and at close, the sender waits on it when the queue
//! is empty; its stored permit means no wake-up is lost); `collect_now` (a `Notify` from the
//! handle to the collector); the [`Stats`] counters (Relaxed atomics, counts only). The handle
//! tells both tasks about shutdown through a `watch` of the deadline (`None` while running).

use super::convert::{self, Times};
use super::http::{self, Endpoint};
use super::policy::{judge, Backoff, Jitter, Verdict};
use super::queue::{Batch, Queue};
use crate::exporter::{Exporter, Stats};
use prost::Message;
use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zokio::sync::{watch, Notify};
use zokio::time::{Instant, MissedTickBehavior};

/// How an [`OtlpPusher`] is set up. From [`OtlpPusher::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    endpoint: String,
    interval: Duration,
    queue_capacity: usize,
    timeout: Duration,
    backoff: Backoff,
    shutdown_timeout: Duration,
}

impl Builder {
    /// Time between two collections (default 10 s).
    pub fn interval(mut self, interval: Duration) -> Builder {
        self.interval = interval;
        self
    }

    /// Batches that may wait for the collector (default 8, at least 1). Past that, a new batch
    /// evicts the oldest one, which counts as dropped.
    pub fn queue_capacity(mut self, batches: usize) -> Builder {
        self.queue_capacity = batches;
        self
    }

    /// The longest one attempt (connect, send, answer) may take (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Builder {
        self.timeout = timeout;
        self
    }

    /// Retries of one batch after a 429, 502, 503, 504 or no answer, before it is dropped
    /// (default 5).
    pub fn max_retries(mut self, retries: u32) -> Builder {
        self.backoff.max_retries = retries;
        self
    }

    /// The wait before the first retry and the longest wait between two attempts when the
    /// collector sent no `Retry-After` (default 500 ms and 30 s; each wait is jittered down by
    /// up to half).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Builder {
        self.backoff.initial = initial;
        self.backoff.max = max.max(initial);
        self
    }

    /// How long [`OtlpPusher::shutdown`] may spend delivering the last batches (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Builder {
        self.shutdown_timeout = timeout;
        self
    }

    /// Starts pushing `exporter`'s collections. Errors: a URL that is not `http://host[:port]`,
    /// a zero interval, or no thread or runtime could be made.
    pub fn start(self, exporter: Exporter) -> io::Result<OtlpPusher> {
        let endpoint = Endpoint::parse(&self.endpoint)?;
        if self.interval.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the interval is zero",
            ));
        }
        let runtime = own_runtime()?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::new(self.queue_capacity)),
            more: Notify::new(),
            collect_now: Notify::new(),
            stats: exporter.stats().clone(),
        });
        let (stop, stopped) = watch::channel(None);
        let collector = Collector {
            exporter,
            shared: shared.clone(),
            stop: stopped.clone(),
            interval: self.interval,
            started_unix_ns: unix_ns(SystemTime::now()),
        };
        let sender = self.sender(&shared, &endpoint, stopped);
        let thread = std::thread::Builder::new()
            .name("zokio-otlp".into())
            .spawn(move || runtime.block_on(run(collector, sender)))?;
        Ok(OtlpPusher {
            shared,
            endpoint,
            shutdown_timeout: self.shutdown_timeout,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn sender(&self, shared: &Arc<Shared>, endpoint: &Endpoint, stop: Deadline) -> Sender {
        Sender {
            shared: shared.clone(),
            endpoint: endpoint.clone(),
            timeout: self.timeout,
            backoff: self.backoff,
            jitter: Jitter::new(),
            stop,
            failing: false,
        }
    }
}

/// The pusher's runtime: one thread, I/O and timers, no telemetry of its own.
fn own_runtime() -> io::Result<zokio::runtime::Runtime> {
    zokio::runtime::Builder::new_current_thread()
        .enable_all()
        .publish_telemetry(false)
        .service_name("zokio-exporter")
        .task_table_capacity(0)
        .build()
}

/// The shutdown deadline, `None` while running.
type Deadline = watch::Receiver<Option<std::time::Instant>>;

/// Pushes an [`Exporter`]'s metrics to an OTLP/HTTP collector (`POST /v1/metrics`, protobuf),
/// from a thread of its own.
///
/// ```no_run
/// use std::time::Duration;
/// use zokio_exporter::{otlp::OtlpPusher, Exporter};
///
/// let pusher = OtlpPusher::builder("http://127.0.0.1:4318")
///     .interval(Duration::from_secs(10))
///     .start(Exporter::this_process())?;
/// // ... the service runs ...
/// pusher.shutdown(); // one last collection, delivered within the shutdown timeout
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Dropping it leaves it pushing for the rest of the process; [`OtlpPusher::shutdown`] stops it.
#[derive(Debug)]
pub struct OtlpPusher {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    shutdown_timeout: Duration,
    stop: Option<watch::Sender<Option<std::time::Instant>>>,
    thread: Option<JoinHandle<()>>,
}

impl OtlpPusher {
    /// A pusher to `endpoint`: a base URL such as `http://127.0.0.1:4318` (batches go to its
    /// `/v1/metrics`), or a full URL ending in `/v1/metrics`.
    pub fn builder(endpoint: impl Into<String>) -> Builder {
        Builder {
            endpoint: endpoint.into(),
            interval: Duration::from_secs(10),
            queue_capacity: 8,
            timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            shutdown_timeout: Duration::from_secs(5),
        }
    }

    /// The URL batches are posted to.
    pub fn url(&self) -> String {
        self.endpoint.to_string()
    }

    /// The counters of deliveries, retries and drops (the exporter's [`Stats`]).
    pub fn stats(&self) -> &Arc<Stats> {
        &self.shared.stats
    }

    /// Batches waiting now (the one being sent not included).
    pub fn queued(&self) -> usize {
        self.shared.queue().len()
    }

    /// The most batches that ever waited at once: never more than the queue's capacity.
    pub fn max_queued(&self) -> usize {
        self.shared.queue().high_water()
    }

    /// Collects now rather than at the next tick.
    pub fn push_now(&self) {
        self.shared.collect_now.notify_one();
    }

    /// Collects one last time, delivers what it can within the shutdown timeout (the rest
    /// counts as dropped), and waits for the thread to end.
    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Some(std::time::Instant::now() + self.shutdown_timeout));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for OtlpPusher {
    fn drop(&mut self) {
        // Detach: a `watch` whose sender is gone would read as a shutdown.
        if let Some(stop) = self.stop.take() {
            std::mem::forget(stop);
        }
    }
}

/// What the handle and both tasks share (see the module's doc).
#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    more: Notify,
    collect_now: Notify,
    stats: Arc<Stats>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enqueue(&self, batch: Batch) {
        let evicted = self.queue().push(batch);
        if evicted.is_some() {
            self.stats.otlp_dropped.fetch_add(1, Relaxed);
        }
        self.more.notify_one();
    }

    fn close(&self) {
        self.queue().close();
        self.more.notify_one();
    }

    fn drop_batches(&self, n: usize) {
        self.stats.otlp_dropped.fetch_add(n as u64, Relaxed);
    }
}

/// The thread's main future: both tasks; the queue is closed however the collector ends.
async fn run(collector: Collector, sender: Sender) {
    let shared = collector.shared.clone();
    let collecting = zokio::spawn(collector.run());
    let sending = zokio::spawn(sender.run());
    let _ = collecting.await;
    shared.close();
    let _ = sending.await;
}

struct Collector {
    exporter: Exporter,
    shared: Arc<Shared>,
    stop: Deadline,
    interval: Duration,
    started_unix_ns: u64,
}

impl Collector {
    async fn run(mut self) {
        let mut ticks = zokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            zokio::select! {
                biased;
                _ = self.stop.changed() => break,
                _ = self.shared.collect_now.notified() => {}
                _ = ticks.tick() => {}
            }
            self.shared.enqueue(self.batch());
        }
        self.shared.enqueue(self.batch());
        self.shared.close();
    }

    fn batch(&self) -> Batch {
        let set = self.exporter.collect();
        let times = Times {
            now_unix_ns: unix_ns(SystemTime::now()),
            exporter_started_unix_ns: self.started_unix_ns,
        };
        convert::request(&set, times).encode_to_vec().into()
    }
}

struct Sender {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    timeout: Duration,
    backoff: Backoff,
    jitter: Jitter,
    stop: Deadline,
    failing: bool,
}

impl Sender {
    async fn run(mut self) {
        loop {
            if self.deadline().is_some_and(|d| Instant::now() >= d) {
                let left = self.shared.queue().drain().len();
                return self.shared.drop_batches(left);
            }
            let next = {
                let mut queue = self.shared.queue();
                queue.pop().ok_or(queue.is_closed())
            };
            match next {
                Ok(batch) => self.deliver(batch).await,
                Err(true) => return,
                Err(false) => self.shared.more.notified().await,
            }
        }
    }

    /// Attempts until the batch is delivered, refused, out of retries or out of time.
    async fn deliver(&mut self, batch: Batch) {
        let stats = self.shared.stats.clone();
        let mut retries = 0;
        loop {
            let wait = match self.attempt(&batch).await {
                Verdict::Delivered => {
                    stats.otlp_ok.fetch_add(1, Relaxed);
                    return self.recovered();
                }
                Verdict::Drop => return self.shared.drop_batches(1),
                Verdict::Retry(after) => {
                    after.unwrap_or_else(|| self.backoff.delay(retries + 1, self.jitter.next()))
                }
            };
            let in_time = self.deadline().is_none_or(|d| Instant::now() + wait < d);
            if retries == self.backoff.max_retries || !in_time {
                return self.shared.drop_batches(1);
            }
            retries += 1;
            stats.otlp_retries.fetch_add(1, Relaxed);
            if !self.pause(wait).await {
                return self.shared.drop_batches(1);
            }
        }
    }

    async fn attempt(&mut self, batch: &Batch) -> Verdict {
        let timeout = match self.deadline() {
            Some(d) => self
                .timeout
                .min(d.saturating_duration_since(Instant::now())),
            None => self.timeout,
        };
        match http::post(&self.endpoint, batch.clone(), timeout).await {
            Ok(answer) => {
                let verdict = judge(answer.status, answer.retry_after.as_deref());
                if verdict != Verdict::Delivered {
                    self.failed(&format!("HTTP {}", answer.status));
                }
                verdict
            }
            Err(e) => {
                self.failed(&e.to_string());
                Verdict::Retry(None)
            }
        }
    }

    /// Waits `wait`; false if the shutdown deadline came first.
    async fn pause(&mut self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        loop {
            if let Some(d) = self.deadline().filter(|&d| d < until) {
                zokio::time::sleep_until(d).await;
                return false;
            }
            zokio::select! {
                _ = zokio::time::sleep_until(until) => return true,
                changed = self.stop.changed() => if changed.is_err() {
                    zokio::time::sleep_until(until).await;
                    return true;
                },
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let deadline = *self.stop.borrow();
        deadline.map(Instant::from_std)
    }

    /// Says so on stderr when exports start failing (once, not at every attempt).
    fn failed(&mut self, why: &str) {
        if !std::mem::replace(&mut self.failing, true) {
            eprintln!(
                "zokio-exporter: OTLP export to {} failing ({why}); batches are retried, then dropped and counted in zokio_exporter_otlp_dropped_batches_total",
                self.endpoint
            );
        }
    }

    fn recovered(&mut self) {
        if std::mem::replace(&mut self.failing, false) {
            eprintln!(
                "zokio-exporter: OTLP export to {} works again",
                self.endpoint
            );
        }
    }
}

fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
