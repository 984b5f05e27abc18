//! `task::Builder`: spawn with a name.

use super::{spawn::spawn_with, Id, JoinHandle, SpawnMeta};
use crate::runtime::Handle;
use std::future::Future;
use std::io;
use std::panic::Location;

/// Configures a task before spawning it.
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let h = zokio::task::Builder::new().name("worker-7").spawn(async { 7 }).unwrap();
/// assert_eq!(h.await.unwrap(), 7);
/// # });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no name.
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// The task's name, shown by telemetry.
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    fn meta(&self, location: &'static Location<'static>) -> SpawnMeta {
        SpawnMeta {
            id: Id::next(),
            name: self.name.map(Into::into),
            location,
        }
    }

    /// Spawns on the current runtime. Panics outside a runtime.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(spawn_with(future, self.meta(Location::caller())))
    }

    /// Spawns on the given runtime.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(handle.inner.spawn(future, self.meta(Location::caller())))
    }
}
