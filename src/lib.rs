//! The Zokio workspace suite: examples, end-to-end tests and benchmarks live beside this crate.
