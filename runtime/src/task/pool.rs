//! The task-cell pool: per-thread free lists by size class, with a lock-free way home.
//!
//! Each worker thread installs a [`LocalPool`] (through [`enter`]). A spawn on that thread takes a
//! cell of the right size class from the thread's free list (a *hit*), or from the global allocator
//! (a *miss*). The cell remembers its home pool. When the task is freed:
//!
//! - on its home thread, the cell goes back on the local free list (no atomic operation);
//! - on any other thread, it is pushed onto the home pool's *remote* stack for its class, a Treiber
//!   stack (`AtomicPtr` head, CAS push). The owner takes the whole stack with one `swap(null)` when
//!   its local list runs dry, so there is no pop race and no ABA problem.
//!
//! A cell holds one strong count of its home [`PoolShared`], so the shared part outlives every cell
//! that may still be sent home; when the last count goes, `Drop` frees whatever is still stacked.
//! Cells larger than the largest class, over-aligned ones, and cells allocated on threads without a
//! pool go straight to the global allocator.

use crate::loom::sync::atomic::{AtomicPtr, AtomicU64, Ordering::*};
use crate::loom::sync::Arc;
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
/// Most cells a thread keeps cached per class.
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

/// A shared reference to a pool (the loom facade's `Arc`, so the loom model can check it).
pub(crate) type PoolRef = Arc<PoolShared>;

/// A free block, reinterpreted as a stack node.
struct FreeNode {
    next: *mut FreeNode,
}

/// Where a cell goes when freed: its pool (one strong count owned by the cell) and size class.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Home {
    pool: Option<NonNull<PoolShared>>,
    class: u8,
}

// SAFETY: `Home` only carries a pointer to a `PoolShared`, which is `Sync`; the strong count it owns
// may be released from any thread.
unsafe impl Send for Home {}
// SAFETY: as above; `Home` is a plain copyable token.
unsafe impl Sync for Home {}

/// The part of a thread's pool other threads may touch: remote stacks and published counters.
#[derive(Debug)]
pub(crate) struct PoolShared {
    remote: [AtomicPtr<FreeNode>; CLASSES],
    /// Published by the owner with Relaxed stores.
    pub(crate) stats: PoolStats,
}

// SAFETY: the raw pointers in `remote` are only reached through atomics; the nodes they point to
// are free blocks owned by whoever pops them.
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
    /// Cells handed out and not yet returned to this pool.
    pub(crate) in_use: AtomicU64,
    /// Bytes cached in this thread's free lists.
    pub(crate) bytes_held: AtomicU64,
    /// Cells that came home from other threads.
    pub(crate) remote_frees: AtomicU64,
}

impl PoolShared {
    pub(crate) fn new() -> PoolShared {
        PoolShared {
            remote: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            stats: PoolStats::default(),
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

    /// Takes the whole remote stack of `class` (owner only, or `Drop`).
    fn take_remote(&self, class: u8) -> *mut FreeNode {
        self.remote[class as usize].swap(ptr::null_mut(), Acquire)
    }
}

impl Drop for PoolShared {
    fn drop(&mut self) {
        for class in 0..CLASSES as u8 {
            let mut node = self.take_remote(class);
            while !node.is_null() {
                // SAFETY: every node on the stack is a free block of this class, owned by the stack.
                let next = unsafe { (*node).next };
                // SAFETY: the block was allocated with `block_layout(class)`.
                unsafe { free(node.cast(), block_layout(class)) };
                node = next;
            }
        }
    }
}

/// A thread's own free lists.
struct LocalPool {
    shared: Arc<PoolShared>,
    heads: [*mut FreeNode; CLASSES],
    lens: [u32; CLASSES],
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
pub(crate) fn enter(shared: Arc<PoolShared>) -> EnterGuard {
    let installed = LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        if l.is_some() {
            return false;
        }
        // A pool may be entered again (a current-thread runtime's, once per `block_on`): carry
        // its counters on from what was published.
        let s = &shared.stats;
        *l = Some(LocalPool {
            hits: s.hits.load(Relaxed),
            misses: s.misses.load(Relaxed),
            in_use: s.in_use.load(Relaxed),
            bytes_held: 0,
            remote_frees: s.remote_frees.load(Relaxed),
            shared,
            heads: [ptr::null_mut(); CLASSES],
            lens: [0; CLASSES],
        });
        true
    });
    EnterGuard { installed }
}

/// Removes the thread's pool on drop, returning its cached blocks to the global allocator.
pub(crate) struct EnterGuard {
    installed: bool,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if !self.installed {
            return;
        }
        let pool = LOCAL.with(|l| l.borrow_mut().take());
        if let Some(mut pool) = pool {
            for class in 0..CLASSES as u8 {
                free_list(pool.heads[class as usize], class);
                pool.heads[class as usize] = ptr::null_mut();
            }
            pool.bytes_held = 0;
            pool.publish();
        }
    }
}

fn free_list(mut node: *mut FreeNode, class: u8) {
    while !node.is_null() {
        // SAFETY: nodes of a free list are free blocks of `class`, owned by the list.
        let next = unsafe { (*node).next };
        // SAFETY: allocated with `block_layout(class)`.
        unsafe { free(node.cast(), block_layout(class)) };
        node = next;
    }
}

impl LocalPool {
    fn publish(&self) {
        let s = &self.shared.stats;
        s.hits.store(self.hits, Relaxed);
        s.misses.store(self.misses, Relaxed);
        s.in_use.store(self.in_use, Relaxed);
        s.bytes_held.store(self.bytes_held, Relaxed);
        s.remote_frees.store(self.remote_frees, Relaxed);
    }

    fn pop(&mut self, class: u8) -> Option<NonNull<u8>> {
        let c = class as usize;
        if self.heads[c].is_null() {
            self.refill_from_remote(class);
        }
        let node = NonNull::new(self.heads[c])?;
        // SAFETY: a node on our free list is a free block we own.
        self.heads[c] = unsafe { node.as_ref().next };
        self.lens[c] = self.lens[c].saturating_sub(1);
        self.bytes_held -= CLASS_SIZES[c] as u64;
        Some(node.cast())
    }

    fn refill_from_remote(&mut self, class: u8) {
        let mut node = self.shared.take_remote(class);
        let c = class as usize;
        while !node.is_null() {
            // SAFETY: nodes taken from the remote stack are now ours.
            let next = unsafe { (*node).next };
            // SAFETY: as above; relinking onto the local list.
            unsafe { (*node).next = self.heads[c] };
            self.heads[c] = node;
            self.lens[c] += 1;
            self.bytes_held += CLASS_SIZES[c] as u64;
            self.remote_frees += 1;
            self.in_use -= 1;
            node = next;
        }
    }

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
        unsafe { ptr::write(node, FreeNode { next: self.heads[c] }) };
        self.heads[c] = node;
        self.lens[c] += 1;
        self.bytes_held += CLASS_SIZES[c] as u64;
    }
}

/// Allocates a block for `layout` (size class `class`), from this thread's pool when it has one.
pub(crate) fn alloc_cell(layout: Layout, class: u8) -> (NonNull<u8>, Home) {
    if class != UNPOOLED {
        let got = LOCAL.try_with(|l| {
            let mut l = l.try_borrow_mut().ok()?;
            let pool = l.as_mut()?;
            let block = match pool.pop(class) {
                Some(b) => {
                    pool.hits += 1;
                    b
                }
                None => {
                    pool.misses += 1;
                    raw_alloc(block_layout(class))
                }
            };
            pool.in_use += 1;
            pool.publish();
            let home = NonNull::new(Arc::into_raw(pool.shared.clone()).cast_mut()).expect("Arc pointer");
            Some((block, Home { pool: Some(home), class }))
        });
        if let Ok(Some(got)) = got {
            return got;
        }
        return (raw_alloc(block_layout(class)), Home { pool: None, class });
    }
    (raw_alloc(layout), Home { pool: None, class: UNPOOLED })
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
pub(crate) unsafe fn dealloc_cell(block: NonNull<u8>, layout: Layout, home: Home) {
    let Some(pool) = home.pool else {
        let layout = if home.class == UNPOOLED { layout } else { block_layout(home.class) };
        // SAFETY: allocated by `raw_alloc` with this layout (caller's contract).
        unsafe { free(block.as_ptr(), layout) };
        return;
    };
    // SAFETY: the cell owns one strong count of its home pool (taken in `alloc_cell`).
    let shared = unsafe { Arc::from_raw(pool.as_ptr().cast_const()) };
    let local = LOCAL.try_with(|l| {
        let Ok(mut l) = l.try_borrow_mut() else { return false };
        match l.as_mut() {
            Some(p) if ptr::eq(Arc::as_ptr(&p.shared), pool.as_ptr()) => {
                p.push(home.class, block);
                p.publish();
                true
            }
            _ => false,
        }
    });
    if local != Ok(true) {
        shared.push_remote(home.class, block);
    }
    drop(shared);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn classes_fit_and_reject() {
        assert_eq!(class_of(Layout::from_size_align(1, 1).unwrap()), 0);
        assert_eq!(class_of(Layout::from_size_align(65, 8).unwrap()), 1);
        assert_eq!(class_of(Layout::from_size_align(4096, 8).unwrap()), 11);
        assert_eq!(class_of(Layout::from_size_align(4097, 8).unwrap()), UNPOOLED);
        assert_eq!(class_of(Layout::from_size_align(64, 128).unwrap()), UNPOOLED);
    }

    #[test]
    fn local_free_is_reused_and_remote_free_comes_home() {
        let shared = Arc::new(PoolShared::new());
        let _g = enter(shared.clone());
        let layout = Layout::from_size_align(100, 8).unwrap();
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
        assert_eq!(c.as_ptr() as usize, b_addr, "the remotely freed cell came home");
        assert_eq!(shared.stats.hits.load(Relaxed), 2);
        assert_eq!(shared.stats.misses.load(Relaxed), 1);
        assert_eq!(shared.stats.in_use.load(Relaxed), 1);
        assert_eq!(shared.stats.remote_frees.load(Relaxed), 1);
        // SAFETY: freed once.
        unsafe { dealloc_cell(c, layout, hc) };
        assert_eq!(shared.stats.in_use.load(Relaxed), 0);
        assert_eq!(Arc::strong_count(&shared), 2);
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
