//! The task-cell pool: per-thread free lists by size class, with a lock-free way home.
//!
//! Each worker thread installs a pool (through [`enter`]). A spawn on that thread takes a cell of
//! the right size class from the thread's free list (a *hit*), or from the global allocator (a
//! *miss*). The cell remembers its home pool. When the task is freed:
//!
//! - on its home thread, the cell goes back on the local free list (no atomic operation);
//! - on any other thread, it is pushed onto the home pool's *remote* stack for its class, a Treiber
//!   stack (`AtomicPtr` head, CAS push). The owner takes the whole stack with one `swap(null)` when
//!   its local list runs dry, so there is no pop race and no ABA problem, and adopts it as a chain
//!   it pops lazily (walking it at once would touch every cold cell).
//!
//! Pools are never freed: when a thread stops being a worker its pool goes on a global spare list
//! and the next worker thread takes it over, remote stack and all. So a cell's home pointer stays
//! valid for as long as the process lives, with no reference count per cell; the number of pools
//! is the largest number of threads that ever held one at once. Cells larger than the largest
//! class and over-aligned ones go straight to the global allocator.
//!
//! A thread that spawns without having entered a pool (the thread calling `Runtime::spawn` or
//! `block_on`, a blocking-pool thread, any thread of the application holding a `Handle`) gets one
//! at its first spawn, kept until the thread exits (a thread-local destructor hands it back to the
//! spare list). Without it every such spawn went to the global allocator for a cache-aligned
//! block, which a worker then freed from another thread: in a loop of spawns from outside the
//! runtime, a third of the CPU time went to the allocator's aligned path and its arena lock.
//! The cells it spawns come home through its remote stacks like a worker's.

use crate::loom::sync::atomic::{AtomicPtr, AtomicU64, Ordering::*};
use crossbeam_utils::CachePadded;
use std::alloc::{alloc, dealloc as free, handle_alloc_error, Layout};
use std::cell::RefCell;
use std::ptr::{self, NonNull};

/// Cell sizes served by the pool, in bytes.
pub(crate) const CLASS_SIZES: [usize; 12] =
    [64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 4096];
const CLASSES: usize = CLASS_SIZES.len();
/// Alignment of every pooled block (a cache line: cells never share one).
const BLOCK_ALIGN: usize = 64;
/// Class index meaning "not pooled".
pub(crate) const UNPOOLED: u8 = u8::MAX;
/// Most cells a thread keeps cached per class on its local list.
#[cfg(not(loom))]
const LOCAL_CAP: u32 = 4096;
#[cfg(loom)]
const LOCAL_CAP: u32 = 2;

/// The size class for a cell layout, or [`UNPOOLED`].
pub(crate) const fn class_of(layout: Layout) -> u8 {
    if layout.align() > BLOCK_ALIGN {
        return UNPOOLED;
    }
    let mut i = 0;
    while i < CLASSES {
        if layout.size() <= CLASS_SIZES[i] {
            return i as u8;
        }
        i += 1;
    }
    UNPOOLED
}

fn block_layout(class: u8) -> Layout {
    // The class sizes are non-zero multiples of 32 and BLOCK_ALIGN is a power of two.
    Layout::from_size_align(CLASS_SIZES[class as usize], BLOCK_ALIGN).expect("valid class layout")
}

/// A free block, reinterpreted as a stack node.
struct FreeNode {
    next: *mut FreeNode,
}

/// Where a cell goes when freed: its pool and size class. Packed (9 bytes, byte-aligned) so
/// the task header keeps a word for itself at the end of its 56 bytes.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed)]
pub(crate) struct Home {
    pool: Option<&'static PoolShared>,
    class: u8,
}

/// The part of a thread's pool other threads may touch: remote stacks and published counters.
#[derive(Debug)]
pub(crate) struct PoolShared {
    /// Pushed to by other threads: kept off the line the owner publishes to.
    remote: CachePadded<[AtomicPtr<FreeNode>; CLASSES]>,
    /// Published by the owner with Relaxed stores.
    pub(crate) stats: CachePadded<PoolStats>,
}

// SAFETY: the raw pointers in `remote` are only reached through atomics; the nodes they point to
// are free blocks owned by whoever takes them.
unsafe impl Send for PoolShared {}
// SAFETY: as above.
unsafe impl Sync for PoolShared {}

/// Pool counters, one atomic word each (readers never see a torn value).
#[derive(Debug, Default)]
pub(crate) struct PoolStats {
    /// Allocations served from a free list.
    pub(crate) hits: AtomicU64,
    /// Allocations that went to the global allocator.
    pub(crate) misses: AtomicU64,
    /// Cells handed out and not yet back on a local list or reused.
    pub(crate) in_use: AtomicU64,
    /// Bytes cached in the owner's local lists.
    pub(crate) bytes_held: AtomicU64,
    /// Cells that came home from other threads and were reused.
    pub(crate) remote_frees: AtomicU64,
}

impl PoolShared {
    pub(crate) fn new() -> PoolShared {
        PoolShared {
            remote: CachePadded::new(std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut()))),
            stats: CachePadded::new(PoolStats::default()),
        }
    }

    /// Pushes a free block onto the remote stack of `class` (any thread).
    fn push_remote(&self, class: u8, block: NonNull<u8>) {
        let node = block.as_ptr().cast::<FreeNode>();
        let head = &self.remote[class as usize];
        let mut curr = head.load(Relaxed);
        loop {
            // SAFETY: `node` is a free block of at least 64 bytes that this thread owns until the
            // CAS below publishes it.
            unsafe { ptr::write(node, FreeNode { next: curr }) };
            match head.compare_exchange_weak(curr, node, Release, Relaxed) {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Takes the whole remote stack of `class` (the owner only).
    fn take_remote(&self, class: u8) -> *mut FreeNode {
        if self.remote[class as usize].load(Relaxed).is_null() {
            return ptr::null_mut();
        }
        self.remote[class as usize].swap(ptr::null_mut(), Acquire)
    }
}

/// Pools no thread owns right now.
static SPARE: std::sync::Mutex<Vec<&'static PoolShared>> = std::sync::Mutex::new(Vec::new());

fn acquire_pool() -> &'static PoolShared {
    let spare = SPARE.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let pool = spare.unwrap_or_else(|| Box::leak(Box::new(PoolShared::new())));
    // A new owner starts its own hit and miss counts; cells in use stay counted.
    pool.stats.hits.store(0, Relaxed);
    pool.stats.misses.store(0, Relaxed);
    pool.stats.remote_frees.store(0, Relaxed);
    pool
}

/// A thread's own free lists.
struct LocalPool {
    shared: &'static PoolShared,
    heads: [*mut FreeNode; CLASSES],
    lens: [u32; CLASSES],
    /// Chains taken from the remote stacks, popped lazily.
    chains: [*mut FreeNode; CLASSES],
    hits: u64,
    misses: u64,
    in_use: u64,
    bytes_held: u64,
    remote_frees: u64,
}

thread_local! {
    static LOCAL: RefCell<Option<LocalPool>> = const { RefCell::new(None) };
}

/// Installs a pool on this thread until the guard drops. Nested calls keep the outer pool.
pub(crate) fn enter() -> EnterGuard {
    enter_inner(false)
}

fn enter_inner(fresh: bool) -> EnterGuard {
    LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        if let Some(p) = l.as_ref() {
            return EnterGuard {
                installed: false,
                pool: p.shared,
            };
        }
        let shared = if fresh {
            Box::leak(Box::new(PoolShared::new()))
        } else {
            acquire_pool()
        };
        *l = Some(LocalPool::new(shared));
        EnterGuard {
            installed: true,
            pool: shared,
        }
    })
}

/// Publishes this thread's pool counters (workers call it at maintenance and before parking).
pub(crate) fn publish() {
    let _ = LOCAL.try_with(|l| {
        if let Ok(l) = l.try_borrow() {
            if let Some(p) = l.as_ref() {
                p.publish();
            }
        }
    });
}

/// Removes the thread's pool on drop, returning its cached blocks to the global allocator and
/// the pool to the spare list.
pub(crate) struct EnterGuard {
    installed: bool,
    pool: &'static PoolShared,
}

impl EnterGuard {
    /// The pool this thread uses, for metrics.
    pub(crate) fn pool(&self) -> &'static PoolShared {
        self.pool
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if !self.installed {
            return;
        }
        // Dropping the pool hands it back (see `LocalPool`'s `Drop`).
        let _ = LOCAL.try_with(|l| l.borrow_mut().take());
    }
}

/// Frees every block of a list; returns how many.
fn free_list(mut node: *mut FreeNode, class: u8) -> u64 {
    let mut n = 0;
    while !node.is_null() {
        // SAFETY: nodes of a free list are free blocks of `class`, owned by the list.
        let next = unsafe { (*node).next };
        // SAFETY: allocated with `block_layout(class)`.
        unsafe { free(node.cast(), block_layout(class)) };
        node = next;
        n += 1;
    }
    n
}

impl LocalPool {
    fn new(shared: &'static PoolShared) -> LocalPool {
        LocalPool {
            in_use: shared.stats.in_use.load(Relaxed),
            shared,
            heads: [ptr::null_mut(); CLASSES],
            lens: [0; CLASSES],
            chains: [ptr::null_mut(); CLASSES],
            hits: 0,
            misses: 0,
            bytes_held: 0,
            remote_frees: 0,
        }
    }

    /// Gives every cached block back to the global allocator and publishes the counters as the
    /// pool leaves this thread; returns the shared part, for the spare list.
    fn retire(&mut self) -> &'static PoolShared {
        for class in 0..CLASSES {
            free_list(self.heads[class], class as u8);
            // Blocks on an adopted chain were in use until now; they leave the pool.
            self.in_use -= free_list(self.chains[class], class as u8);
            self.heads[class] = ptr::null_mut();
            self.chains[class] = ptr::null_mut();
            self.lens[class] = 0;
        }
        self.bytes_held = 0;
        self.publish();
        self.shared
    }

    fn publish(&self) {
        let s = &self.shared.stats;
        s.hits.store(self.hits, Relaxed);
        s.misses.store(self.misses, Relaxed);
        s.in_use.store(self.in_use, Relaxed);
        s.bytes_held.store(self.bytes_held, Relaxed);
        s.remote_frees.store(self.remote_frees, Relaxed);
    }

    #[inline]
    fn pop(&mut self, class: u8) -> Option<NonNull<u8>> {
        let c = class as usize;
        if let Some(node) = NonNull::new(self.heads[c]) {
            // SAFETY: a node on our free list is a free block we own.
            self.heads[c] = unsafe { node.as_ref().next };
            self.lens[c] -= 1;
            self.bytes_held -= CLASS_SIZES[c] as u64;
            self.in_use += 1;
            return Some(node.cast());
        }
        if self.chains[c].is_null() {
            self.chains[c] = self.shared.take_remote(class);
        }
        let node = NonNull::new(self.chains[c])?;
        // SAFETY: a node of an adopted chain is a free block we own.
        self.chains[c] = unsafe { node.as_ref().next };
        // It was counted in use until its remote free; now it is in use again.
        self.remote_frees += 1;
        Some(node.cast())
    }

    #[inline]
    fn push(&mut self, class: u8, block: NonNull<u8>) {
        let c = class as usize;
        self.in_use -= 1;
        if self.lens[c] >= LOCAL_CAP {
            // SAFETY: the block is free, of this class's layout.
            unsafe { free(block.as_ptr(), block_layout(class)) };
            return;
        }
        let node = block.as_ptr().cast::<FreeNode>();
        // SAFETY: the block is free and at least as large as a node.
        unsafe {
            ptr::write(
                node,
                FreeNode {
                    next: self.heads[c],
                },
            )
        };
        self.heads[c] = node;
        self.lens[c] += 1;
        self.bytes_held += CLASS_SIZES[c] as u64;
    }
}

/// A pool leaves its thread (the worker's guard dropped, or the thread exits holding the pool
/// it got at its first spawn): its blocks go back to the allocator, the pool to the spare list.
impl Drop for LocalPool {
    fn drop(&mut self) {
        let shared = self.retire();
        SPARE.lock().unwrap_or_else(|e| e.into_inner()).push(shared);
    }
}

/// Allocates a block for `layout` (size class `class`) from this thread's pool, installing one
/// (kept until the thread exits) if the thread has none.
#[inline]
pub(crate) fn alloc_cell(layout: Layout, class: u8) -> (NonNull<u8>, Home) {
    if class == UNPOOLED {
        return (raw_alloc(layout), Home { pool: None, class });
    }
    let got = LOCAL.try_with(|l| {
        let mut l = l.try_borrow_mut().ok()?;
        let pool = match l.as_mut() {
            Some(pool) => pool,
            // Not under loom: a pool made in one explored execution would carry its atomics
            // into the next (the models' threads allocate from the global allocator).
            #[cfg(not(loom))]
            None => l.insert(LocalPool::new(acquire_pool())),
            #[cfg(loom)]
            None => return None,
        };
        let block = match pool.pop(class) {
            Some(b) => {
                pool.hits += 1;
                b
            }
            None => {
                pool.misses += 1;
                pool.in_use += 1;
                raw_alloc(block_layout(class))
            }
        };
        Some((
            block,
            Home {
                pool: Some(pool.shared),
                class,
            },
        ))
    });
    match got {
        Ok(Some(got)) => got,
        _ => (raw_alloc(block_layout(class)), Home { pool: None, class }),
    }
}

fn raw_alloc(layout: Layout) -> NonNull<u8> {
    // SAFETY: every layout passed here has a non-zero size (task cells are never zero-sized).
    let p = unsafe { alloc(layout) };
    NonNull::new(p).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Frees a block allocated by [`alloc_cell`].
///
/// # Safety
/// `block` came from `alloc_cell(layout, home.class)` with this `home`, and is freed once.
#[inline]
pub(crate) unsafe fn dealloc_cell(block: NonNull<u8>, layout: Layout, home: Home) {
    let Some(pool) = home.pool else {
        let layout = if home.class == UNPOOLED {
            layout
        } else {
            block_layout(home.class)
        };
        // SAFETY: allocated by `raw_alloc` with this layout (caller's contract).
        unsafe { free(block.as_ptr(), layout) };
        return;
    };
    let local = LOCAL.try_with(|l| {
        let Ok(mut l) = l.try_borrow_mut() else {
            return false;
        };
        match l.as_mut() {
            Some(p) if ptr::eq(p.shared, pool) => {
                p.push(home.class, block);
                true
            }
            _ => false,
        }
    });
    if local != Ok(true) {
        pool.push_remote(home.class, block);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn classes_fit_and_reject() {
        assert_eq!(class_of(Layout::from_size_align(1, 1).unwrap()), 0);
        assert_eq!(class_of(Layout::from_size_align(65, 8).unwrap()), 1);
        assert_eq!(class_of(Layout::from_size_align(4096, 8).unwrap()), 11);
        assert_eq!(
            class_of(Layout::from_size_align(4097, 8).unwrap()),
            UNPOOLED
        );
        assert_eq!(
            class_of(Layout::from_size_align(64, 128).unwrap()),
            UNPOOLED
        );
    }

    /// On a thread with a pool: allocates a cell, frees it and allocates again (the same cell,
    /// reused), has another thread free that one (onto the remote stack) and allocates again
    /// (the same cell, come home). Returns the last cell and its home, still allocated.
    fn reuse_then_come_home(layout: Layout) -> (NonNull<u8>, Home) {
        let class = class_of(layout);
        let (a, ha) = alloc_cell(layout, class);
        // SAFETY: freed once, with the home it was given.
        unsafe { dealloc_cell(a, layout, ha) };
        let (b, hb) = alloc_cell(layout, class);
        assert_eq!(a, b, "a locally freed cell is reused");
        let b_addr = b.as_ptr() as usize;
        std::thread::spawn(move || {
            let b = NonNull::new(b_addr as *mut u8).unwrap();
            // SAFETY: freed once, on another thread: goes to the remote stack.
            unsafe { dealloc_cell(b, layout, hb) };
        })
        .join()
        .unwrap();
        let (c, hc) = alloc_cell(layout, class);
        assert_eq!(
            c.as_ptr() as usize,
            b_addr,
            "the remotely freed cell came home"
        );
        (c, hc)
    }

    #[test]
    fn local_free_is_reused_and_remote_free_comes_home() {
        std::thread::spawn(|| {
            let guard = enter_inner(true);
            let shared = guard.pool();
            let layout = Layout::from_size_align(100, 8).unwrap();
            let (c, hc) = reuse_then_come_home(layout);
            publish();
            assert_eq!(shared.stats.hits.load(Relaxed), 2);
            assert_eq!(shared.stats.misses.load(Relaxed), 1);
            assert_eq!(shared.stats.in_use.load(Relaxed), 1);
            assert_eq!(shared.stats.remote_frees.load(Relaxed), 1);
            // SAFETY: freed once.
            unsafe { dealloc_cell(c, layout, hc) };
            publish();
            assert_eq!(shared.stats.in_use.load(Relaxed), 0);
            assert_eq!(shared.stats.bytes_held.load(Relaxed), 128);
        })
        .join()
        .unwrap();
    }

    /// A thread that never entered a pool gets one at its first allocation: cells it frees
    /// itself are reused, cells freed by another thread come home through the remote stack,
    /// and only the first allocation goes to the global allocator.
    #[test]
    fn a_thread_without_a_pool_gets_one_at_its_first_cell() {
        std::thread::spawn(|| {
            assert!(
                LOCAL.with(|l| l.borrow().is_none()),
                "a fresh thread has no pool"
            );
            let layout = Layout::from_size_align(200, 8).unwrap();
            let (c, hc) = reuse_then_come_home(layout);
            let home = hc
                .pool
                .expect("the cells come from a pool installed for them");
            let (hits, misses, remote) = LOCAL.with(|l| {
                let l = l.borrow();
                let p = l.as_ref().expect("a pool installed at the first cell");
                assert!(ptr::eq(p.shared, home));
                (p.hits, p.misses, p.remote_frees)
            });
            assert_eq!((hits, misses, remote), (2, 1, 1));
            // SAFETY: freed once.
            unsafe { dealloc_cell(c, layout, hc) };
        })
        .join()
        .unwrap();
    }

    /// What a pool does as it leaves its thread: every cached block goes back to the allocator
    /// (local lists and adopted chains alike) and the counters published say so.
    #[test]
    fn a_retired_pool_holds_no_block() {
        let shared: &'static PoolShared = Box::leak(Box::new(PoolShared::new()));
        let mut pool = LocalPool::new(shared);
        let class = class_of(Layout::from_size_align(100, 8).unwrap());
        // Two cells handed out, one freed locally, one freed remotely and adopted.
        pool.in_use = 2;
        pool.push(class, raw_alloc(block_layout(class)));
        shared.push_remote(class, raw_alloc(block_layout(class)));
        pool.chains[class as usize] = shared.take_remote(class);
        assert_eq!(pool.lens[class as usize], 1);
        assert_eq!(pool.bytes_held, 128);
        let out = pool.retire();
        assert!(ptr::eq(out, shared));
        assert!(pool.heads.iter().chain(&pool.chains).all(|h| h.is_null()));
        assert_eq!(pool.lens[class as usize], 0);
        assert_eq!(shared.stats.bytes_held.load(Relaxed), 0);
        // The adopted cell was counted in use (freed remotely, not yet reused): it left.
        assert_eq!(shared.stats.in_use.load(Relaxed), 0);
        std::mem::forget(pool);
    }
}

#[cfg(all(test, loom))]
impl PoolShared {
    pub(crate) fn push_remote_for_test(&self, class: u8, block: *mut u8) {
        self.push_remote(class, NonNull::new(block).expect("non-null block"));
    }

    /// Takes the remote stack and returns the block addresses, without freeing them.
    pub(crate) fn take_remote_for_test(&self, class: u8) -> Vec<usize> {
        let mut out = Vec::new();
        let mut node = self.take_remote(class);
        while !node.is_null() {
            out.push(node as usize);
            // SAFETY: the node was pushed by `push_remote_for_test` and is now ours.
            node = unsafe { (*node).next };
        }
        out
    }
}
