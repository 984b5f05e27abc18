//! Stand-in for the I/O counters when the `telemetry` feature is off: every call is a no-op.

use super::snapshot::IoMetrics;
use crate::io::driver::OpKind;

#[derive(Default)]
pub(crate) struct IoStats {
    _none: (),
}

/// Stand-in for a ring's own counters.
pub(crate) struct RingIoCounters;

impl IoStats {
    pub(crate) fn new(_tel: std::sync::Arc<super::Telemetry>) -> IoStats {
        IoStats::default()
    }
    pub(crate) fn publish_driver(&self, _m: &IoMetrics) {}
    pub(crate) fn ring(&self) -> std::sync::Arc<RingIoCounters> {
        std::sync::Arc::new(RingIoCounters)
    }
    pub(crate) fn submitted(&self, _ring: &RingIoCounters, _kind: OpKind) {}
    pub(crate) fn finished(&self, _ring: &RingIoCounters, _kind: OpKind) {}
    pub(crate) fn completed(
        &self,
        _ring: &RingIoCounters,
        _kind: OpKind,
        _res: i32,
        _latency_ns: Option<u64>,
    ) {
    }
    pub(crate) fn sync_op(&self, _kind: OpKind, _res: Result<usize, ()>) {}
    pub(crate) fn sq_full_wait(&self) {}
    pub(crate) fn cq_overflowed(&self, _n: u64) {}
    pub(crate) fn snapshot(&self, _into: &mut IoMetrics) {}
}
