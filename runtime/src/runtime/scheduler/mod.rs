//! The two scheduler flavors behind one enum (static dispatch, no trait object).

pub(crate) mod current_thread;
pub(crate) mod multi_thread;

use super::blocking::BlockingPool;
use super::metrics::RuntimeMetrics;
use crate::task::{JoinHandle, SpawnMeta};
use std::future::Future;
use std::sync::Arc;

pub(crate) use multi_thread::handle_pool_metrics as multi_thread_pool_metrics;

/// A handle to either scheduler.
#[derive(Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

impl Handle {
    pub(crate) fn spawn<F>(&self, future: F, meta: SpawnMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Handle::CurrentThread(h) => h.spawn(future, meta),
            Handle::MultiThread(h) => h.spawn(future, meta),
        }
    }

    pub(crate) fn timer(&self) -> &crate::time::TimerHandle {
        self.driver().timer()
    }

    pub(crate) fn driver(&self) -> &crate::runtime::driver::Driver {
        match self {
            Handle::CurrentThread(h) => h.driver(),
            Handle::MultiThread(h) => h.driver(),
        }
    }

    pub(crate) fn blocking(&self) -> &BlockingPool {
        match self {
            Handle::CurrentThread(h) => &h.blocking,
            Handle::MultiThread(h) => &h.blocking,
        }
    }

    pub(crate) fn config(&self) -> &super::config::Config {
        match self {
            Handle::CurrentThread(h) => &h.config,
            Handle::MultiThread(h) => &h.config,
        }
    }

    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        match self {
            Handle::CurrentThread(h) => h.metrics(),
            Handle::MultiThread(h) => h.metrics(),
        }
    }

    pub(crate) fn is_current_thread(&self) -> bool {
        matches!(self, Handle::CurrentThread(_))
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        match self {
            Handle::CurrentThread(h) => h.is_shutdown(),
            Handle::MultiThread(h) => h.is_shutdown(),
        }
    }

    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        match (self, other) {
            (Handle::CurrentThread(a), Handle::CurrentThread(b)) => Arc::ptr_eq(a, b),
            (Handle::MultiThread(a), Handle::MultiThread(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}
