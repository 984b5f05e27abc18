//! Quantiles of the telemetry's log2 histograms: bucket `i` counts durations in
//! `[2^i, 2^(i+1))` ns (bucket 0 also holds 0 ns; the last bucket everything longer), the
//! convention of [`zokio_telemetry::bucket_of`].

use zokio_telemetry::HISTOGRAM_BUCKETS;

/// The upper edge, in ns, of the bucket that holds quantile `q` (0.0..=1.0) of `buckets`:
/// "`q` of the durations were shorter than this". `None` when the histogram is empty. The
/// last bucket is open-ended; its lower edge is returned for it.
pub fn quantile_ns(buckets: &[u64], q: f64) -> Option<u64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
    let mut seen = 0u64;
    for (i, &n) in buckets.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return Some(upper_edge(i));
        }
    }
    Some(upper_edge(buckets.len().saturating_sub(1)))
}

/// The upper edge of bucket `i` in ns (the lower edge for the open-ended last bucket).
pub fn upper_edge(i: usize) -> u64 {
    if i + 1 >= HISTOGRAM_BUCKETS {
        1u64 << (HISTOGRAM_BUCKETS - 1)
    } else {
        1u64 << (i + 1)
    }
}

/// The lower edge of bucket `i` in ns.
pub fn lower_edge(i: usize) -> u64 {
    if i == 0 {
        0
    } else {
        1u64 << i.min(63)
    }
}

/// Bucket-wise `cur - prev` (what happened between two snapshots); a shorter or reset `prev`
/// counts as zero.
pub fn delta(prev: &[u64], cur: &[u64]) -> Vec<u64> {
    cur.iter()
        .enumerate()
        .map(|(i, &c)| c.saturating_sub(prev.get(i).copied().unwrap_or(0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zokio_telemetry::bucket_of;

    #[test]
    fn quantiles_name_the_upper_edge_of_their_bucket() {
        let mut h = vec![0u64; HISTOGRAM_BUCKETS];
        h[bucket_of(1_000)] = 90; // [512, 1024)
        h[bucket_of(5_000)] = 9; // [4096, 8192)
        h[bucket_of(100_000)] = 1; // [65536, 131072)
        assert_eq!(quantile_ns(&h, 0.5), Some(1024));
        assert_eq!(quantile_ns(&h, 0.9), Some(1024));
        assert_eq!(quantile_ns(&h, 0.99), Some(8192));
        assert_eq!(quantile_ns(&h, 1.0), Some(131_072));
        assert_eq!(quantile_ns(&[0; 4], 0.5), None);
    }

    #[test]
    fn edges_and_deltas() {
        assert_eq!((lower_edge(0), upper_edge(0)), (0, 2));
        assert_eq!((lower_edge(10), upper_edge(10)), (1024, 2048));
        assert_eq!(upper_edge(HISTOGRAM_BUCKETS - 1), 1 << 31);
        assert_eq!(delta(&[1, 2], &[3, 2, 5]), vec![2, 0, 5]);
    }
}
