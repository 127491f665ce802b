//! Remote revocation: RFC 7009 (refresh token first, since on most servers
//! it takes the whole grant with it, then the access token), or the
//! provider's own API where it differs.

use oauth2::{AccessToken, RefreshToken, StandardRevocableToken};

use super::client::{OAuthClient, error_fields};
use super::endpoints::Endpoints;
use super::provider::{ProviderConfig, RevocationStyle};
use super::{HttpClient, OAuthError};
use crate::model::Credential;

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
    client: &OAuthClient,
    endpoints: &Endpoints,
    cfg: &ProviderConfig,
    http: &HttpClient,
    cred: &Credential,
) -> RemoteRevocation {
    match endpoints.revocation {
        RevocationStyle::Rfc7009 if endpoints.revocation_url.is_some() => {
            rfc7009(client, http, cred).await
        }
        RevocationStyle::SlackAuthRevoke => slack(endpoints, http, cred).await,
        RevocationStyle::GitHubApplicationGrant => github(endpoints, cfg, http, cred).await,
        _ => RemoteRevocation::NotSupported {
            page: endpoints.revoke_page.clone(),
            why: "the provider has no revocation API".into(),
        },
    }
}

async fn rfc7009(client: &OAuthClient, http: &HttpClient, cred: &Credential) -> RemoteRevocation {
    let mut done = Vec::new();
    let mut tokens = Vec::new();
    if let Some(rt) = &cred.refresh_token {
        tokens.push((
            "refresh token",
            StandardRevocableToken::RefreshToken(RefreshToken::new(rt.expose().to_string())),
        ));
    }
    tokens.push((
        "access token",
        StandardRevocableToken::AccessToken(AccessToken::new(cred.secret.expose().to_string())),
    ));
    for (what, token) in tokens {
        let request = match client.revoke_token(token) {
            Ok(r) => r,
            Err(e) => return RemoteRevocation::Failed(OAuthError::config(e.to_string())),
        };
        match request.request_async(http).await {
            Ok(()) => done.push(what),
            Err(e) => return RemoteRevocation::Failed(OAuthError::from_request(e, error_fields)),
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
            RemoteRevocation::Failed(OAuthError::from_code(&code, None))
        }
        Err(e) => RemoteRevocation::Failed(e.into()),
    }
}

/// GitHub deletes a grant only when the app authenticates with its client
/// secret (`DELETE /applications/{client_id}/grant`); a public client
/// cannot, so the person is sent to the settings page.
async fn github(
    endpoints: &Endpoints,
    cfg: &ProviderConfig,
    http: &HttpClient,
    cred: &Credential,
) -> RemoteRevocation {
    let (Some(id), Some(secret)) = (&cfg.client_id, &cfg.client_secret) else {
        return RemoteRevocation::NotSupported {
            page: endpoints.revoke_page.clone(),
            why: "GitHub revokes only for apps that hold a client secret".into(),
        };
    };
    let url = format!("https://api.github.com/applications/{id}/grant");
    let builder = http
        .reqwest()
        .delete(url)
        .basic_auth(id, Some(secret.expose()))
        .header("Accept", "application/vnd.github+json")
        .json(&serde_json::json!({ "access_token": cred.secret.expose() }));
    match http.send(builder).await {
        Ok((204, _)) => RemoteRevocation::Revoked(vec!["grant"]),
        Ok((status, _)) => {
            RemoteRevocation::Failed(OAuthError::config(format!("GitHub answered HTTP {status}")))
        }
        Err(e) => RemoteRevocation::Failed(e.into()),
    }
}
