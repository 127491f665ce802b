//! The dialogs and the help: boxes drawn over the screen that take the
//! keys until they close.

use tui_input::Input;

/// A box drawn over the screen that takes the keys until it closes.
#[derive(Clone)]
pub enum Overlay {
    Help,
    ConfirmRevoke {
        name: String,
    },
    ConfirmLogout {
        provider: String,
        names: Vec<String>,
    },
    /// `l` with no OAuth credential selected: which provider?
    AskProvider {
        input: Input,
        device: bool,
        /// The configured provider picked with j/k (while nothing is typed).
        pick: usize,
    },
    /// The login URL (and device code): over SSH no browser opens, so the
    /// person copies it from here.
    LoginUrl {
        provider: String,
        url: String,
        user_code: Option<String>,
    },
    /// A new API key or PAT, typed with the characters hidden.
    RotateKey {
        name: String,
        input: Input,
    },
}

/// By hand, because `Input`'s own `Debug` prints what was typed, and in
/// `RotateKey` that is a new API key.
impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Overlay::Help => f.write_str("Help"),
            Overlay::ConfirmRevoke { name } => {
                f.debug_struct("ConfirmRevoke").field("name", name).finish()
            }
            Overlay::ConfirmLogout { provider, names } => f
                .debug_struct("ConfirmLogout")
                .field("provider", provider)
                .field("names", names)
                .finish(),
            Overlay::AskProvider { input, device, .. } => f
                .debug_struct("AskProvider")
                .field("input", &input.value())
                .field("device", device)
                .finish(),
            Overlay::LoginUrl {
                provider,
                url,
                user_code,
            } => f
                .debug_struct("LoginUrl")
                .field("provider", provider)
                .field("url", url)
                .field("user_code", user_code)
                .finish(),
            Overlay::RotateKey { name, input } => f
                .debug_struct("RotateKey")
                .field("name", name)
                .field(
                    "input",
                    &format_args!("<{} characters, hidden>", input.value().chars().count()),
                )
                .finish(),
        }
    }
}
