//! `Builder`: configures and builds a [`Runtime`].

use super::blocking::BlockingPool;
use super::config::{Callback, Config};
use super::driver::Driver;
use super::metrics::{Telemetry, TelemetryConfig};
use super::runtime::{Runtime, Scheduler};
use super::scheduler::{self, current_thread, multi_thread};
use crate::io::driver::{IoBackendPreference, Selection};
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Builds a runtime with custom settings.
///
/// ```
/// let rt = zokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    thread_stack_size: Option<usize>,
    max_blocking_threads: usize,
    thread_keep_alive: Duration,
    event_interval: u32,
    global_queue_interval: Option<u32>,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    service_name: Option<String>,
    publish_telemetry: bool,
    task_table_capacity: Option<usize>,
    trace_tasks: Option<u32>,
    io: Selection,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    CurrentThread,
    MultiThread,
}

impl Builder {
    /// A builder for the current-thread scheduler: tasks run on the thread in `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread)
    }

    /// A builder for the multi-thread, work-stealing scheduler.
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread)
    }

    fn new(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            thread_name: Arc::new(|| {
                static N: AtomicUsize = AtomicUsize::new(0);
                format!("zokio-runtime-worker-{}", N.fetch_add(1, Relaxed))
            }),
            thread_stack_size: None,
            max_blocking_threads: 512,
            thread_keep_alive: Duration::from_secs(10),
            event_interval: 61,
            global_queue_interval: None,
            on_thread_start: None,
            on_thread_stop: None,
            service_name: None,
            publish_telemetry: true,
            task_table_capacity: None,
            trace_tasks: None,
            io: Selection::default(),
        }
    }

    /// Enables every driver. Drivers are always on in Zokio; this exists for familiarity.
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Enables the timer (always on).
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Enables the I/O driver (always on).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Which I/O backend to use: `Auto` (the default: io_uring where it works, else polling;
    /// `ZOKIO_IO=poll` forces polling), `IoUring` or `Poll`. The choice and its reason are
    /// readable through [`Handle::io_backend`](super::Handle::io_backend).
    pub fn io_backend(&mut self, preference: IoBackendPreference) -> &mut Self {
        self.io.preference = preference;
        self
    }

    /// Makes io_uring setup fail with `errno`, as a kernel or container would (tests of the
    /// fallback to polling).
    #[doc(hidden)]
    pub fn fail_io_uring_setup(&mut self, errno: i32) -> &mut Self {
        self.io.inject_setup_errno = Some(errno);
        self
    }

    /// Number of worker threads (multi-thread only). Default: the number of CPUs, or
    /// `ZOKIO_WORKER_THREADS`. Panics if `n` is zero.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "worker_threads cannot be set to 0");
        self.worker_threads = Some(n);
        self
    }

    /// Name of the threads the runtime starts.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        let name: String = name.into();
        self.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function giving each new thread its name.
    pub fn thread_name_fn<F: Fn() -> String + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.thread_name = Arc::new(f);
        self
    }

    /// Stack size of the threads the runtime starts.
    pub fn thread_stack_size(&mut self, size: usize) -> &mut Self {
        self.thread_stack_size = Some(size);
        self
    }

    /// Most threads `spawn_blocking` may use (default 512). Panics if zero.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "max_blocking_threads cannot be set to 0");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before exiting (default 10 s).
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.thread_keep_alive = d;
        self
    }

    /// Tasks a worker runs between maintenance passes (timers, counters, I/O). Default 61.
    /// Panics if zero. A multi-thread worker also checks its I/O (flush and reap, or a
    /// non-waiting poll) every 8 ticks in between while it has any in flight, so this does
    /// not bound how late I/O is noticed.
    #[track_caller]
    pub fn event_interval(&mut self, n: u32) -> &mut Self {
        assert!(n > 0, "event_interval must be greater than 0");
        self.event_interval = n;
        self
    }

    /// Tasks a worker runs between looks at the global queue ahead of its own (default 31).
    /// Panics if zero.
    #[track_caller]
    pub fn global_queue_interval(&mut self, n: u32) -> &mut Self {
        assert!(n > 0, "global_queue_interval must be greater than 0");
        self.global_queue_interval = Some(n);
        self
    }

    /// Runs `f` on each thread the runtime starts, before it does anything else.
    pub fn on_thread_start<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_thread_start = Some(std::sync::Arc::new(f));
        self
    }

    /// Runs `f` on each thread the runtime started, just before it exits.
    pub fn on_thread_stop<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_thread_stop = Some(std::sync::Arc::new(f));
        self
    }

    /// The service name telemetry shows for this runtime (default: `ZOKIO_SERVICE_NAME`, or the
    /// executable's name).
    pub fn service_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.service_name = Some(name.into());
        self
    }

    /// Slots of the telemetry task table (default 16,384, or `ZOKIO_TASK_TABLE_CAPACITY`): live
    /// tasks beyond it are counted (`task_table_overflows`) but not listed. 0 turns the table
    /// off (spawning and polling then touch no task record). At most 16,777,216.
    pub fn task_table_capacity(&mut self, n: usize) -> &mut Self {
        self.task_table_capacity = Some(n);
        self
    }

    /// Whether the runtime publishes its telemetry segment for `zokio-console` and
    /// `zokio-exporter` (default: yes, unless `ZOKIO_TELEMETRY=off`). `false` keeps the counters
    /// in private memory, readable only through [`Handle::metrics`](crate::runtime::Handle::metrics):
    /// for a runtime that is part of the tooling (the exporter's own), not of the service.
    pub fn publish_telemetry(&mut self, publish: bool) -> &mut Self {
        self.publish_telemetry = publish;
        self
    }

    /// Gives one spawned task in `sample` a `tracing` span (target `zokio::task`, named `task`):
    /// 0 turns task spans off, 1 traces every task, `n` one task in `n`, picked by counting this
    /// runtime's spawns. Default: `ZOKIO_TRACE_TASKS`, else 0. The span's fields and cost are
    /// described in `docs/observability.md`.
    ///
    /// Only with the `tracing` feature (without it `ZOKIO_TRACE_TASKS` is ignored too).
    ///
    /// ```
    /// let rt = zokio::runtime::Builder::new_current_thread().trace_tasks(100).build().unwrap();
    /// # drop(rt);
    /// ```
    #[cfg(feature = "tracing")]
    pub fn trace_tasks(&mut self, sample: u32) -> &mut Self {
        self.trace_tasks = Some(sample);
        self
    }

    /// Builds the runtime and starts its threads.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let config = Arc::new(self.config()?);
        let tel = Telemetry::new(config.worker_threads, &self.telemetry_config(&config))?;
        tel.start_monitor()?;
        let blocking = BlockingPool::new(config.clone());
        match self.kind {
            Kind::CurrentThread => {
                let driver = Driver::new(1, &self.io, &tel)?;
                let h = current_thread::Handle::new(config, blocking.clone(), driver, tel);
                Ok(Runtime::from_parts(
                    Scheduler::CurrentThread,
                    scheduler::Handle::CurrentThread(h),
                    blocking,
                ))
            }
            Kind::MultiThread => {
                let driver = Driver::new(config.worker_threads, &self.io, &tel)?;
                let (h, cores) = multi_thread::Handle::new(config, blocking.clone(), driver, tel);
                let rt = Runtime::from_parts(
                    Scheduler::MultiThread,
                    scheduler::Handle::MultiThread(h.clone()),
                    blocking,
                );
                h.launch(cores)?;
                Ok(rt)
            }
        }
    }

    fn telemetry_config(&self, config: &Config) -> TelemetryConfig {
        let default = TelemetryConfig::default();
        TelemetryConfig {
            service_name: config.service_name.clone(),
            task_capacity: self
                .task_table_capacity
                .or_else(|| {
                    let v = std::env::var("ZOKIO_TASK_TABLE_CAPACITY").ok()?;
                    v.trim().parse().ok()
                })
                .unwrap_or(default.task_capacity),
            publish: self.publish_telemetry,
            ..default
        }
    }

    fn config(&self) -> io::Result<Config> {
        let worker_threads = match (self.kind, self.worker_threads) {
            (Kind::CurrentThread, _) => 1,
            (Kind::MultiThread, Some(n)) => n,
            (Kind::MultiThread, None) => default_worker_threads()?,
        };
        Ok(Config {
            worker_threads,
            thread_name: self.thread_name.clone(),
            thread_stack_size: self.thread_stack_size,
            max_blocking_threads: self.max_blocking_threads,
            thread_keep_alive: self.thread_keep_alive,
            event_interval: self.event_interval,
            global_queue_interval: self.global_queue_interval.unwrap_or(31),
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            service_name: self
                .service_name
                .clone()
                .unwrap_or_else(default_service_name),
            trace_tasks: self.trace_tasks_setting()?,
        })
    }

    /// The task-span sampling: the builder's, else `ZOKIO_TRACE_TASKS`, else off; always off
    /// without the `tracing` feature.
    fn trace_tasks_setting(&self) -> io::Result<u32> {
        if !cfg!(feature = "tracing") {
            return Ok(0);
        }
        match (self.trace_tasks, std::env::var("ZOKIO_TRACE_TASKS")) {
            (Some(n), _) => Ok(n),
            (None, Ok(s)) => parse_trace_tasks(&s),
            (None, Err(_)) => Ok(0),
        }
    }
}

/// A `ZOKIO_TRACE_TASKS` value: a whole number, one task in it traced (0: none).
fn parse_trace_tasks(s: &str) -> io::Result<u32> {
    s.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "ZOKIO_TRACE_TASKS must be a whole number (0: off, n: one task in n), got {s:?}"
            ),
        )
    })
}

fn default_worker_threads() -> io::Result<usize> {
    match std::env::var("ZOKIO_WORKER_THREADS") {
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ZOKIO_WORKER_THREADS must be a positive integer, got {s:?}"),
            )),
        },
        Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

fn default_service_name() -> String {
    if let Ok(name) = std::env::var("ZOKIO_SERVICE_NAME") {
        if !name.trim().is_empty() {
            return name;
        }
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "zokio".to_owned())
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("trace_tasks", &self.trace_tasks)
            .finish_non_exhaustive()
    }
}
