//! A tiny non-cryptographic random source (xorshift64*), for victim selection and `select!` fairness.

use std::cell::Cell;

/// xorshift64* generator state. Not for anything that needs unpredictability.
#[derive(Debug, Clone)]
pub(crate) struct FastRand {
    state: Cell<u64>,
}

impl FastRand {
    /// A generator seeded from `seed` (zero is remapped, xorshift must not start at zero).
    pub(crate) fn new(seed: u64) -> FastRand {
        FastRand {
            state: Cell::new(if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            }),
        }
    }

    /// A generator seeded from the address of a stack slot, the thread id and a global counter.
    pub(crate) fn from_entropy() -> FastRand {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);
        let local = 0u8;
        let mixed = COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            ^ (&local as *const u8 as u64).rotate_left(32);
        FastRand::new(mixed)
    }

    /// The next 64 random bits.
    #[inline]
    pub(crate) fn next_u64(&self) -> u64 {
        let mut x = self.state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0), by Lemire's multiply-shift reduction.
    #[inline]
    pub(crate) fn below(&self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

thread_local! {
    static THREAD_RNG: FastRand = FastRand::from_entropy();
}

/// A number in `0..n` from this thread's generator (`n` > 0).
pub(crate) fn thread_rng_n(n: u32) -> u32 {
    THREAD_RNG.with(|r| r.below(n))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let r = FastRand::new(7);
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            seen[r.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 1_500), "{seen:?}");
        assert_eq!(seen.iter().sum::<u32>(), 10_000);
    }
}
