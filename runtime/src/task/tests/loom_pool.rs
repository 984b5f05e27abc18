use crate::loom::sync::Arc;
use crate::task::pool::PoolShared;
use std::alloc::Layout;

/// Two threads free cells of one class onto the home pool's remote stack while the owner takes
/// the stack: every block is taken exactly once.
#[test]
fn cross_thread_free_comes_home_once() {
    loom::model(|| {
        let pool = Arc::new(PoolShared::new());
        let layout = Layout::from_size_align(64, 64).unwrap();
        let blocks: Vec<usize> = (0..2)
            // SAFETY: a plain allocation of a non-zero layout, freed below.
            .map(|_| unsafe { std::alloc::alloc(layout) } as usize)
            .collect();
        let handles: Vec<_> = blocks
            .iter()
            .map(|&b| {
                let p = pool.clone();
                loom::thread::spawn(move || p.push_remote_for_test(0, b as *mut u8))
            })
            .collect();
        let mut taken = pool.take_remote_for_test(0);
        for h in handles {
            h.join().unwrap();
        }
        taken.extend(pool.take_remote_for_test(0));
        taken.sort_unstable();
        let mut expected = blocks.clone();
        expected.sort_unstable();
        assert_eq!(taken, expected);
        for b in blocks {
            // SAFETY: allocated above with this layout, freed once.
            unsafe { std::alloc::dealloc(b as *mut u8, layout) };
        }
    });
}
