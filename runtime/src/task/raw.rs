//! The task cell: header, core (scheduler + future/output) and trailer in one allocation, reached
//! through a type-erased pointer to the header and a per-(future, scheduler) vtable.

use super::harness;
use super::list::Pointers;
use super::pool::{self, Home};
use super::span::{NewSpan, SpanMark, SpanSlot};
use super::state::State;
use super::{Id, JoinError, Schedule, SpawnMeta};
use crate::loom::cell::UnsafeCell;
use std::alloc::Layout;
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::{Poll, Waker};

/// Functions that need the concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Polls (or cancels) the task; consumes a queue reference. Returns true if it completed.
    pub(crate) poll: unsafe fn(NonNull<Header>) -> bool,
    /// Hands a queue reference (already counted) to the scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Drops the cell's contents and frees it.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Writes `Poll<Result<T, JoinError>>` to `dst` if the output is ready, else registers the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` is dropped (slow path).
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancels the task if idle; consumes the owned-list reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// Offset of the trailer from the header.
    pub(crate) trailer_offset: usize,
}

/// The first field of every cell; what type-erased pointers point at.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Where the task was spawned (`#[track_caller]`), for telemetry.
    pub(crate) location: &'static Location<'static>,
    /// When a waker last scheduled the task from idle, for the one wake in 128 that is timed
    /// (ns on its runtime's telemetry clock, precise, odd; 0: none since its last poll
    /// started). Stored by that waker before the task is queued; read and cleared by the next
    /// poll (which holds RUNNING: no waker schedules the task meanwhile), to time the
    /// scheduling delay.
    pub(crate) woken_ns: std::sync::atomic::AtomicU64,
    /// The task's slot in the telemetry task table, plus one (0: none), with the high bit set
    /// while its spawn event is owed (spawned from a thread that is none of the workers; see
    /// `Telemetry::first_poll`). Set at spawn before the task is queued; read and cleared by
    /// whoever holds RUNNING.
    pub(crate) tel_slot: std::sync::atomic::AtomicU32,
    /// Whether the trailer holds a `tracing` span (in the padding after `tel_slot`; zero-sized
    /// without the `tracing` feature).
    pub(crate) span: SpanMark,
    /// Where the cell goes when freed (packed: it fills the header's last bytes).
    pub(crate) home: Home,
}

/// The cold end of the cell.
pub(crate) struct Trailer {
    /// Links in the scheduler's owned-task list (guarded by that list's shard lock).
    pub(crate) owned: Pointers,
    /// The `JoinHandle`'s waker; see the protocol in `state.rs`.
    pub(crate) waker: UnsafeCell<Option<Waker>>,
    /// The task's name, if it was given one.
    pub(crate) name: Option<Box<str>>,
    /// The span of a sampled task, until it completes (see `span.rs` for who may touch it).
    pub(crate) span: SpanSlot,
}

/// What the cell holds of the future: first the future, then its output, then nothing.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

pub(crate) struct Core<F: Future, S> {
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) core: Core<F, S>,
    pub(crate) trailer: Trailer,
}

impl<F: Future + Send + 'static, S: Schedule> Cell<F, S>
where
    F::Output: Send + 'static,
{
    const LAYOUT: Layout = Layout::new::<Self>();
    const CLASS: u8 = pool::class_of(Self::LAYOUT);
    const VTABLE: Vtable = Vtable {
        poll: harness::poll::<F, S>,
        schedule: harness::schedule::<F, S>,
        dealloc: harness::dealloc::<F, S>,
        try_read_output: harness::try_read_output::<F, S>,
        drop_join_handle: harness::drop_join_handle::<F, S>,
        shutdown: harness::shutdown::<F, S>,
        trailer_offset: std::mem::offset_of!(Cell<F, S>, trailer),
    };

    /// Allocates a new cell in the initial state (three references, notified, join-interested).
    pub(crate) fn allocate(
        future: F,
        scheduler: S,
        meta: SpawnMeta,
        span: NewSpan,
    ) -> NonNull<Header> {
        let (block, home) = pool::alloc_cell(Self::LAYOUT, Self::CLASS);
        let cell = block.cast::<Cell<F, S>>();
        let (mark, slot) = span.into_parts();
        let value = Cell {
            header: Header {
                state: State::new(),
                vtable: &Self::VTABLE,
                id: meta.id,
                home,
                location: meta.location,
                tel_slot: std::sync::atomic::AtomicU32::new(0),
                span: mark,
                woken_ns: std::sync::atomic::AtomicU64::new(0),
            },
            core: Core {
                scheduler,
                stage: UnsafeCell::new(Stage::Running(future)),
            },
            trailer: Trailer {
                owned: Pointers::new(),
                waker: UnsafeCell::new(None),
                name: meta.name,
                span: slot,
            },
        };
        // SAFETY: `block` is a fresh allocation of `LAYOUT` (or a larger, more aligned class block).
        unsafe { cell.as_ptr().write(value) };
        cell.cast()
    }

    /// Frees the memory of a cell whose contents were already dropped.
    ///
    /// # Safety
    /// `ptr` came from `allocate` with these types, its contents are dropped, and it is freed once.
    pub(crate) unsafe fn free(ptr: NonNull<Header>, home: Home) {
        // SAFETY: the caller's contract matches `dealloc_cell`'s.
        unsafe { pool::dealloc_cell(ptr.cast(), Self::LAYOUT, home) }
    }
}

impl Header {
    /// The trailer of the cell this header heads.
    ///
    /// # Safety
    /// `this` points to the header of a live cell.
    pub(crate) unsafe fn trailer<'a>(this: NonNull<Header>) -> &'a Trailer {
        // SAFETY: the vtable's offset is that of the trailer within this very cell type.
        unsafe {
            let off = this.as_ref().vtable.trailer_offset;
            &*this.as_ptr().cast::<u8>().add(off).cast::<Trailer>()
        }
    }
}

/// A type-erased, non-owning task pointer (reference counting is done by its owners).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a task is only reachable through this pointer by its reference holders, all of which
// follow the state protocol; the future and output are `Send`.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    pub(crate) fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` is only held while its holder owns a reference, so the cell is live.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn trailer(&self) -> &Trailer {
        // SAFETY: as in `header`.
        unsafe { Header::trailer(self.ptr) }
    }

    pub(crate) fn state(&self) -> &State {
        &self.header().state
    }

    /// # Safety
    /// The caller gives up one queue reference.
    pub(crate) unsafe fn poll(self) -> bool {
        // SAFETY: the vtable is the one of this cell's types; the caller passes its reference on.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// # Safety
    /// The caller gives up one reference, which the scheduler now owns as a queue entry.
    pub(crate) unsafe fn schedule(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    /// # Safety
    /// The reference count reached zero and nobody else can reach the cell.
    pub(crate) unsafe fn dealloc(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// # Safety
    /// `dst` points to a `Poll<Result<T, JoinError>>` where `T` is the task's output type, and the
    /// caller is the task's `JoinHandle`.
    pub(crate) unsafe fn try_read_output<T>(
        self,
        dst: *mut Poll<Result<T, JoinError>>,
        waker: &Waker,
    ) {
        // SAFETY: the caller's contract.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst.cast(), waker) }
    }

    /// # Safety
    /// Called once, by the `JoinHandle` being dropped; gives up its reference.
    pub(crate) unsafe fn drop_join_handle(self) {
        // SAFETY: the caller's contract.
        unsafe { (self.header().vtable.drop_join_handle)(self.ptr) }
    }

    /// # Safety
    /// Called once, with the owned-list reference, which it consumes.
    pub(crate) unsafe fn shutdown(self) {
        // SAFETY: the caller's contract.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// Drops one reference, freeing the cell if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.state().ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { self.dealloc() }
        }
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use super::Header;

    /// The span mark lives in the padding after `tel_slot`: the `tracing` feature does not grow
    /// the header, which stays at 56 bytes with the wake stamp (the home is packed behind).
    #[test]
    fn header_is_56_bytes_with_or_without_task_spans() {
        assert_eq!(std::mem::size_of::<Header>(), 56);
    }
}
