//! Arbitrary bytes into the validating reader: it must return `Ok` or `Err`, never panic or read
//! out of bounds (the byte-slice backend bounds-checks every word; a panic is a bug).

#![no_main]

use libfuzzer_sys::fuzz_target;
use zokio_telemetry::{EventCursor, SliceReader};

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = SliceReader::new(data) else {
        return;
    };
    let snapshot = reader.snapshot();
    assert_eq!(snapshot.workers.len(), reader.layout().config.workers);
    for worker in 0..snapshot.workers.len() {
        let mut cursor = EventCursor::new();
        if let Ok(batch) = reader.events(worker, &mut cursor) {
            assert!(batch.events.len() <= reader.layout().config.ring_capacity);
        }
    }
});
