//! The dashboard's one message type and the work it asks for.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;

use super::app::Entry;
use crate::audit::AuditRead;
use crate::engine::EngineEvent;
use crate::model::Secret;

/// Everything that can change what the screen shows.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// A click or a wheel turn.
    Mouse(MouseEvent),
    /// The terminal's area, at start and whenever it changes: what a
    /// click's cell and the table's scrolling are reckoned against.
    Resize(Rect),
    /// The one-second tick, carrying the clock the screen is drawn at.
    Tick(DateTime<Utc>),
    Engine(EngineEvent),
    /// The engine's event stream overflowed: re-read everything.
    EngineLagged,
    /// Everything was read again: every row replaced.
    Loaded {
        entries: Vec<Entry>,
        problems: Vec<String>,
        /// MCP servers by credential name, from [`super::Hooks`].
        dependents: HashMap<String, Vec<String>>,
    },
    /// One of credtop's credentials was read again; None: it is gone.
    Reread {
        name: String,
        entry: Option<Box<Entry>>,
        /// Why it could not be read, if it could not.
        problem: Option<String>,
    },
    /// Other tools' credentials (and the MCP servers) were read again.
    Discovered {
        entries: Vec<Entry>,
        problems: Vec<String>,
        dependents: HashMap<String, Vec<String>>,
    },
    /// The audit trail's end, read afresh: every audit record replaced.
    AuditLoaded(AuditRead),
    /// Records appended to the trail since the last read, oldest first.
    AuditAppended(AuditRead),
    /// The audit trail's chain: why it is broken, or `None` when intact.
    AuditChain(Option<String>),
    /// The provider tables of providers.toml, read with the store.
    Providers(Vec<String>),
    /// A login reached the point where the person must open a URL.
    LoginPrompt {
        provider: String,
        url: String,
        user_code: Option<String>,
    },
    /// A background action finished; `name` is the row it reports on.
    ActionDone {
        name: String,
        ok: bool,
        text: String,
    },
    /// Something to say on the status line that is about no one credential.
    Notice {
        ok: bool,
        text: String,
    },
    /// SIGTERM, SIGHUP or SIGINT: leave, restoring the terminal.
    Quit,
}

impl Msg {
    /// Whether the screen is drawn as soon as this message is applied.
    /// What the person does (a key, a click, an action's outcome, a view
    /// they opened) shows at once; what the engine and the background
    /// reads report is drawn with the next one-second tick. Under churn
    /// (200 credentials entering their danger zone with no provider,
    /// benches/dashboard_idle.sh) the engine sends several events a
    /// second, each followed by a re-read: drawing each would cost a
    /// frame apiece, where the tick draws them all in one.
    pub fn draws_at_once(&self) -> bool {
        match self {
            Msg::Engine(_)
            | Msg::EngineLagged
            | Msg::Reread { .. }
            | Msg::Discovered { .. }
            | Msg::AuditChain(_)
            | Msg::Providers(_) => false,
            Msg::Key(_)
            | Msg::Mouse(_)
            | Msg::Resize(_)
            | Msg::Tick(_)
            | Msg::Loaded { .. }
            | Msg::AuditLoaded(_)
            | Msg::AuditAppended(_)
            | Msg::LoginPrompt { .. }
            | Msg::ActionDone { .. }
            | Msg::Notice { .. }
            | Msg::Quit => true,
        }
    }
}

/// Work [`super::update`] asks the runtime to do in the background. The
/// result comes back as a [`Msg`].
#[derive(Debug)]
pub enum Task {
    /// Re-read everything: the store, lane states, refresh history, and
    /// other tools' credentials.
    Reload,
    /// Re-read one of credtop's credentials (its file, lane state and
    /// history), whoever changed it.
    ReloadOne {
        name: String,
    },
    LoadAudit,
    /// Read what was appended to the trail since the last read.
    FollowAudit,
    Refresh {
        name: String,
    },
    Revoke {
        name: String,
    },
    /// Log out of a provider: revoke and delete each of `names`.
    Logout {
        provider: String,
        names: Vec<String>,
    },
    Login {
        provider: String,
        name: Option<String>,
        /// The device authorization grant (RFC 8628) instead of PKCE.
        device: bool,
    },
    RotateOAuth {
        name: String,
        provider: String,
    },
    RotateKey {
        name: String,
        secret: Secret,
    },
}
