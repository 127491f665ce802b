//! The device authorization grant (RFC 8628) for headless and SSH logins:
//! show the user code and the verification URL, then poll. `oauth2` does
//! the polling: `authorization_pending` keeps the interval, `slow_down` adds
//! 5 s for good (§3.5), and an absent `interval` means 5 s (§3.2).

use chrono::Utc;
use oauth2::{DeviceCodeErrorResponse, StandardDeviceAuthorizationResponse};

use super::client::{OAuthClient, Tokens, error_fields, scopes};
use super::endpoints::Endpoints;
use super::{HttpClient, LoginPrompt, OAuthError};

pub async fn login_device(
    client: &OAuthClient,
    endpoints: &Endpoints,
    http: &HttpClient,
    requested: &[String],
    prompt: &(dyn Fn(LoginPrompt) + Send + Sync),
) -> Result<Tokens, OAuthError> {
    if endpoints.device_authorization_url.is_none() {
        return Err(OAuthError::config(format!(
            "provider {:?} has no device authorization endpoint; log in without --device",
            endpoints.provider
        )));
    }
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .map_err(|e| OAuthError::config(e.to_string()))?
        .add_scopes(scopes(requested))
        .request_async(http)
        .await
        .map_err(|e| OAuthError::from_request(e, error_fields))?;
    let url = details
        .verification_uri_complete()
        .map(|u| u.secret().to_string())
        .unwrap_or_else(|| details.verification_uri().to_string());
    prompt(LoginPrompt {
        url,
        user_code: Some(details.user_code().secret().to_string()),
    });
    let response = client
        .exchange_device_access_token(&details)
        .request_async(http, tokio::time::sleep, None)
        .await
        .map_err(|e| OAuthError::from_request::<DeviceCodeErrorResponse>(e, error_fields))?;
    // Expiry counts from the poll that succeeded, not from the first one.
    Tokens::from_response(&response, Utc::now())
}
