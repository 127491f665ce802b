//! The `oauth2` client for one provider, and what a token response becomes.

use chrono::{DateTime, Timelike, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointMaybeSet,
    EndpointSet, ExtraTokenFields, IntrospectionUrl, RefreshToken, RevocationUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::endpoints::Endpoints;
use super::provider::ProviderConfig;
use super::{HttpClient, OAuthError};
use crate::model::{Credential, Kind, Secret, Source};

/// What a token response says beyond RFC 6749 §5.1.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct GrantFields {
    /// Seconds the refresh token lives: GitHub Apps send it with every
    /// token response ("always 15811200", six months; docs.github.com,
    /// "Refreshing user access tokens"). `http.rs` has turned a string
    /// into a number, or dropped what is neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}

impl ExtraTokenFields for GrantFields {}

/// A token endpoint's answer with [`GrantFields`].
pub type GrantResponse = StandardTokenResponse<GrantFields, BasicTokenType>;

pub type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    GrantResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// Builds the client. A public client (no secret) authenticates with its
/// client_id in the request body, as RFC 6749 §2.3.1 and RFC 8252 expect.
pub fn build(endpoints: &Endpoints, cfg: &ProviderConfig) -> Result<OAuthClient, OAuthError> {
    let client_id = cfg.client_id.clone().ok_or_else(|| {
        OAuthError::config(format!(
            "provider {:?} has no client_id in providers.toml",
            endpoints.provider
        ))
    })?;
    let mut client = oauth2::Client::<
        BasicErrorResponse,
        GrantResponse,
        BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        BasicRevocationErrorResponse,
    >::new(ClientId::new(client_id))
    .set_auth_uri_option(endpoints.authorization_url.clone().map(AuthUrl::from_url))
    .set_device_authorization_url_option(
        endpoints
            .device_authorization_url
            .clone()
            .map(DeviceAuthorizationUrl::from_url),
    )
    .set_introspection_url_option(
        endpoints
            .introspection_url
            .clone()
            .map(IntrospectionUrl::from_url),
    )
    .set_revocation_url_option(
        endpoints
            .revocation_url
            .clone()
            .map(RevocationUrl::from_url),
    )
    .set_token_uri(TokenUrl::from_url(endpoints.token_url.clone()))
    .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = &cfg.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    Ok(client)
}

/// What a token endpoint granted, with the instant the request was sent
/// (expiry is counted from there, so it is never later than the server's).
#[derive(Debug)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<std::time::Duration>,
    /// `refresh_token_expires_in`: the grant's hard end, when stated.
    pub refresh_expires_in: Option<std::time::Duration>,
    pub scopes: Option<Vec<String>>,
    pub token_type: String,
    pub issued_at: DateTime<Utc>,
}

impl Tokens {
    /// An empty access token is refused: handing it out as a token (exit 0)
    /// would fail the caller's next request with nothing to say why.
    pub fn from_response(r: &GrantResponse, issued_at: DateTime<Utc>) -> Result<Self, OAuthError> {
        if r.access_token().secret().trim().is_empty() {
            return Err(OAuthError::new(
                crate::model::FailureKind::Transient,
                "the provider's answer holds an empty access_token",
            ));
        }
        // Servers count expires_in from their own clock in whole seconds
        // (oidc-provider: exp = floor(now) + ttl): rounding the send time
        // down keeps our expiry from ever being later than theirs.
        let issued_at = issued_at.with_nanosecond(0).unwrap_or(issued_at);
        Ok(Tokens {
            access_token: Secret::new(r.access_token().secret().clone()),
            refresh_token: r
                .refresh_token()
                .map(|t| Secret::new(t.secret().clone()))
                .filter(|t| !t.is_empty()),
            expires_in: r.expires_in(),
            // 0 (or a negative number, clamped to 0 on the way in) would
            // end the grant at the login that just made it: not a lifetime
            // anyone means, so taken as unstated.
            refresh_expires_in: r
                .extra_fields()
                .refresh_token_expires_in
                .filter(|secs| *secs > 0)
                .map(std::time::Duration::from_secs),
            scopes: r
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
            token_type: r.token_type().as_ref().to_string(),
            issued_at,
        })
    }

    /// The credential these tokens make. When refreshing, `previous` keeps
    /// what the response leaves out: the refresh token (Google, most
    /// non-rotating servers), the scopes, the account, the grant's cap.
    pub fn into_credential(
        self,
        name: &str,
        provider: &str,
        requested_scopes: &[String],
        previous: Option<&Credential>,
        source: Source,
    ) -> Credential {
        let expires_at = after(self.issued_at, self.expires_in);
        let refresh_expires_at = self.grant_cap(previous);
        Credential {
            name: name.to_string(),
            kind: Kind::OAuth,
            provider: provider.to_string(),
            account: previous.and_then(|p| p.account.clone()),
            scopes: self
                .scopes
                .or_else(|| previous.map(|p| p.scopes.clone()))
                .unwrap_or_else(|| requested_scopes.to_vec()),
            created_at: self.issued_at,
            expires_at,
            secret: self.access_token,
            refresh_token: self
                .refresh_token
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            refresh_expires_at,
            token_type: Some(self.token_type),
            source,
        }
    }

    /// The grant's cap after this response: the one it states, else the
    /// previous one, whether or not the refresh token rotated. A rotated
    /// refresh token with no stated lifetime still belongs to the same
    /// grant, and nothing said the grant got longer; where successors do
    /// carry the cap over (Microsoft's SPA tokens, oidc-provider's default
    /// for public web clients), forgetting it would hide the end. Keeping
    /// it can at worst warn early, which costs a login; losing it costs an
    /// outage. A refresh that succeeded at or after the old cap proved it
    /// wrong (an estimate from a preset): then there is none.
    ///
    /// A stated end within [`SAME_END`] of the previous one is that end:
    /// the server counts what is left in whole seconds from when it
    /// answers, we add it to when we asked, so the same instant comes back
    /// a second or two early on each refresh. Kept exact, it stays one
    /// grant (warned about once), not a new one every refresh.
    fn grant_cap(&self, previous: Option<&Credential>) -> Option<DateTime<Utc>> {
        let before = previous
            .and_then(|p| p.refresh_expires_at)
            .filter(|cap| *cap > self.issued_at);
        match (after(self.issued_at, self.refresh_expires_in), before) {
            (Some(stated), Some(b)) if (stated - b).abs() <= SAME_END => Some(b),
            (Some(stated), _) => Some(stated),
            (None, b) => b,
        }
    }
}

/// How far apart two stated grant ends may be and still be one: a
/// refresh's round trip (bounded by the HTTP timeout) plus rounding.
const SAME_END: chrono::Duration = chrono::Duration::seconds(60);

/// `at + d`; an absurd `d` (a provider bug) is no instant, not a panic.
fn after(at: DateTime<Utc>, d: Option<std::time::Duration>) -> Option<DateTime<Utc>> {
    d.and_then(|d| chrono::Duration::from_std(d).ok())
        .and_then(|d| at.checked_add_signed(d))
}

/// The `refresh_token` grant (RFC 6749 §6).
/// RFC 8707 §2.2: `resources` go on every refresh, so that the new access
/// token stays bound to the same audience.
pub async fn refresh_grant(
    client: &OAuthClient,
    http: &HttpClient,
    refresh_token: &Secret,
    resources: &[String],
) -> Result<Tokens, OAuthError> {
    let issued_at = Utc::now();
    let rt = RefreshToken::new(refresh_token.expose().to_string());
    let mut request = client.exchange_refresh_token(&rt);
    for r in resources {
        request = request.add_extra_param("resource", r.clone());
    }
    let response = request
        .request_async(http)
        .await
        .map_err(|e| OAuthError::from_request(e, error_fields).redacting(refresh_token))?;
    Tokens::from_response(&response, issued_at)
}

pub fn scopes(list: &[String]) -> Vec<Scope> {
    list.iter().map(|s| Scope::new(s.clone())).collect()
}

/// The code and description of any `oauth2` error body.
pub fn error_fields<T>(e: &oauth2::StandardErrorResponse<T>) -> (String, Option<String>)
where
    T: oauth2::ErrorResponseType + AsRef<str>,
{
    (
        e.error().as_ref().to_string(),
        e.error_description().cloned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_in: Option<std::time::Duration>) -> Tokens {
        Tokens {
            access_token: Secret::new("at".to_string()),
            refresh_token: None,
            expires_in,
            refresh_expires_in: None,
            scopes: None,
            token_type: "Bearer".into(),
            issued_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn an_absurd_expires_in_is_no_expiry_rather_than_a_panic() {
        for secs in [9_000_000_000_000u64, 9_000_000_000_000_000, u64::MAX] {
            let c = tokens(Some(std::time::Duration::from_secs(secs))).into_credential(
                "acme",
                "acme",
                &[],
                None,
                Source::Store,
            );
            assert_eq!(c.expires_at, None, "expires_in {secs}");
        }
        let c = tokens(Some(std::time::Duration::from_secs(3600))).into_credential(
            "acme",
            "acme",
            &[],
            None,
            Source::Store,
        );
        assert_eq!(c.expires_at.unwrap().timestamp(), 1_700_003_600);
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    /// A response as GitHub Apps send it (docs.github.com, "Generating a
    /// user access token for a GitHub App"), read by the client's type.
    fn github_app(refresh_token: Option<&str>, rt_expires_in: Option<u64>) -> Tokens {
        let mut body = serde_json::json!({
            "access_token": "ghu_x", "token_type": "bearer", "expires_in": 28800, "scope": "",
        });
        if let Some(rt) = refresh_token {
            body["refresh_token"] = rt.into();
        }
        if let Some(n) = rt_expires_in {
            body["refresh_token_expires_in"] = n.into();
        }
        let r: GrantResponse = serde_json::from_value(body).unwrap();
        Tokens::from_response(&r, t(0)).unwrap()
    }

    fn previous(cap: Option<i64>) -> Credential {
        let mut c = tokens(Some(std::time::Duration::from_secs(60))).into_credential(
            "gh",
            "github",
            &[],
            None,
            Source::Store,
        );
        c.refresh_token = Some(Secret::new("ghr_old".to_string()));
        c.refresh_expires_at = cap.map(t);
        c
    }

    #[test]
    fn refresh_token_expires_in_becomes_the_grant_cap() {
        let c = github_app(Some("ghr_x"), Some(15_811_200)).into_credential(
            "gh",
            "github",
            &[],
            None,
            Source::Store,
        );
        assert_eq!(c.refresh_expires_at, Some(t(15_811_200)));
        assert_eq!(c.expires_at, Some(t(28_800)));
        let none = github_app(Some("ghr_x"), None).into_credential(
            "gh",
            "github",
            &[],
            None,
            Source::Store,
        );
        assert_eq!(none.refresh_expires_at, None);
        let zero = github_app(Some("ghr_x"), Some(0)).into_credential(
            "gh",
            "github",
            &[],
            None,
            Source::Store,
        );
        assert_eq!(zero.refresh_expires_at, None, "0 is no lifetime");
    }

    #[test]
    fn a_refresh_replaces_a_stated_cap_and_keeps_an_unstated_one() {
        // (stated in the response, rotated, previous cap, cap after)
        let cases = [
            (Some(1000), true, Some(500), Some(1000)),
            // The same end, counted a second early by the round trip.
            (Some(999), true, Some(1000), Some(1000)),
            (Some(1061), true, Some(1000), Some(1061)),
            (Some(1000), false, None, Some(1000)),
            // Not rotated: the same refresh token, the same end.
            (None, false, Some(500), Some(500)),
            // Rotated without a stated lifetime: the same grant's end.
            (None, true, Some(500), Some(500)),
            (None, true, None, None),
            // The old cap was passed and the refresh still worked: wrong.
            (None, true, Some(-10), None),
            (None, false, Some(0), None),
        ];
        for (stated, rotated, before, after) in cases {
            let rt = rotated.then_some("ghr_new");
            let c = github_app(rt, stated).into_credential(
                "gh",
                "github",
                &[],
                Some(&previous(before)),
                Source::Store,
            );
            assert_eq!(
                c.refresh_expires_at,
                after.map(t),
                "stated {stated:?}, rotated {rotated}, before {before:?}"
            );
        }
    }
}
