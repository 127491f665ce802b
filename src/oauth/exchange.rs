//! RFC 8693 token exchange: trade the parent access token for a child
//! access token with fewer scopes and an audience, for one task.

use chrono::Utc;
use serde_json::Value;

use super::client::Tokens;
use super::endpoints::Endpoints;
use super::provider::ProviderConfig;
use super::{HttpClient, OAuthError};
use crate::model::{FailureKind, Secret};

pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3: the token type identifier of an OAuth access token.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// What to ask for. `scopes: None` leaves the scope to the server (RFC
/// 8693 §2.1: the subject's, at most).
pub struct ExchangeParams<'a> {
    pub subject: &'a Secret,
    pub scopes: Option<&'a [String]>,
    pub audience: Option<&'a str>,
}

/// RFC 8693 §2.1 request, sent by hand like RFC 7009 revocation: `oauth2`
/// has no token exchange. A refresh token in the answer is dropped: a child
/// token lives only as long as its task.
pub async fn exchange_token(
    endpoints: &Endpoints,
    cfg: &ProviderConfig,
    http: &HttpClient,
    p: &ExchangeParams<'_>,
) -> Result<Tokens, OAuthError> {
    let scope = p.scopes.map(|s| s.join(" "));
    let mut form = vec![
        ("grant_type", TOKEN_EXCHANGE_GRANT),
        ("subject_token", p.subject.expose()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("requested_token_type", ACCESS_TOKEN_TYPE),
    ];
    if let Some(s) = &scope {
        form.push(("scope", s));
    }
    if let Some(a) = p.audience {
        form.push(("audience", a));
    }
    let mut builder = http.reqwest().post(endpoints.token_url.clone());
    match (&cfg.client_id, &cfg.client_secret) {
        (Some(id), Some(secret)) => builder = builder.basic_auth(id, Some(secret.expose())),
        (Some(id), None) => form.push(("client_id", id)),
        _ => {}
    }
    let issued_at = Utc::now();
    let (status, body) = http
        .send(builder.header("Accept", "application/json").form(&form))
        .await?;
    match (status, body["access_token"].as_str()) {
        (200, Some(token)) if !token.is_empty() => Ok(tokens(token, &body, issued_at)),
        _ => Err(refusal(status, &body)),
    }
}

fn tokens(token: &str, body: &Value, issued_at: chrono::DateTime<Utc>) -> Tokens {
    Tokens {
        access_token: Secret::new(token),
        refresh_token: None,
        expires_in: body["expires_in"]
            .as_u64()
            .map(std::time::Duration::from_secs),
        // A child token has no refresh token, so no grant cap of its own.
        refresh_expires_in: None,
        scopes: body["scope"]
            .as_str()
            .map(|s| s.split_whitespace().map(str::to_string).collect()),
        token_type: body["token_type"].as_str().unwrap_or("Bearer").to_string(),
        issued_at,
    }
}

fn refusal(status: u16, body: &Value) -> OAuthError {
    match body["error"].as_str() {
        Some(code) => OAuthError::from_code(code, body["error_description"].as_str()),
        None if status >= 500 => OAuthError::new(
            FailureKind::Transient,
            format!("the token endpoint answered HTTP {status}"),
        ),
        None => OAuthError::config(format!(
            "the token endpoint answered HTTP {status} without an access token"
        )),
    }
}
