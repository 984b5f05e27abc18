//! The one door to atomics and fences.
//!
//! The lock-free protocols of this crate (the event ring, the seqlocks) import their atomics from
//! here, never from `std::sync` directly, so that `RUSTFLAGS="--cfg loom"` swaps in loom's
//! model-checked versions for the loom models. Under loom only those protocols are compiled: the
//! segment file, whose words are overlaid on a shared mapping, needs the real atomics.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{fence, AtomicU64, Ordering};
    }
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::Arc;

    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{fence, AtomicU64, Ordering};
    }
}

/// Spin-loop hint between seqlock retries; under loom a yield so the model explores the writer.
pub(crate) fn spin_loop() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}
