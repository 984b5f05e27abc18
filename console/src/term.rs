//! The terminal: raw mode and the alternate screen while the TUI runs, restored on every way
//! out. A drop guard restores it on return and on unwinding; a panic hook restores it before
//! the panic message prints (so the message is readable), then runs the previous hook.

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Whether the terminal is in the TUI's state (so restoring twice does nothing the second time).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped.
#[derive(Debug)]
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// The TUI's terminal on stdout.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Installs the panic hook, enters raw mode and the alternate screen, hides the cursor.
pub fn enter() -> io::Result<(Guard, Tui)> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard(());
    execute!(io::stdout(), EnterAlternateScreen, Hide)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((guard, terminal))
}

/// Leaves the alternate screen and raw mode and shows the cursor, if the TUI had set them up.
pub fn restore() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let screen = execute!(io::stdout(), LeaveAlternateScreen, Show);
    disable_raw_mode()?;
    screen
}

/// Makes every panic restore the terminal first (installed once).
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}
