//! Remote revocation: RFC 7009 (refresh token first, since on most servers
//! it takes the whole grant with it, then the access token), or the
//! provider's own API where it differs.

use super::endpoints::Endpoints;
use super::provider::{ProviderConfig, RevocationStyle};
use super::{HttpClient, OAuthError};
use crate::model::Credential;

/// How much to revoke. Logging out or revoking kills the whole grant; a
/// rotation kills only the old token, because on providers where revoking
/// the grant takes every token of the user and app (GitHub's
/// `DELETE /applications/{id}/grant`), the new one would die with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeScope {
    Grant,
    OldToken,
}

/// What happened at the provider.
#[derive(Debug)]
pub enum RemoteRevocation {
    /// The provider confirmed; the list says which tokens.
    Revoked(Vec<&'static str>),
    /// The provider has no API for it: the person must revoke at `page`.
    NotSupported {
        page: Option<String>,
        why: String,
    },
    Failed(OAuthError),
}

impl RemoteRevocation {
    /// One sentence for the operator.
    pub fn describe(&self, provider: &str) -> String {
        match self {
            RemoteRevocation::Revoked(what) => {
                format!("revoked at {provider} ({})", what.join(" and "))
            }
            RemoteRevocation::NotSupported { page: Some(p), why } => {
                format!("not revoked at {provider} ({why}); revoke it at {p}")
            }
            RemoteRevocation::NotSupported { page: None, why } => {
                format!("not revoked at {provider} ({why})")
            }
            RemoteRevocation::Failed(e) => format!("remote revocation at {provider} failed: {e}"),
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self, RemoteRevocation::Revoked(_))
    }
}

pub async fn revoke_remote(
    endpoints: &Endpoints,
    cfg: &ProviderConfig,
    http: &HttpClient,
    cred: &Credential,
    scope: RevokeScope,
) -> RemoteRevocation {
    match endpoints.revocation {
        RevocationStyle::Rfc7009 if endpoints.revocation_url.is_some() => {
            rfc7009(endpoints, cfg, http, cred).await
        }
        RevocationStyle::SlackAuthRevoke => slack(endpoints, http, cred).await,
        RevocationStyle::GitHubApplicationGrant => github(endpoints, cfg, http, cred, scope).await,
        _ => RemoteRevocation::NotSupported {
            page: endpoints.revoke_page.clone(),
            why: "the provider has no revocation API".into(),
        },
    }
}

/// RFC 7009 §2.1, sent by hand rather than through `oauth2`, which refuses
/// plain-http endpoints even on loopback (where credtop's own check allows
/// them). A public client identifies itself with client_id in the body.
async fn rfc7009(
    endpoints: &Endpoints,
    cfg: &ProviderConfig,
    http: &HttpClient,
    cred: &Credential,
) -> RemoteRevocation {
    let Some(url) = &endpoints.revocation_url else {
        return RemoteRevocation::NotSupported {
            page: endpoints.revoke_page.clone(),
            why: "no revocation endpoint".into(),
        };
    };
    let mut tokens = Vec::new();
    if let Some(rt) = &cred.refresh_token {
        tokens.push(("refresh token", "refresh_token", rt));
    }
    tokens.push(("access token", "access_token", &cred.secret));
    let mut done = Vec::new();
    for (what, hint, token) in tokens {
        let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
        let mut builder = http.reqwest().post(url.clone());
        match (&cfg.client_id, &cfg.client_secret) {
            (Some(id), Some(secret)) => builder = builder.basic_auth(id, Some(secret.expose())),
            (Some(id), None) => form.push(("client_id", id)),
            _ => {}
        }
        match http.send(builder.form(&form)).await {
            Ok((200, _)) => done.push(what),
            // RFC 7009 §2.2.1: a self-contained (JWT) access token cannot be
            // revoked; with its refresh token revoked the grant is gone and
            // the access token dies at its expiry.
            Ok((400, body)) if body["error"] == "unsupported_token_type" && !done.is_empty() => {}
            Ok((status, body)) => {
                let code = body["error"].as_str().map(str::to_string);
                return RemoteRevocation::Failed(match code {
                    Some(c) => OAuthError::from_code(&c, body["error_description"].as_str())
                        .redacting(token),
                    None => OAuthError::config(format!(
                        "the revocation endpoint answered HTTP {status}"
                    )),
                });
            }
            Err(e) => return RemoteRevocation::Failed(e.into()),
        }
    }
    RemoteRevocation::Revoked(done)
}

/// Slack's `auth.revoke` revokes the token it is called with and answers
/// 200 with `ok`.
async fn slack(endpoints: &Endpoints, http: &HttpClient, cred: &Credential) -> RemoteRevocation {
    let Some(url) = &endpoints.revocation_url else {
        return RemoteRevocation::NotSupported {
            page: endpoints.revoke_page.clone(),
            why: "no auth.revoke URL".into(),
        };
    };
    let builder = http
        .reqwest()
        .post(url.clone())
        .bearer_auth(cred.secret.expose());
    match http.send(builder).await {
        Ok((200, body)) if body["ok"] == true => RemoteRevocation::Revoked(vec!["access token"]),
        Ok((_, body)) => {
            let code = body["error"]
                .as_str()
                .unwrap_or("unknown_error")
                .to_string();
            RemoteRevocation::Failed(OAuthError::from_code(&code, None).redacting(&cred.secret))
        }
        Err(e) => RemoteRevocation::Failed(e.into()),
    }
}

/// GitHub deletes a grant (`DELETE /applications/{client_id}/grant`, every
/// token of the user for the app) or one token (`…/token`) only when the
/// app authenticates with its client secret; a public client cannot, so
/// the person is sent to the settings page.
async fn github(
    endpoints: &Endpoints,
    cfg: &ProviderConfig,
    http: &HttpClient,
    cred: &Credential,
    scope: RevokeScope,
) -> RemoteRevocation {
    let (Some(id), Some(secret)) = (&cfg.client_id, &cfg.client_secret) else {
        return RemoteRevocation::NotSupported {
            page: endpoints.revoke_page.clone(),
            why: "GitHub revokes only for apps that hold a client secret".into(),
        };
    };
    let (what, label) = match scope {
        RevokeScope::Grant => ("grant", "grant"),
        RevokeScope::OldToken => ("token", "old token"),
    };
    let url = format!("https://api.github.com/applications/{id}/{what}");
    let builder = http
        .reqwest()
        .delete(url)
        .basic_auth(id, Some(secret.expose()))
        .header("Accept", "application/vnd.github+json")
        .json(&serde_json::json!({ "access_token": cred.secret.expose() }));
    match http.send(builder).await {
        Ok((204, _)) => RemoteRevocation::Revoked(vec![label]),
        Ok((status, _)) => {
            RemoteRevocation::Failed(OAuthError::config(format!("GitHub answered HTTP {status}")))
        }
        Err(e) => RemoteRevocation::Failed(e.into()),
    }
}
