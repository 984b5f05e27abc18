//! A `prometheus` crate [`Collector`] over an [`Exporter`].

use crate::exporter::Exporter;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

/// Zokio's metrics as a `prometheus` crate collector: register it in a service's `Registry`.
#[derive(Debug, Clone)]
pub struct ZokioCollector {
    exporter: Exporter,
}

impl ZokioCollector {
    /// The runtimes of this process.
    pub fn new() -> ZokioCollector {
        ZokioCollector::with_exporter(Exporter::this_process())
    }

    /// Over `exporter`.
    pub fn with_exporter(exporter: Exporter) -> ZokioCollector {
        ZokioCollector { exporter }
    }
}

impl Default for ZokioCollector {
    fn default() -> ZokioCollector {
        ZokioCollector::new()
    }
}

impl Collector for ZokioCollector {
    fn desc(&self) -> Vec<&Desc> {
        Vec::new()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        Vec::new()
    }
}
