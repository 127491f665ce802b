//! The OAuth protocol: providers, discovery, login (PKCE loopback and
//! device), refresh, revoke, and the typing of every failure. No store, no
//! audit: `engine` ties those in.

mod browser;
pub mod challenge;
pub mod client;
mod device;
pub mod dpop;
pub mod endpoints;
mod error;
mod exchange;
pub mod http;
mod login;
pub mod provider;
pub mod registration;
pub mod resource;
mod revoke;

pub use browser::open as open_browser;
pub use client::{GrantResponse, OAuthClient, Tokens, build as build_client, refresh_grant};
pub use device::login_device;
pub use endpoints::{Endpoints, resolve as resolve_endpoints};
pub use error::OAuthError;
pub use exchange::{ExchangeParams, TOKEN_EXCHANGE_GRANT, exchange_token};
pub use http::HttpClient;
pub use login::{DEFAULT_LOGIN_TIMEOUT, login_loopback};
pub use provider::{ProviderConfig, Providers, RevocationStyle};
pub use revoke::{RemoteRevocation, RevokeScope, revoke_remote};

/// What the person must see to log in: the URL (always shown, because over
/// SSH no browser opens) and, for the device flow, the code to type.
#[derive(Clone, Debug)]
pub struct LoginPrompt {
    pub url: String,
    pub user_code: Option<String>,
}
