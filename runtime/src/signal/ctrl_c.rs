//! [`ctrl_c`]: waiting for the terminal's interrupt.

use super::unix::{signal, SignalKind};
use std::io;

/// Completes at the next `SIGINT` (Ctrl-C in a terminal) delivered after its first poll.
///
/// The first poll installs the process-wide handler, so from then on `SIGINT` no longer
/// terminates the process; it stays installed for the life of the process.
///
/// # Errors
/// If the handler cannot be set up.
///
/// ```no_run
/// #[zokio::main]
/// async fn main() {
///     zokio::signal::ctrl_c().await.expect("listening for Ctrl-C");
///     println!("shutting down");
/// }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    interrupt.recv().await;
    Ok(())
}
