//! Synchronization primitives for async code.
