//! The `select!`, `join!`, `try_join!` and `pin!` macros, and the hidden `support` items their
//! expansions name through `$crate::macros::support`.
//!
//! `select!`, `join!` and `try_join!` are thin `macro_rules!` wrappers that hand `$crate` and the
//! user's tokens to the procedural engines in `zokio-macros` (a proc macro cannot name `$crate`).
//! Being `#[macro_export]`, they are reached by path (`crate::select!`) inside the crate too; no
//! `#[macro_use]`, so they never shadow `core::pin::pin!` in other modules.

mod join;
mod pin;
mod select;

mod maybe_done;
pub mod support;
