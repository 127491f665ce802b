//! The tables of keys, one per view: the key map dispatches on them, the
//! help overlay lists the table's, the hint line picks from them, and a
//! test holds the README's table of keys to the table's.

use crossterm::event::KeyCode;

/// What a key does on the table of credentials (or in the timeline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Down,
    Up,
    First,
    Last,
    PageDown,
    PageUp,
    Detail,
    Filter,
    Sort,
    Refresh,
    Login,
    LoginDevice,
    Rotate,
    Revoke,
    Logout,
    Audit,
    Timeline,
    Help,
    Quit,
    /// The timeline's own: the previous / next mark on the lane,
    Earlier,
    Later,
    /// the window (15 m, 1 h, 24 h),
    Window,
    /// the audit trail read afresh, and back to the table.
    Reload,
    Back,
}

/// One line of the help: its keys, how help and hint line show them.
pub struct Binding {
    pub keys: &'static [(KeyCode, Action)],
    /// The keys as the help shows them.
    pub shown: &'static str,
    pub help: &'static str,
    /// The hint line's key and word; `narrow` ones stay below 100 columns.
    pub hint: Option<Hint>,
}

pub struct Hint {
    pub key: &'static str,
    pub word: &'static str,
    pub narrow: bool,
}

const fn hint(key: &'static str, word: &'static str, narrow: bool) -> Option<Hint> {
    Some(Hint { key, word, narrow })
}

use Action::*;
use KeyCode::Char;

pub const TABLE: &[Binding] = &[
    Binding {
        keys: &[
            (Char('j'), Down),
            (Char('k'), Up),
            (KeyCode::Down, Down),
            (KeyCode::Up, Up),
            (KeyCode::PageDown, PageDown),
            (KeyCode::PageUp, PageUp),
        ],
        shown: "j k ↓ ↑",
        help: "move (PgDn PgUp by ten)",
        hint: hint("j/k", "move", false),
    },
    Binding {
        keys: &[
            (Char('g'), First),
            (Char('G'), Last),
            (KeyCode::Home, First),
            (KeyCode::End, Last),
        ],
        shown: "g G",
        help: "first / last",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Enter, Detail)],
        shown: "Enter",
        help: "show or hide the detail pane",
        hint: hint("⏎", "detail", true),
    },
    Binding {
        keys: &[(Char('/'), Filter)],
        shown: "/",
        help: "filter by name, provider or status (Esc clears)",
        hint: hint("/", "filter", true),
    },
    Binding {
        keys: &[(Char('s'), Sort)],
        shown: "s",
        help: "sort: expiry, name, status, last refresh",
        hint: None,
    },
    Binding {
        keys: &[(Char('r'), Refresh)],
        shown: "r",
        help: "refresh the selected credential now",
        hint: hint("r", "refresh", true),
    },
    Binding {
        keys: &[(Char('l'), Login), (Char('L'), LoginDevice)],
        shown: "l L",
        help: "log in: browser / device code (selected provider)",
        hint: hint("l", "login", true),
    },
    Binding {
        keys: &[(Char('R'), Rotate)],
        shown: "R",
        help: "rotate: new grant or new key, old one retired",
        hint: hint("R", "rotate", false),
    },
    Binding {
        keys: &[(Char('x'), Revoke)],
        shown: "x",
        help: "revoke at the provider and delete (asks first)",
        hint: hint("x", "revoke", true),
    },
    Binding {
        keys: &[(Char('d'), Logout)],
        shown: "d",
        help: "log out of the selected provider (asks first)",
        hint: hint("d", "logout", false),
    },
    Binding {
        keys: &[(Char('a'), Audit)],
        shown: "a",
        help: "audit trail (/ filters by credential or event)",
        hint: hint("a", "audit", true),
    },
    Binding {
        keys: &[(Char('?'), Help)],
        shown: "?",
        help: "this help",
        hint: hint("?", "help", true),
    },
    Binding {
        keys: &[(Char('q'), Quit)],
        shown: "q Ctrl-C",
        help: "quit (the engine stops with the dashboard)",
        hint: hint("q", "quit", true),
    },
    // Last: below 160 columns its hint gives way to help and quit.
    Binding {
        keys: &[(Char('t'), Timeline)],
        shown: "t",
        help: "timeline: events over 15 m / 1 h / 24 h (w cycles)",
        hint: hint("t", "timeline", false),
    },
];

/// The timeline's keys (`t` from the table). j/k move across lanes, as
/// they move across rows on the table.
pub const TIMELINE: &[Binding] = &[
    Binding {
        keys: &[
            (Char('h'), Earlier),
            (Char('l'), Later),
            (KeyCode::Left, Earlier),
            (KeyCode::Right, Later),
        ],
        shown: "h l ← →",
        help: "the previous / next event on the lane",
        hint: hint("h/l", "time", true),
    },
    Binding {
        keys: &[
            (Char('j'), Down),
            (Char('k'), Up),
            (KeyCode::Down, Down),
            (KeyCode::Up, Up),
        ],
        shown: "j k ↓ ↑",
        help: "the lane below / above, at the event nearest in time",
        hint: hint("j/k", "lane", true),
    },
    Binding {
        keys: &[(Char('w'), Window)],
        shown: "w",
        help: "window: 15 m, 1 h, 24 h",
        hint: hint("w", "window", true),
    },
    Binding {
        keys: &[(KeyCode::Enter, Detail)],
        shown: "Enter",
        help: "the event's credential in the detail pane",
        hint: hint("⏎", "detail", true),
    },
    Binding {
        keys: &[(Char('r'), Reload)],
        shown: "r",
        help: "read the audit trail again",
        hint: hint("r", "reload", true),
    },
    Binding {
        keys: &[(Char('t'), Back), (KeyCode::Esc, Back)],
        shown: "t Esc",
        help: "back to the table",
        hint: hint("t", "back", true),
    },
    Binding {
        keys: &[(Char('?'), Help)],
        shown: "?",
        help: "help",
        hint: hint("?", "help", true),
    },
    Binding {
        keys: &[(Char('q'), Quit)],
        shown: "q Ctrl-C",
        help: "quit",
        hint: hint("q", "quit", true),
    },
];

/// The action of `code` on the table, if it has one.
pub fn action(code: KeyCode) -> Option<Action> {
    action_in(TABLE, code)
}

/// The action of `code` in the view whose keys are `table`.
pub fn action_in(table: &[Binding], code: KeyCode) -> Option<Action> {
    table
        .iter()
        .flat_map(|b| b.keys)
        .find(|(k, _)| *k == code)
        .map(|(_, a)| *a)
}

/// The hint line's keys for the table at `width` columns.
pub fn hints(width: u16) -> impl Iterator<Item = &'static Hint> {
    hints_in(TABLE, width)
}

/// The hint line's keys of the view whose keys are `table`.
pub fn hints_in(table: &'static [Binding], width: u16) -> impl Iterator<Item = &'static Hint> {
    table
        .iter()
        .filter_map(|b| b.hint.as_ref())
        // Below 100 columns only the essential ones, and moving goes
        // without saying.
        .filter(move |h| width >= 100 || h.narrow)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// How the README writes a key.
    fn readme_name(code: KeyCode) -> String {
        match code {
            Char(c) => c.to_string(),
            KeyCode::Down => "↓".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            other => format!("{other:?}"),
        }
    }

    /// The backticked keys of the README's table of dashboard keys.
    fn readme_keys() -> BTreeSet<String> {
        let readme = include_str!("../../README.md");
        let table: Vec<&str> = readme
            .lines()
            .skip_while(|l| !l.starts_with("| key | what |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert!(!table.is_empty(), "the README has no table of keys");
        table
            .iter()
            .filter_map(|l| l.split('|').nth(1))
            .flat_map(|keys| keys.split('`').skip(1).step_by(2))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_readme_lists_exactly_the_keys_of_the_table() {
        let ours: BTreeSet<String> = TABLE
            .iter()
            .flat_map(|b| b.keys)
            .map(|(k, _)| readme_name(*k))
            .collect();
        assert_eq!(readme_keys(), ours);
    }

    #[test]
    fn every_key_does_one_thing() {
        for table in [TABLE, TIMELINE] {
            let mut seen = BTreeSet::new();
            for (key, _) in table.iter().flat_map(|b| b.keys) {
                assert!(seen.insert(readme_name(*key)), "{key:?} bound twice");
            }
        }
        assert_eq!(action(Char('x')), Some(Revoke));
        assert_eq!(action(Char('z')), None);
        assert_eq!(action(Char('w')), None);
        assert_eq!(action_in(TIMELINE, Char('w')), Some(Window));
        assert_eq!(action_in(TIMELINE, KeyCode::Esc), Some(Back));
    }
}
