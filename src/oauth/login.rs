//! Authorization code + PKCE (S256 only) with a one-shot loopback redirect
//! (RFC 8252 §7.3): a callback server on 127.0.0.1, a random port, a random
//! `state` checked on return, `iss` checked when the server sends it
//! (RFC 9207), and a time limit.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, RedirectUrl};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::client::{OAuthClient, Tokens, error_fields, scopes};
use super::endpoints::Endpoints;
use super::{HttpClient, LoginPrompt, OAuthError};
use crate::model::FailureKind;

pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// Runs the whole browser login and returns the granted tokens.
pub async fn login_loopback(
    client: OAuthClient,
    endpoints: &Endpoints,
    http: &HttpClient,
    requested: &[String],
    resources: &[String],
    timeout: Duration,
    prompt: &(dyn Fn(LoginPrompt) + Send + Sync),
) -> Result<Tokens, OAuthError> {
    if endpoints.authorization_url.is_none() {
        return Err(OAuthError::config(format!(
            "provider {:?} has no authorization endpoint; try `--device`",
            endpoints.provider
        )));
    }
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
        OAuthError::new(
            FailureKind::Transient,
            format!("cannot listen on 127.0.0.1: {e}"),
        )
    })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let client = client.set_redirect_uri(RedirectUrl::new(redirect).expect("loopback URL parses"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .map_err(|e| OAuthError::config(e.to_string()))?
        .add_scopes(scopes(requested))
        .set_pkce_challenge(challenge);
    for (k, v) in &endpoints.extra_auth_params {
        request = request.add_extra_param(k.clone(), v.clone());
    }
    for r in resources {
        request = request.add_extra_param("resource", r.clone());
    }
    let (url, state) = request.url();
    prompt(LoginPrompt {
        url: url.to_string(),
        user_code: None,
    });
    let code = wait_for_callback(listener, state.secret(), endpoints, timeout).await?;
    let issued_at = Utc::now();
    let mut exchange = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier);
    // RFC 8707 §2.2: the resource again on the code exchange.
    for r in resources {
        exchange = exchange.add_extra_param("resource", r.clone());
    }
    let response = exchange
        .request_async(http)
        .await
        .map_err(|e| OAuthError::from_request(e, error_fields))?;
    Tokens::from_response(&response, issued_at)
}

/// Serves the loopback redirect until the one callback arrives (or the time
/// runs out); the listener closes on return, so a replayed callback finds
/// nobody listening.
async fn wait_for_callback(
    listener: TcpListener,
    state: &str,
    endpoints: &Endpoints,
    timeout: Duration,
) -> Result<String, OAuthError> {
    let deadline = Instant::now() + timeout;
    loop {
        let accepted = tokio::time::timeout_at(deadline, listener.accept()).await;
        let Ok(Ok((stream, _))) = accepted else {
            if accepted.is_err() {
                return Err(OAuthError::new(
                    FailureKind::Transient,
                    format!(
                        "no login arrived within {}s; nothing was stored",
                        timeout.as_secs()
                    ),
                ));
            }
            continue;
        };
        if let Some(result) = handle_connection(stream, state, endpoints).await {
            return result;
        }
    }
}

/// One HTTP request to the callback server. None: not the callback (a
/// favicon, a probe), keep waiting.
async fn handle_connection(
    mut stream: TcpStream,
    state: &str,
    endpoints: &Endpoints,
) -> Option<Result<String, OAuthError>> {
    let head = read_head(&mut stream).await?;
    let target = head.lines().next()?.split_whitespace().nth(1)?.to_string();
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    if url.path() != "/callback" {
        respond(
            &mut stream,
            "404 Not Found",
            "Not the credtop login callback.",
        )
        .await;
        return None;
    }
    let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let result = check_callback(&params, state, endpoints);
    let page = match &result {
        Ok(_) => format!(
            "credtop: logged in to {}. You can close this tab.",
            endpoints.provider
        ),
        Err(e) => format!(
            "credtop: login to {} failed: {}. You can close this tab.",
            endpoints.provider, e.message
        ),
    };
    let status = if result.is_ok() {
        "200 OK"
    } else {
        "400 Bad Request"
    };
    respond(&mut stream, status, &page).await;
    Some(result)
}

fn check_callback(
    params: &HashMap<String, String>,
    state: &str,
    endpoints: &Endpoints,
) -> Result<String, OAuthError> {
    // The state is checked before anything else in the response is believed.
    if params.get("state").map(String::as_str) != Some(state) {
        return Err(OAuthError::config(
            "state mismatch: the callback did not come from this login attempt (possible CSRF); nothing was stored",
        ));
    }
    // RFC 9207 §2.4: a mismatching iss means a mix-up attack.
    match (params.get("iss"), &endpoints.issuer) {
        (Some(iss), Some(issuer)) if iss.trim_end_matches('/') != issuer.trim_end_matches('/') => {
            return Err(OAuthError::config(format!(
                "the authorization response came from issuer {iss:?}, not {issuer:?}; nothing was stored"
            )));
        }
        (None, _) if endpoints.iss_in_response => {
            return Err(OAuthError::config(
                "the server promises an iss parameter (RFC 9207) but the response has none; nothing was stored",
            ));
        }
        _ => {}
    }
    if let Some(error) = params.get("error") {
        return Err(OAuthError::from_code(
            error,
            params.get("error_description").map(String::as_str),
        ));
    }
    params
        .get("code")
        .filter(|c| !c.is_empty())
        .cloned()
        .ok_or_else(|| OAuthError::config("the callback carried neither a code nor an error"))
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST_HEAD {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()??;
    String::from_utf8(buf).ok()
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>credtop</title><p style=\"font:16px sans-serif\">{}</p>",
        html_escape(text)
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::provider::RevocationStyle;

    fn endpoints(iss_in_response: bool) -> Endpoints {
        Endpoints {
            provider: "acme".into(),
            issuer: Some("http://127.0.0.1:9".into()),
            authorization_url: None,
            token_url: url::Url::parse("http://127.0.0.1:9/token").unwrap(),
            device_authorization_url: None,
            revocation_url: None,
            introspection_url: None,
            revocation: RevocationStyle::WebOnly,
            revoke_page: None,
            extra_auth_params: vec![],
            iss_in_response,
            token_exchange: false,
            registration_url: None,
            dpop_algs: vec![],
            scopes_supported: vec![],
        }
    }

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn state_is_checked_before_the_error_or_code() {
        let e = check_callback(
            &params(&[("state", "x"), ("code", "c")]),
            "s",
            &endpoints(false),
        )
        .unwrap_err();
        assert!(e.message.contains("state mismatch"));
        let e = check_callback(
            &params(&[("error", "access_denied")]),
            "s",
            &endpoints(false),
        )
        .unwrap_err();
        assert!(e.message.contains("state mismatch"));
    }

    #[test]
    fn access_denied_is_typed() {
        let e = check_callback(
            &params(&[("state", "s"), ("error", "access_denied")]),
            "s",
            &endpoints(false),
        )
        .unwrap_err();
        assert_eq!(e.kind, FailureKind::AccessDenied);
    }

    #[test]
    fn iss_must_match_and_must_be_there_when_promised() {
        let ok = params(&[("state", "s"), ("code", "c"), ("iss", "http://127.0.0.1:9")]);
        assert_eq!(check_callback(&ok, "s", &endpoints(true)).unwrap(), "c");
        let wrong = params(&[
            ("state", "s"),
            ("code", "c"),
            ("iss", "https://evil.example"),
        ]);
        assert!(check_callback(&wrong, "s", &endpoints(false)).is_err());
        let missing = params(&[("state", "s"), ("code", "c")]);
        assert!(check_callback(&missing, "s", &endpoints(true)).is_err());
        assert!(check_callback(&missing, "s", &endpoints(false)).is_ok());
    }
}
