use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Kind, Zone};

/// What is wrong, classified from what the provider actually said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The refresh token (or the credential itself) has expired.
    CredentialExpired,
    /// `invalid_grant`, a 401 with `invalid_token`, an explicit revocation.
    CredentialRevoked,
    /// 403 / `insufficient_scope`.
    ScopeInsufficient,
    /// 429, or a provider's own rate-limit answer.
    RateLimited,
    /// 5xx, a timeout, a network failure, an unreadable answer.
    Transient,
    /// The person at the browser (or a policy) refused the authorization.
    AccessDenied,
    /// Our side is wrong: `invalid_client`, an unknown provider, a bad
    /// providers.toml.
    ConfigError,
    /// A fleet's etcd cluster did not answer (no member reachable within
    /// the call's budget). Nothing falls back to local files.
    StoreUnavailable,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::CredentialExpired => "credential_expired",
            FailureKind::CredentialRevoked => "credential_revoked",
            FailureKind::ScopeInsufficient => "scope_insufficient",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::Transient => "transient",
            FailureKind::AccessDenied => "access_denied",
            FailureKind::ConfigError => "config_error",
            FailureKind::StoreUnavailable => "store_unavailable",
        }
    }

    /// Whether trying the same thing again later can succeed without the
    /// operator doing anything.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FailureKind::RateLimited | FailureKind::Transient | FailureKind::StoreUnavailable
        )
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The typed status of a credential. Never a bare "error".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Healthy,
    Danger,
    Refreshing,
    Expired,
    Revoked,
    ScopeInsufficient,
    RateLimited { retry_at: Option<DateTime<Utc>> },
    TransientError { next_retry: Option<DateTime<Utc>> },
    NeedsLogin,
    UnknownExpiry,
}

impl Status {
    /// The status that timing alone implies, before any failure is known.
    pub fn from_zone(zone: Zone, kind: Kind, refreshable: bool) -> Status {
        match zone {
            Zone::Safe => Status::Healthy,
            Zone::Danger => Status::Danger,
            Zone::Expired if refreshable => Status::Expired,
            Zone::Expired => Status::NeedsLogin,
            Zone::None if kind.expires_by_nature() => Status::UnknownExpiry,
            Zone::None => Status::Healthy,
        }
    }

    /// The status a failed refresh leaves behind.
    pub fn from_failure(kind: FailureKind, retry_at: Option<DateTime<Utc>>) -> Status {
        match kind {
            FailureKind::CredentialExpired
            | FailureKind::ConfigError
            | FailureKind::AccessDenied => Status::NeedsLogin,
            FailureKind::CredentialRevoked => Status::Revoked,
            FailureKind::ScopeInsufficient => Status::ScopeInsufficient,
            FailureKind::RateLimited => Status::RateLimited { retry_at },
            FailureKind::Transient | FailureKind::StoreUnavailable => Status::TransientError {
                next_retry: retry_at,
            },
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Danger => "danger",
            Status::Refreshing => "refreshing",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::ScopeInsufficient => "scope_insufficient",
            Status::RateLimited { .. } => "rate_limited",
            Status::TransientError { .. } => "transient_error",
            Status::NeedsLogin => "needs_login",
            Status::UnknownExpiry => "unknown_expiry",
        }
    }

    /// When the engine will try again, for the statuses that have one.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Status::RateLimited { retry_at } => *retry_at,
            Status::TransientError { next_retry } => *next_retry,
            _ => None,
        }
    }

    /// Dead until the operator acts: `credtop check` exits 2 for these.
    pub fn is_dead(&self) -> bool {
        matches!(
            self,
            Status::Expired | Status::Revoked | Status::NeedsLogin | Status::ScopeInsufficient
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
