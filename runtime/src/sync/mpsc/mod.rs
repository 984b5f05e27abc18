//! Multi-producer, single-consumer channels: [`channel`] (bounded, senders wait for room) and
//! [`unbounded_channel`] (sends never wait).
//!
//! `recv` returns `None` once every sender is gone and the buffer is drained. After the receiver's
//! `close`, sends fail but buffered messages are still received. Buffered messages are dropped
//! with the receiver.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender};

#[cfg(all(test, not(loom)))]
mod tests;
