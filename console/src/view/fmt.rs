//! Number, duration and sparkline formatting shared by the views (pure functions).

/// A count, exact below a million, then with a unit (`1.23M`, `4.50G`).
pub fn count(n: u64) -> String {
    match n {
        0..=999_999 => n.to_string(),
        1_000_000..=999_999_999 => format!("{:.2}M", n as f64 / 1e6),
        _ => format!("{:.2}G", n as f64 / 1e9),
    }
}

/// A rate per second with one decimal (`12.5`), or `-` before there are two snapshots.
pub fn rate(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 1e6 => format!("{:.2}M", r / 1e6),
        Some(r) => format!("{r:.1}"),
        None => "-".into(),
    }
}

/// A duration in ns with a unit: `850ns`, `12.3µs`, `4.56ms`, `1.20s`.
pub fn ns(ns: u64) -> String {
    let f = ns as f64;
    match ns {
        0..=999 => format!("{ns}ns"),
        1_000..=999_999 => format!("{:.1}µs", f / 1e3),
        1_000_000..=999_999_999 => format!("{:.2}ms", f / 1e6),
        _ => format!("{:.2}s", f / 1e9),
    }
}

/// Bytes with a binary unit: `512B`, `4.0KiB`, `1.5MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1}{}", UNITS[unit])
}

/// Seconds as `1h02m03s`, `2m05s` or `7s`.
pub fn uptime(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

/// The last `width` samples as a line of block characters scaled to their maximum; zero is a
/// blank.
pub fn sparkline(samples: &[u64], width: usize) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &samples[samples.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0).max(1);
    tail.iter()
        .map(|&v| match v {
            0 => ' ',
            v => LEVELS[((v * 8).div_ceil(max) as usize).clamp(1, 8) - 1],
        })
        .collect()
}

/// A horizontal bar of `n` out of `max` in `width` cells.
pub fn bar(n: u64, max: u64, width: usize) -> String {
    let cells = (n as u128 * width as u128).div_ceil(max.max(1) as u128) as usize;
    "█".repeat(cells.min(width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(
            (count(999_999), count(1_234_567)),
            ("999999".into(), "1.23M".into())
        );
        assert_eq!((rate(Some(2.25)), rate(None)), ("2.2".into(), "-".into()));
        assert_eq!(ns(850), "850ns");
        assert_eq!(ns(12_345), "12.3µs");
        assert_eq!(ns(20_000_000), "20.00ms");
        assert_eq!(ns(1_200_000_000), "1.20s");
        assert_eq!(
            (bytes(512), bytes(4096), bytes(3 << 20)),
            ("512B".into(), "4.0KiB".into(), "3.0MiB".into())
        );
        assert_eq!(
            (uptime(7), uptime(125), uptime(3723)),
            ("7s".into(), "2m05s".into(), "1h02m03s".into())
        );
    }

    #[test]
    fn sparklines_and_bars_scale_to_the_maximum() {
        assert_eq!(sparkline(&[0, 1, 7, 14], 3), "▁▄█");
        assert_eq!(sparkline(&[14, 7, 0], 10), "█▄ ");
        assert_eq!(bar(5, 10, 10), "█████");
        assert_eq!(bar(1, 10, 4), "█");
        assert_eq!(bar(0, 0, 4), "");
    }
}
