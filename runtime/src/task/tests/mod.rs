//! Loom models of the task cell: the state machine under racing wake, poll, complete, abort and
//! `JoinHandle` drop, and the pool's cross-thread free.

#[cfg(loom)]
mod loom_pool;
#[cfg(loom)]
mod loom_task;
