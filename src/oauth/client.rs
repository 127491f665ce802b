//! The `oauth2` client for one provider, and what a token response becomes.

use chrono::{DateTime, Timelike, Utc};
use oauth2::basic::{
    BasicClient, BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenResponse,
};
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointMaybeSet,
    EndpointSet, IntrospectionUrl, RefreshToken, RevocationUrl, Scope, StandardRevocableToken,
    TokenResponse, TokenUrl,
};

use super::endpoints::Endpoints;
use super::provider::ProviderConfig;
use super::{HttpClient, OAuthError};
use crate::model::{Credential, Kind, Secret, Source};

pub type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
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
    let mut client = BasicClient::new(ClientId::new(client_id))
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
    pub scopes: Option<Vec<String>>,
    pub token_type: String,
    pub issued_at: DateTime<Utc>,
}

impl Tokens {
    /// An empty access token is refused: handing it out as a token (exit 0)
    /// would fail the caller's next request with nothing to say why.
    pub fn from_response(
        r: &BasicTokenResponse,
        issued_at: DateTime<Utc>,
    ) -> Result<Self, OAuthError> {
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
            scopes: r
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
            token_type: r.token_type().as_ref().to_string(),
            issued_at,
        })
    }

    /// The credential these tokens make. When refreshing, `previous` keeps
    /// what the response leaves out: the refresh token (Google, most
    /// non-rotating servers), the scopes, the account.
    pub fn into_credential(
        self,
        name: &str,
        provider: &str,
        requested_scopes: &[String],
        previous: Option<&Credential>,
        source: Source,
    ) -> Credential {
        let expires_at = self
            .expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            // An absurd expires_in (a provider bug) is no expiry, not a panic.
            .and_then(|d| self.issued_at.checked_add_signed(d));
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
            token_type: Some(self.token_type),
            source,
        }
    }
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
}
