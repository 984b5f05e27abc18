//! Keys to actions: a pure function of the input mode and the key, so every binding is tested
//! without a terminal.
//!
//! | key | action |
//! |---|---|
//! | `1`-`6` | Overview, Tasks, Pools, I/O, Events, Lints |
//! | `Tab` / `Shift-Tab` | next / previous view |
//! | `q`, `Esc`, `Ctrl-C` | quit (`Esc` ends filter typing instead, when typing) |
//! | `p` | pause / resume the event log |
//! | `/` | type a filter (Tasks: name or location; Events: kind, `t:ID`, `w:N`); `Enter` keeps it, `Esc` clears it |
//! | `s` / `r` | sort the tasks by the next column / reverse the order |
//! | `↑` `↓` / `k` `j`, `PgUp` `PgDn`, `Home` `End` / `g` `G` | select a task, scroll the events |

use crate::state::{Mode, ViewId};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Show this view.
    Show(ViewId),
    /// The next view.
    NextView,
    /// The previous view.
    PrevView,
    /// Pause or resume the event log.
    TogglePause,
    /// Start typing a filter.
    StartFilter,
    /// A character of the filter.
    FilterChar(char),
    /// Delete the filter's last character.
    FilterBackspace,
    /// Stop typing, keep the filter.
    FilterDone,
    /// Stop typing, clear the filter.
    FilterCancel,
    /// Sort the tasks by the next column.
    NextSort,
    /// Reverse the task order.
    ReverseSort,
    /// Move the selection by this many rows (negative: up).
    Move(isize),
    /// Select the first row.
    Top,
    /// Select the last row.
    Bottom,
    /// Nothing.
    None,
}

/// Rows a page key moves.
pub const PAGE: isize = 20;

/// The action of `key` in `mode`. Key releases (reported by some terminals) do nothing.
pub fn action(mode: Mode, key: KeyEvent) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Action::Quit;
    }
    match mode {
        Mode::Normal => normal(key.code),
        Mode::Filter => filter(key.code),
    }
}

fn normal(code: KeyCode) -> Action {
    match code {
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char(c @ '1'..='6') => Action::Show(ViewId::ALL[c as usize - '1' as usize]),
        KeyCode::Tab => Action::NextView,
        KeyCode::BackTab => Action::PrevView,
        KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Char('s') => Action::NextSort,
        KeyCode::Char('r') => Action::ReverseSort,
        _ => movement(code),
    }
}

fn movement(code: KeyCode) -> Action {
    match code {
        KeyCode::Up | KeyCode::Char('k') => Action::Move(-1),
        KeyCode::Down | KeyCode::Char('j') => Action::Move(1),
        KeyCode::PageUp => Action::Move(-PAGE),
        KeyCode::PageDown => Action::Move(PAGE),
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        _ => Action::None,
    }
}

fn filter(code: KeyCode) -> Action {
    match code {
        KeyCode::Esc => Action::FilterCancel,
        KeyCode::Enter => Action::FilterDone,
        KeyCode::Backspace => Action::FilterBackspace,
        KeyCode::Char(c) => Action::FilterChar(c),
        KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown => movement(code),
        _ => Action::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn normal_key(code: KeyCode) -> Action {
        action(Mode::Normal, key(code))
    }

    #[test]
    fn quit_keys() {
        assert_eq!(normal_key(KeyCode::Char('q')), Action::Quit);
        assert_eq!(normal_key(KeyCode::Esc), Action::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(Mode::Normal, ctrl_c), Action::Quit);
        assert_eq!(action(Mode::Filter, ctrl_c), Action::Quit);
    }

    #[test]
    fn view_keys() {
        assert_eq!(
            normal_key(KeyCode::Char('1')),
            Action::Show(ViewId::Overview)
        );
        assert_eq!(normal_key(KeyCode::Char('2')), Action::Show(ViewId::Tasks));
        assert_eq!(normal_key(KeyCode::Char('6')), Action::Show(ViewId::Lints));
        assert_eq!(normal_key(KeyCode::Char('7')), Action::None);
        assert_eq!(normal_key(KeyCode::Tab), Action::NextView);
        assert_eq!(normal_key(KeyCode::BackTab), Action::PrevView);
    }

    #[test]
    fn command_and_movement_keys() {
        assert_eq!(normal_key(KeyCode::Char('p')), Action::TogglePause);
        assert_eq!(normal_key(KeyCode::Char('/')), Action::StartFilter);
        assert_eq!(normal_key(KeyCode::Char('s')), Action::NextSort);
        assert_eq!(normal_key(KeyCode::Char('r')), Action::ReverseSort);
        assert_eq!(normal_key(KeyCode::Char('j')), Action::Move(1));
        assert_eq!(normal_key(KeyCode::Up), Action::Move(-1));
        assert_eq!(normal_key(KeyCode::PageDown), Action::Move(PAGE));
        assert_eq!(normal_key(KeyCode::Char('g')), Action::Top);
        assert_eq!(normal_key(KeyCode::End), Action::Bottom);
        assert_eq!(normal_key(KeyCode::Char('x')), Action::None);
    }

    #[test]
    fn filter_mode_types_text() {
        let f = |code| action(Mode::Filter, key(code));
        assert_eq!(f(KeyCode::Char('q')), Action::FilterChar('q'));
        assert_eq!(f(KeyCode::Char('1')), Action::FilterChar('1'));
        assert_eq!(f(KeyCode::Backspace), Action::FilterBackspace);
        assert_eq!(f(KeyCode::Enter), Action::FilterDone);
        assert_eq!(f(KeyCode::Esc), Action::FilterCancel);
        assert_eq!(f(KeyCode::Down), Action::Move(1));
        assert_eq!(f(KeyCode::Tab), Action::None);
    }

    #[test]
    fn releases_are_ignored() {
        let release = KeyEvent {
            code: KeyCode::Char('q'),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
        };
        assert_eq!(action(Mode::Normal, release), Action::None);
    }
}
