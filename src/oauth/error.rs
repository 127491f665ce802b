use std::fmt;

use chrono::{DateTime, Utc};
use oauth2::{ErrorResponse, RequestTokenError};

use super::http::HttpError;
use crate::model::{FailureKind, Secret, shown};

/// A failed OAuth operation, typed from what the provider said. The message
/// says what to do next and never holds a secret: provider bodies are never
/// quoted, only their OAuth error code and description.
#[derive(Debug, Clone, thiserror::Error)]
pub struct OAuthError {
    pub kind: FailureKind,
    /// The OAuth error code when the provider sent one (`invalid_grant`).
    pub code: Option<String>,
    pub message: String,
    /// When to try again (rate limits, server errors with Retry-After).
    pub retry_at: Option<DateTime<Utc>>,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl OAuthError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        OAuthError {
            kind,
            code: None,
            message: message.into(),
            retry_at: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        OAuthError::new(FailureKind::ConfigError, message)
    }

    /// Adds the operator's next step for kinds that need one.
    pub fn with_hint(mut self, relogin: &str) -> Self {
        let hint = match self.kind {
            FailureKind::CredentialExpired | FailureKind::CredentialRevoked => {
                format!("; log in again: `{relogin}`")
            }
            FailureKind::AccessDenied => format!("; try again: `{relogin}`"),
            FailureKind::RateLimited | FailureKind::Transient => match self.retry_at {
                Some(t) => format!("; retry after {}", t.format("%H:%M:%SZ")),
                None => "; retry later".to_string(),
            },
            _ => String::new(),
        };
        self.message.push_str(&hint);
        self
    }

    /// Classifies an RFC 6749 §5.2 / RFC 8628 §3.5 / RFC 6750 §3.1 error
    /// code (and the provider variants of them) into a failure kind.
    pub fn from_code(code: &str, description: Option<&str>) -> Self {
        let said_expired = description.is_some_and(|d| d.to_ascii_lowercase().contains("expired"));
        let (kind, what) = match code {
            "invalid_grant" | "bad_refresh_token" | "invalid_refresh_token" if said_expired => (
                FailureKind::CredentialExpired,
                "the refresh token has expired",
            ),
            "invalid_grant"
            | "bad_refresh_token"
            | "invalid_refresh_token"
            | "token_revoked"
            | "invalid_token"
            | "invalid_auth"
            | "not_authed"
            | "account_inactive" => (
                FailureKind::CredentialRevoked,
                "the grant is no longer valid (revoked, already used, or expired)",
            ),
            // RFC 8628 says expired_token; GitHub's prose says token_expired.
            "expired_token" | "token_expired" => (
                FailureKind::CredentialExpired,
                "the code or token has expired",
            ),
            "access_denied" => (FailureKind::AccessDenied, "the authorization was refused"),
            "insufficient_scope" => (
                FailureKind::ScopeInsufficient,
                "the token lacks a required scope",
            ),
            "slow_down" | "ratelimited" | "rate_limited" => (
                FailureKind::RateLimited,
                "the provider asks us to slow down",
            ),
            "temporarily_unavailable" | "server_error" => (
                FailureKind::Transient,
                "the provider is temporarily unavailable",
            ),
            "invalid_client" | "unauthorized_client" | "incorrect_client_credentials" => (
                FailureKind::ConfigError,
                "the provider does not accept this client (check client_id in providers.toml)",
            ),
            "invalid_scope" => (
                FailureKind::ConfigError,
                "the provider refused the requested scopes (check scopes in providers.toml)",
            ),
            "unsupported_grant_type" | "device_flow_disabled" => (
                FailureKind::ConfigError,
                "the provider does not allow this grant for this client",
            ),
            _ => (FailureKind::ConfigError, "the provider refused the request"),
        };
        // Both are the server's text: shown as data, never obeyed by the
        // terminal (an ESC sequence in error_description stays visible).
        let code = shown(&code.chars().take(64).collect::<String>());
        let mut message = format!("{what} ({code}");
        if let Some(d) = description.filter(|d| !d.is_empty()) {
            message.push_str(": ");
            message.push_str(&shown(&d.chars().take(200).collect::<String>()));
        }
        message.push(')');
        OAuthError {
            kind,
            code: Some(code),
            message,
            retry_at: None,
        }
    }

    /// Removes every echo of `sent` (a token we sent, which a server may
    /// quote back in its error text) from the message, before it is
    /// stored (audit, state/, logs/) or printed.
    pub fn redacting(mut self, sent: &Secret) -> Self {
        let secret = sent.expose();
        if secret.len() >= 4 {
            for form in [secret.to_string(), shown(secret)] {
                if self.message.contains(&form) {
                    self.message = self.message.replace(&form, "[redacted]");
                }
            }
            if let Some(code) = &self.code
                && code.contains(secret)
            {
                self.code = Some(code.replace(secret, "[redacted]"));
            }
        }
        self
    }

    /// Types an `oauth2` request error. `Parse` errors carry the body; it is
    /// dropped here, unread, because it may hold a token.
    pub fn from_request<T: ErrorResponse + 'static>(
        e: RequestTokenError<HttpError, T>,
        code_of: impl Fn(&T) -> (String, Option<String>),
    ) -> Self {
        match e {
            RequestTokenError::ServerResponse(body) => {
                let (code, description) = code_of(&body);
                OAuthError::from_code(&code, description.as_deref())
            }
            RequestTokenError::Request(http) => http.into(),
            RequestTokenError::Parse(_, _) => OAuthError::new(
                FailureKind::Transient,
                "the provider's answer could not be read as an OAuth response",
            ),
            RequestTokenError::Other(what) => OAuthError::config(what),
        }
    }
}

impl From<HttpError> for OAuthError {
    fn from(e: HttpError) -> Self {
        let kind = match e {
            HttpError::RateLimited { .. } => FailureKind::RateLimited,
            _ => FailureKind::Transient,
        };
        OAuthError {
            kind,
            code: None,
            retry_at: e.retry_at(),
            message: e.to_string(),
        }
    }
}
