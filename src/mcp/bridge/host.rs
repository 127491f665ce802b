//! The bridge's host: tokens for `credtop mcp connect` from the engine, from
//! the store and refreshed single-flight with every other bridge, daemon,
//! dashboard and `credtop token` caller (the credential's lock); step-up
//! logins; and the session's `mcp_session` audit records.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{AccessToken, BridgeFailure, BridgeHost, SessionPhase, SessionReport};
use crate::audit::{Event, Outcome};
use crate::engine::{
    Lifecycle, LifecycleError, McpLoginOptions, RefreshMode, RefreshOutcome, mcp_relogin,
};
use crate::model::{FailureKind, Secret, Zone};
use crate::oauth::dpop::{self, DpopKey};
use crate::oauth::{LoginPrompt, OAuthError};
use crate::store::{BridgeFailureNote, RemoteServer};

pub struct BridgeTokens {
    lc: Lifecycle,
    name: String,
    remote: RemoteServer,
    dpop: Option<Arc<DpopKey>>,
    /// Shows a step-up login's URL (on stderr: stdout is the MCP channel).
    prompt: Box<dyn Fn(LoginPrompt) + Send + Sync>,
}

impl BridgeTokens {
    pub fn new(
        lc: Lifecycle,
        name: &str,
        remote: RemoteServer,
        prompt: Box<dyn Fn(LoginPrompt) + Send + Sync>,
    ) -> Result<Self, LifecycleError> {
        let dpop = if remote.dpop {
            let key = dpop::load(lc.home(), name)?.ok_or_else(|| {
                OAuthError::config(format!(
                    "the DPoP key of {name} is missing; log in again: `{}`",
                    mcp_relogin(&remote.url, name, None)
                ))
            })?;
            Some(Arc::new(key))
        } else {
            None
        };
        Ok(BridgeTokens {
            lc,
            name: name.to_string(),
            remote,
            dpop,
            prompt,
        })
    }

    fn access(&self, secret: Secret, refreshed: bool) -> AccessToken {
        AccessToken {
            secret,
            refreshed,
            dpop: self.dpop.clone(),
        }
    }

    fn failure(&self, e: LifecycleError) -> BridgeFailure {
        let kind = e.kind();
        let failure = BridgeFailure::new(kind, e.to_string());
        match kind {
            FailureKind::CredentialExpired | FailureKind::CredentialRevoked => {
                failure.with_fix(mcp_relogin(&self.remote.url, &self.name, None))
            }
            _ => failure,
        }
    }

    fn token_of(&self, outcome: RefreshOutcome) -> AccessToken {
        let refreshed = matches!(outcome, RefreshOutcome::Refreshed(_));
        self.access(outcome.credential().secret.clone(), refreshed)
    }
}

impl BridgeHost for BridgeTokens {
    async fn token(&self) -> Result<AccessToken, BridgeFailure> {
        // The safe zone reads one file and takes no lock: the path of
        // nearly every request.
        let cred = self
            .lc
            .store()
            .load(&self.name)
            .map_err(|e| self.failure(e.into()))?;
        let refresh_at = self.lc.providers().refresh_at(&cred.provider);
        let zone = cred.zone(Utc::now(), refresh_at);
        if matches!(zone, Zone::Safe | Zone::None) {
            return Ok(self.access(cred.secret, false));
        }
        match self.lc.refresh(&self.name, RefreshMode::IfNeeded).await {
            Ok(outcome) => Ok(self.token_of(outcome)),
            // A passing failure in the danger zone: the token still works.
            Err(e) if zone == Zone::Danger && e.kind().is_retryable() => {
                Ok(self.access(cred.secret, false))
            }
            Err(e) => Err(self.failure(e)),
        }
    }

    async fn replace(&self, rejected: &Secret) -> Result<AccessToken, BridgeFailure> {
        self.lc
            .refresh_rejected(&self.name, &rejected.fingerprint())
            .await
            .map(|o| self.token_of(o))
            .map_err(|e| self.failure(e))
    }

    async fn step_up(&self, scope: &str) -> Result<(), BridgeFailure> {
        let opts = McpLoginOptions {
            url: self.remote.url.clone(),
            name: Some(self.name.clone()),
            scope: Some(scope.to_string()),
            timeout: Duration::from_secs(300),
        };
        self.lc
            .mcp_login(&opts, &*self.prompt)
            .await
            .map(|_| ())
            .map_err(|e| self.failure(e))
    }

    fn scope_fix(&self, scope: &str) -> String {
        // What is granted plus what the server asks: a wider grant, never
        // a narrower one.
        let mut scopes = self
            .lc
            .store()
            .load(&self.name)
            .map(|c| c.scopes)
            .unwrap_or_default();
        for s in scope.split_whitespace() {
            if !scopes.iter().any(|g| g == s) {
                scopes.push(s.to_string());
            }
        }
        scopes.retain(|s| s != "offline_access");
        let scope = (!scope.is_empty()).then(|| scopes.join(" "));
        mcp_relogin(&self.remote.url, &self.name, scope.as_deref())
    }

    fn note_failure(&self, failure: &BridgeFailure) {
        let note = BridgeFailureNote {
            ts: Utc::now(),
            kind: failure.kind.as_str().to_string(),
            message: failure.message.clone(),
        };
        crate::store::note_bridge_failure(self.lc.home(), &self.name, &note);
    }

    fn session(&self, phase: SessionPhase, report: &SessionReport) {
        let pid = std::process::id();
        match phase {
            SessionPhase::Started => {
                if let Err(e) = crate::store::bridge_started(self.lc.home(), &self.name, pid) {
                    tracing::warn!(error = %e, "bridge not marked as connected");
                }
            }
            SessionPhase::Ended => crate::store::bridge_ended(self.lc.home(), &self.name, pid),
        }
        let (outcome, detail) = match phase {
            SessionPhase::Started => (Outcome::Info, "bridge session started"),
            SessionPhase::Ended if report.failures == 0 => (Outcome::Ok, "bridge session ended"),
            SessionPhase::Ended => (Outcome::Failed, "bridge session ended with failures"),
        };
        let mut session = serde_json::to_value(report).expect("report serializes");
        session["phase"] = serde_json::json!(match phase {
            SessionPhase::Started => "start",
            SessionPhase::Ended => "end",
        });
        session["url"] = serde_json::json!(self.remote.url);
        self.lc.audit().record(
            crate::audit::AuditRecord::new(Event::McpSession, self.lc.actor(), outcome)
                .named(&self.name)
                .provider(&self.name)
                .detail(detail)
                .session(session),
        );
    }
}
