//! Per-task child tokens (`credtop exec`): the parent credential, refreshed
//! first when due, is exchanged (RFC 8693) for a down-scoped,
//! audience-bound access token that is revoked (RFC 7009) when the task
//! ends. The child is never stored and never carries a refresh token.

use super::{Lifecycle, LifecycleError, RefreshMode};
use crate::audit::{Event, Outcome};
use crate::model::{Credential, Fingerprint, Kind, Source};
use crate::oauth::{self, ExchangeParams, OAuthError, RemoteRevocation, RevokeScope};

/// What the task asks for.
#[derive(Clone, Debug, Default)]
pub struct ExchangeRequest {
    /// A subset of the parent's scopes; None: the parent's.
    pub scopes: Option<Vec<String>>,
    pub audience: Option<String>,
    pub task: Option<String>,
}

/// A child token and what it came from.
#[derive(Debug)]
pub struct ChildToken {
    /// Named after the parent; held in memory only.
    pub credential: Credential,
    pub parent_fingerprint: Fingerprint,
    pub audience: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error(
        "token_exchange_unsupported: {why}; if the server has RFC 8693 token exchange, set `token_exchange = true` in [providers.{provider}] of providers.toml, or hand the command the parent token itself with `credtop exec --parent` (audited)"
    )]
    Unsupported { provider: String, why: String },
    #[error(
        "scope_insufficient: {name} holds \"{held}\"; \"{extra}\" is not in it, and a child token can only narrow; log in with the wider scope first (`credtop login {provider}`)"
    )]
    ScopeWider {
        name: String,
        provider: String,
        held: String,
        extra: String,
    },
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}

impl ExchangeError {
    /// The typed kind, first word of the message.
    pub fn kind(&self) -> &'static str {
        match self {
            ExchangeError::Unsupported { .. } => "token_exchange_unsupported",
            ExchangeError::ScopeWider { .. } => "scope_insufficient",
            ExchangeError::Lifecycle(e) => e.kind().as_str(),
        }
    }
}

impl Lifecycle {
    /// Exchanges credential `name` for a child token, audited as
    /// `token_exchanged`. Every check (kind, scope subset, support) comes
    /// before any request, so a refused task costs nothing at the server.
    pub async fn exchange(
        &self,
        name: &str,
        req: &ExchangeRequest,
    ) -> Result<ChildToken, ExchangeError> {
        let stored = self.store().load(name).map_err(LifecycleError::from)?;
        check_exchangeable(&stored, req)?;
        let (cfg, endpoints, _) = self
            .provider(&stored.provider)
            .await
            .map_err(LifecycleError::from)?;
        if !cfg.token_exchange.unwrap_or(endpoints.token_exchange) {
            return Err(ExchangeError::Unsupported {
                provider: stored.provider.clone(),
                why: format!(
                    "provider {} does not list RFC 8693 token exchange in its metadata",
                    stored.provider
                ),
            });
        }
        // The subject must be alive when the server sees it.
        let parent = self.refresh(name, RefreshMode::IfNeeded).await?;
        let parent = parent.credential();
        let params = ExchangeParams {
            subject: &parent.secret,
            scopes: req.scopes.as_deref(),
            audience: req.audience.as_deref(),
        };
        let tokens = oauth::exchange_token(&endpoints, &cfg, self.http(), &params)
            .await
            .map_err(|e| self.refused(parent, req, e))?;
        let requested = req.scopes.clone().unwrap_or_else(|| parent.scopes.clone());
        let child = tokens.into_credential(name, &parent.provider, &requested, None, Source::Store);
        let mut record = self
            .record(Event::TokenExchanged, Outcome::Ok)
            .about(&child)
            .task(req.task.as_deref());
        record.audience = req.audience.clone();
        record.parent_fingerprint = Some(parent.secret.fingerprint());
        self.audit().record(record);
        Ok(ChildToken {
            credential: child,
            parent_fingerprint: parent.secret.fingerprint(),
            audience: req.audience.clone(),
        })
    }

    /// A refused exchange, audited; a server without the grant is
    /// `token_exchange_unsupported` even when providers.toml said otherwise.
    fn refused(&self, parent: &Credential, req: &ExchangeRequest, e: OAuthError) -> ExchangeError {
        if e.code.as_deref() == Some("unsupported_grant_type") {
            return ExchangeError::Unsupported {
                provider: parent.provider.clone(),
                why: format!("provider {} refused the grant ({e})", parent.provider),
            };
        }
        self.audit().record(
            self.record(Event::TokenExchanged, Outcome::Failed)
                .named(&parent.name)
                .provider(&parent.provider)
                .kind(e.kind)
                .task(req.task.as_deref())
                .detail(e.message.clone()),
        );
        LifecycleError::from(e).into()
    }

    /// Revokes a child token (RFC 7009, the access token alone: the
    /// parent's grant stays), audited as `child_token_revoked`.
    pub async fn revoke_child(&self, child: &ChildToken, task: Option<&str>) -> RemoteRevocation {
        let remote = self
            .revoke_remote(&child.credential, RevokeScope::OldToken)
            .await;
        let outcome = if remote.succeeded() {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        let mut record = self
            .record(Event::ChildTokenRevoked, outcome)
            .about(&child.credential)
            .task(task)
            .detail(remote.describe(&child.credential.provider));
        record.audience = child.audience.clone();
        record.parent_fingerprint = Some(child.parent_fingerprint.clone());
        if let RemoteRevocation::Failed(e) = &remote {
            record = record.kind(e.kind);
        }
        self.audit().record(record);
        remote
    }
}

/// Only OAuth credentials can be exchanged, and a child can only narrow.
fn check_exchangeable(parent: &Credential, req: &ExchangeRequest) -> Result<(), ExchangeError> {
    if parent.kind != Kind::OAuth {
        return Err(ExchangeError::Unsupported {
            provider: parent.provider.clone(),
            why: format!(
                "{} is a {}, not an OAuth credential, so it cannot be exchanged",
                parent.name,
                parent.kind.as_str()
            ),
        });
    }
    // Scopes the server never told us cannot be checked here; the server
    // still refuses a wider child (RFC 8693 §2.2.2 invalid_scope).
    if parent.scopes.is_empty() {
        return Ok(());
    }
    let extra: Vec<&str> = req
        .scopes
        .iter()
        .flatten()
        .filter(|s| !parent.scopes.contains(s))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        return Err(ExchangeError::ScopeWider {
            name: parent.name.clone(),
            provider: parent.provider.clone(),
            held: parent.scopes.join(" "),
            extra: extra.join(" "),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Secret;
    use chrono::Utc;

    fn parent(kind: Kind, scopes: &[&str]) -> Credential {
        let now = Utc::now();
        Credential {
            name: "acme".into(),
            kind,
            provider: "acme".into(),
            account: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            created_at: now,
            expires_at: None,
            secret: Secret::new("at"),
            refresh_token: None,
            refresh_expires_at: None,
            token_type: None,
            source: Source::Store,
        }
    }

    fn asking(scopes: &[&str]) -> ExchangeRequest {
        ExchangeRequest {
            scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn a_child_may_narrow_but_never_widen() {
        let p = parent(Kind::OAuth, &["openid", "profile"]);
        assert!(check_exchangeable(&p, &asking(&["profile"])).is_ok());
        assert!(check_exchangeable(&p, &ExchangeRequest::default()).is_ok());
        let e = check_exchangeable(&p, &asking(&["profile", "repo"])).unwrap_err();
        assert_eq!(e.kind(), "scope_insufficient");
        assert!(e.to_string().contains("\"repo\""), "{e}");
    }

    #[test]
    fn a_key_cannot_be_exchanged() {
        let e = check_exchangeable(&parent(Kind::ApiKey, &[]), &asking(&[])).unwrap_err();
        assert_eq!(e.kind(), "token_exchange_unsupported");
        assert!(e.to_string().contains("--parent"), "{e}");
    }
}
