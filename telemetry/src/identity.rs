//! Who wrote a segment: the process (pid and start time, which together name one process even
//! when pids are reused), its names, and the runtime within it.

use std::fs;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The identity a writer publishes in its segment's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Process id.
    pub pid: u32,
    /// Process start time in clock ticks after boot (field 22 of `/proc/<pid>/stat`).
    pub start_time: u64,
    /// Process name (its `comm`), at most 32 bytes are kept.
    pub process_name: String,
    /// Service name chosen by the application, at most 64 bytes are kept.
    pub service_name: String,
    /// Unique among the runtimes of this process.
    pub runtime_id: u64,
}

impl Identity {
    /// The identity of a new runtime of this process: the next runtime id of the process, its
    /// pid, start time and name.
    pub fn for_this_process(service_name: &str) -> io::Result<Identity> {
        static NEXT_RUNTIME: AtomicU64 = AtomicU64::new(1);
        let pid = std::process::id();
        Ok(Identity {
            pid,
            start_time: process_start_time(pid)?,
            process_name: process_name(pid),
            service_name: service_name.to_owned(),
            runtime_id: NEXT_RUNTIME.fetch_add(1, Ordering::Relaxed),
        })
    }
}

/// The start time of process `pid` (clock ticks after boot), from `/proc/<pid>/stat`.
pub fn process_start_time(pid: u32) -> io::Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_start_time(&stat).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unparsable /proc/{pid}/stat"),
        )
    })
}

/// Field 22 of a `/proc/<pid>/stat` line. The second field, the command name in parentheses,
/// may itself hold spaces and `)`, so fields are counted from after the last `)`.
pub(crate) fn parse_start_time(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the `)` come fields 3, 4, ...: field 22 is the 20th.
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

/// The `comm` of process `pid`, or `"?"` if it cannot be read.
fn process_name(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end_matches('\n').to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Nanoseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_field_22_even_with_parens_in_the_name() {
        let tail = "S 1 1 1 0 -1 4194560 10 0 0 0 0 0 0 0 20 0 1 0 424242 1000 10";
        assert_eq!(parse_start_time(&format!("7 (cat) {tail}")), Some(424242));
        assert_eq!(
            parse_start_time(&format!("7 (a) b (c)) {tail}")),
            Some(424242)
        );
        assert_eq!(parse_start_time("7 (cat) S 1"), None);
        assert_eq!(parse_start_time("garbage"), None);
    }

    #[test]
    fn this_process_has_an_identity() {
        let a = Identity::for_this_process("svc").unwrap();
        let b = Identity::for_this_process("svc").unwrap();
        assert_eq!(a.pid, std::process::id());
        assert_eq!(a.start_time, b.start_time);
        assert_ne!(a.runtime_id, b.runtime_id);
        assert!(a.start_time > 0);
    }
}
