//! Property tests of the validating reader over bytes (the same code path the file reader runs):
//! random bytes, valid segments cut short, and valid segments with words overwritten anywhere
//! (header fields, section table, string entries, event records, task slots). The reader returns
//! `Ok` or `Err`, never panics, and what it returns respects the bounds it validated.

#![cfg(not(loom))]

mod common;

use common::{filled_segment, TempDir};
use proptest::prelude::*;
use std::sync::OnceLock;
use zokio_telemetry::*;

/// A filled segment's bytes, made once.
fn valid() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = TempDir::new("fuzz");
        let seg = filled_segment(dir.path());
        for i in 0..20 {
            seg.ring(1)
                .push(i, i, EventData::Steal { from: 2, count: 1 });
        }
        let intern = seg.intern("task-name").unwrap();
        let mut slot = seg.tasks().claim().unwrap();
        slot.update(|r| r.name = intern);
        std::mem::forget(slot);
        std::fs::read(seg.path()).unwrap()
    })
}

/// Reads everything `bytes` offers and checks the results against the validated layout.
fn exercise(bytes: &[u8]) -> Result<()> {
    let reader = SliceReader::new(bytes)?;
    let layout = reader.layout().clone();
    let workers = layout.config.workers;
    assert!(layout.total_size as usize <= bytes.len());
    let snap = reader.snapshot();
    assert_eq!(snap.workers.len(), workers);
    assert!(snap.workers.iter().all(|w| w.stolen_from.len() == workers));
    assert!(snap.tasks.len() <= layout.config.task_capacity);
    assert!(snap
        .tasks
        .iter()
        .all(|t| t.worker.is_none_or(|w| w < workers)));
    assert!(snap.pools.len() <= layout.config.pool_slots);
    for w in 0..workers {
        let mut cursor = EventCursor::new();
        if let Ok(batch) = reader.events(w, &mut cursor) {
            assert!(batch.events.len() <= layout.config.ring_capacity);
            assert!(batch.events.iter().all(|e| usize::from(e.worker) < workers));
            assert!(batch.events.windows(2).all(|p| p[0].seq < p[1].seq));
        }
    }
    Ok(())
}

/// Overwrites word `index` (modulo the word count) with `value`.
fn corrupt(bytes: &mut [u8], index: usize, value: u64) {
    let i = index % (bytes.len() / 8) * 8;
    bytes[i..i + 8].copy_from_slice(&value.to_ne_bytes());
}

/// Values that stress validation: anything, small counts, near-valid sizes and offsets.
fn word_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0u64..64,
        Just(u64::MAX),
        (0u64..64).prop_map(|k| 1u64 << k),
        (0usize..valid().len()).prop_map(|v| v as u64),
        (0u64..=u64::from(u16::MAX)).prop_map(|k| k | 3 << 16 | 1 << 32),
    ]
}

/// Word indices: half in the header, half anywhere.
fn word_index() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..160, 0usize..valid().len() / 8]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn the_fixture_itself_reads_back() {
    exercise(valid()).unwrap();
    let reader = SliceReader::new(valid()).unwrap();
    let batch = reader.events(1, &mut EventCursor::new()).unwrap();
    assert_eq!((batch.events.len(), batch.lost), (8, 12));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = exercise(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_magic_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 16..4096), minor in any::<u32>()) {
        bytes[..8].copy_from_slice(&u64::from_ne_bytes(*b"ZOKIOSEG").to_ne_bytes());
        bytes[8..16].copy_from_slice(&(1u64 << 32 | u64::from(minor)).to_ne_bytes());
        let _ = exercise(&bytes);
    }

    #[test]
    fn truncated_segments_are_refused(len in 0usize..4096 * 4) {
        let len = len.min(valid().len() - 1);
        prop_assert!(exercise(&valid()[..len]).is_err());
    }

    #[test]
    fn corrupted_words_never_panic(edits in proptest::collection::vec((word_index(), word_value()), 1..6)) {
        let mut bytes = valid().to_vec();
        for (index, value) in edits {
            corrupt(&mut bytes, index, value);
        }
        let _ = exercise(&bytes);
    }

    #[test]
    fn corrupted_bytes_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..32)) {
        let mut bytes = valid().to_vec();
        for (index, value) in edits {
            let i = index % bytes.len();
            bytes[i] = value;
        }
        let _ = exercise(&bytes);
    }
}
