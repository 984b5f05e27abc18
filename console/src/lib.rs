//! `zokio-console`: attach to a running Zokio process by pid and watch it live.
//!
//! The binary is `src/main.rs`; everything else is this library so that tests can drive the
//! model and render the views into a `TestBackend`:
//!
//! - [`cli`]: the commands (`list`, `attach`, `demo`) and their exit codes;
//! - [`state`]: the model; [`view`]: rendering only; [`input`]: keys to actions (pure);
//! - [`attach`]: the loop (read, redraw, keys); [`term`]: terminal setup and restore;
//! - [`json`]: the `attach --once --json` document; [`failure`]: errors as messages and codes;
//! - [`demo`]: starts the demo service and attaches to it.
//!
//! It reads `zokio-telemetry` types only, never the runtime's.

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod attach;
pub mod cli;
pub mod demo;
pub mod failure;
pub mod input;
pub mod json;
pub mod state;
pub mod term;
pub mod view;
