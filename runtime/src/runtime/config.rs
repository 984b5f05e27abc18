//! Settings shared by the schedulers, resolved from the `Builder`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// What the schedulers and the blocking pool read from the builder.
pub(crate) struct Config {
    pub(crate) worker_threads: usize,
    pub(crate) thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) thread_keep_alive: Duration,
    /// Ticks between maintenance passes (timers, metrics publication, shutdown check).
    pub(crate) event_interval: u32,
    /// Ticks between checks of the global queue ahead of the local one.
    pub(crate) global_queue_interval: u32,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) service_name: String,
    /// One spawned task in this many gets a `tracing` span (0: none; always 0 without the
    /// `tracing` feature).
    pub(crate) trace_tasks: u32,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("service_name", &self.service_name)
            .field("trace_tasks", &self.trace_tasks)
            .finish_non_exhaustive()
    }
}
