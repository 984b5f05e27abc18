//! Log2 buckets for poll durations.

/// Number of poll-time buckets: bucket `i` counts polls of `[2^i, 2^(i+1))` ns (bucket 0 also
/// holds 0 ns, the last one everything longer).
pub const POLL_BUCKETS: usize = 32;

/// The bucket of a duration in nanoseconds.
#[inline]
pub fn bucket_of(ns: u64) -> usize {
    let b = 63 - (ns | 1).leading_zeros() as usize;
    b.min(POLL_BUCKETS - 1)
}

/// The nanosecond range `[lo, hi)` a bucket covers (`hi` is `u64::MAX` for the last).
pub fn bucket_range_ns(bucket: usize) -> (u64, u64) {
    let lo = if bucket == 0 { 0 } else { 1u64 << bucket };
    let hi = if bucket + 1 >= POLL_BUCKETS {
        u64::MAX
    } else {
        1u64 << (bucket + 1)
    };
    (lo, hi)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_log2() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(1023), 9);
        assert_eq!(bucket_of(1024), 10);
        assert_eq!(bucket_of(u64::MAX), POLL_BUCKETS - 1);
        assert_eq!(bucket_range_ns(10), (1024, 2048));
        for ns in [0u64, 5, 999, 4096, 1 << 20] {
            let (lo, hi) = bucket_range_ns(bucket_of(ns));
            assert!(lo <= ns && ns < hi, "{ns}");
        }
    }
}
