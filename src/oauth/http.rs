//! The HTTP client under `oauth2`, wrapped so that real providers work:
//! every request has a timeout, bodies are size-capped, 429 and 5xx become
//! typed errors with their Retry-After, and odd-but-real token responses are
//! normalised into what RFC 6749 says before `oauth2` parses them:
//! - an HTTP 200 carrying an `error` body is a failure (GitHub, Slack's
//!   `"ok": false`);
//! - form-encoded token responses (GitHub without `Accept: application/json`);
//! - numbers sent as strings (`"expires_in": "3599"`: Azure v1, GitHub's
//!   2020 examples);
//! - a 401/403 without an OAuth body but with `WWW-Authenticate` (RFC 6750).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use oauth2::{HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::dpop::DpopKey;

/// Token responses are a few KiB; anything near this is not one.
pub const MAX_BODY: usize = 256 * 1024;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("rate limited by the provider (HTTP {status})")]
    RateLimited {
        status: u16,
        retry_at: Option<DateTime<Utc>>,
    },
    #[error("the provider answered HTTP {status}")]
    Server {
        status: u16,
        retry_at: Option<DateTime<Utc>>,
    },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the answer is larger than {MAX_BODY} bytes; not a token response")]
    TooLarge,
    #[error("network error: {0}")]
    Network(String),
}

impl HttpError {
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            HttpError::RateLimited { retry_at, .. } | HttpError::Server { retry_at, .. } => {
                *retry_at
            }
            _ => None,
        }
    }
}

/// One reqwest client for all of credtop's OAuth traffic. Redirects are
/// not followed: a token endpoint that redirects is misconfigured, and
/// following would re-send credentials elsewhere.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    timeout: Duration,
    /// RFC 9449: with a key, every request `oauth2` makes carries a DPoP
    /// proof, and a `use_dpop_nonce` answer is retried once with the nonce.
    dpop: Option<Arc<DpopKey>>,
    dpop_nonce: Arc<Mutex<Option<String>>>,
}

impl HttpClient {
    /// The default client; `CREDTOP_HTTP_TIMEOUT` (seconds) overrides the
    /// request timeout for slow links.
    pub fn new() -> Self {
        let timeout = std::env::var("CREDTOP_HTTP_TIMEOUT")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(REQUEST_TIMEOUT);
        HttpClient::with_timeout(timeout)
    }

    pub fn with_timeout(timeout: Duration) -> Self {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("credtop/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("reqwest client builds");
        HttpClient {
            inner,
            timeout,
            dpop: None,
            dpop_nonce: Arc::default(),
        }
    }

    /// The same client, proving possession of `key` on every token request.
    pub fn with_dpop(&self, key: Arc<DpopKey>) -> Self {
        HttpClient {
            dpop: Some(key),
            dpop_nonce: Arc::default(),
            ..self.clone()
        }
    }

    /// One request as `oauth2` makes it, normalised on the way back.
    pub async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let (mut status, mut headers, mut body_in) = self.send_once(&parts, &body).await?;
        // RFC 9449 §8: the server wants its nonce in the proof; once.
        if self.dpop.is_some() && status.as_u16() == 400 && asks_for_nonce(&body_in) {
            (status, headers, body_in) = self.send_once(&parts, &body).await?;
        }
        let retry_at = headers
            .get(RETRY_AFTER)
            .and_then(|v| parse_retry_after(v, Utc::now()));
        if status.as_u16() == 429 {
            return Err(HttpError::RateLimited {
                status: 429,
                retry_at,
            });
        }
        if status.is_server_error() {
            return Err(HttpError::Server {
                status: status.as_u16(),
                retry_at,
            });
        }
        Ok(normalise(status, &headers, body_in))
    }

    async fn send_once(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<(http::StatusCode, http::HeaderMap, Vec<u8>), HttpError> {
        let mut builder = self
            .inner
            .request(parts.method.clone(), parts.uri.to_string())
            .headers(parts.headers.clone())
            .body(body.to_vec());
        // GitHub answers form-encoded unless asked for JSON.
        builder = builder.header(http::header::ACCEPT, "application/json");
        if let (Some(key), Ok(url)) = (&self.dpop, url::Url::parse(&parts.uri.to_string())) {
            let nonce = self.dpop_nonce.lock().expect("nonce lock").clone();
            let proof = key.proof(parts.method.as_str(), &url, None, nonce.as_deref());
            builder = builder.header("dpop", proof);
        }
        let response = builder.send().await.map_err(|e| self.network(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(n) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) {
            *self.dpop_nonce.lock().expect("nonce lock") = Some(n.to_string());
        }
        let body = self.read_capped(response).await?;
        Ok((status, headers, body))
    }

    /// GET a JSON document (discovery metadata), same caps and timeouts.
    pub async fn get_json(&self, url: &str) -> Result<(u16, Value), HttpError> {
        let response = self
            .inner
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.network(e))?;
        let status = response.status().as_u16();
        let body = self.read_capped(response).await?;
        let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// A plain request for provider-specific APIs (Slack's auth.revoke,
    /// GitHub's DELETE /applications/…/token): status and JSON body.
    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Result<(u16, Value), HttpError> {
        let response = builder.send().await.map_err(|e| self.network(e))?;
        let status = response.status().as_u16();
        let body = self.read_capped(response).await?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// A request whose headers matter (`WWW-Authenticate` on a 401): status,
    /// headers and the capped raw body.
    pub async fn send_raw(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<(u16, http::HeaderMap, Vec<u8>), HttpError> {
        let response = builder.send().await.map_err(|e| self.network(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = self.read_capped(response).await?;
        Ok((status, headers, body))
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    async fn read_capped(&self, response: reqwest::Response) -> Result<Vec<u8>, HttpError> {
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(HttpError::TooLarge);
        }
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.network(e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn network(&self, e: reqwest::Error) -> HttpError {
        if e.is_timeout() {
            return HttpError::Timeout(self.timeout);
        }
        // reqwest's Display names the URL (never a body or header); the
        // source chain says why (refused, reset, DNS).
        let mut source = std::error::Error::source(&e);
        let mut text = String::from(if e.is_connect() {
            "cannot connect"
        } else {
            "request failed"
        });
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        HttpError::Network(text)
    }
}

/// `oauth2` sends every request through this. A named future type (boxed,
/// `Send`) keeps the engine's refresh tasks spawnable.
impl<'c> oauth2::AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::new()
    }
}

/// RFC 9110 §10.2.3: `Retry-After` is delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &HeaderValue, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(now + chrono::Duration::seconds(secs.min(86_400) as i64));
    }
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn asks_for_nonce(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| v["error"] == "use_dpop_nonce")
}

fn normalise(status: http::StatusCode, headers: &http::HeaderMap, body: Vec<u8>) -> HttpResponse {
    let json = parse_body(headers, &body);
    let mut status = status;
    let body = match json {
        Some(Value::Object(mut obj)) => {
            if is_error_object(&obj) {
                if status.is_success() {
                    status = http::StatusCode::BAD_REQUEST;
                }
                if !obj.contains_key("error") {
                    obj.insert("error".into(), Value::String("invalid_request".into()));
                }
            } else if obj.contains_key("access_token") {
                fix_token_fields(&mut obj);
            }
            serde_json::to_vec(&Value::Object(obj)).expect("json serializes")
        }
        _ if matches!(status.as_u16(), 401 | 403) => synthesise_bearer_error(status, headers),
        _ => body,
    };
    let mut response = HttpResponse::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn parse_body(headers: &http::HeaderMap, body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Some(v);
    }
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/x-www-form-urlencoded") || ct.starts_with("text/plain")
        });
    if !form {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let obj: Map<String, Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Some(Value::Object(obj))
}

/// `{"error": …}` at any status, or Slack's `{"ok": false, "error": …}`.
fn is_error_object(obj: &Map<String, Value>) -> bool {
    obj.get("error").is_some_and(|e| !e.is_null()) || obj.get("ok") == Some(&Value::Bool(false))
}

fn fix_token_fields(obj: &mut Map<String, Value>) {
    for field in ["expires_in", "refresh_token_expires_in", "ext_expires_in"] {
        if let Some(Value::String(s)) = obj.get(field) {
            match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => {
                    obj.insert(field.into(), Value::from(n as u64));
                }
                _ => {
                    obj.remove(field);
                }
            }
        } else if let Some(n) = obj.get(field).and_then(Value::as_f64) {
            obj.insert(field.into(), Value::from(n.max(0.0) as u64));
        }
    }
    // RFC 6749 makes token_type required; some servers omit it.
    if !obj.get("token_type").is_some_and(Value::is_string) {
        obj.insert("token_type".into(), Value::String("bearer".into()));
    }
    // An empty refresh token is no refresh token (keep the old one).
    if obj
        .get("refresh_token")
        .is_some_and(|r| r.as_str().is_none_or(str::is_empty))
    {
        obj.remove("refresh_token");
    }
    if obj.get("scope").is_some_and(|s| !s.is_string()) {
        obj.remove("scope");
    }
}

/// RFC 6750 §3.1: `WWW-Authenticate: Bearer error="invalid_token"` on 401,
/// `insufficient_scope` on 403.
fn synthesise_bearer_error(status: http::StatusCode, headers: &http::HeaderMap) -> Vec<u8> {
    let from_header = headers
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let start = v.find("error=\"")? + 7;
            let end = v[start..].find('"')? + start;
            Some(v[start..end].to_string())
        });
    let code = from_header.unwrap_or_else(|| {
        if status.as_u16() == 401 {
            "invalid_client"
        } else {
            "insufficient_scope"
        }
        .to_string()
    });
    serde_json::to_vec(&serde_json::json!({ "error": code })).expect("json serializes")
}

#[cfg(test)]
#[path = "http_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(status: u16, ct: &str, body: &str) -> (u16, Value) {
        let mut h = http::HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        let r = normalise(
            http::StatusCode::from_u16(status).unwrap(),
            &h,
            body.as_bytes().to_vec(),
        );
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn github_200_with_error_body_becomes_a_400() {
        let (s, v) = norm(200, "application/json", r#"{"error":"bad_refresh_token"}"#);
        assert_eq!(s, 400);
        assert_eq!(v["error"], "bad_refresh_token");
    }

    #[test]
    fn slack_ok_false_becomes_an_error() {
        let (s, v) = norm(
            200,
            "application/json",
            r#"{"ok":false,"error":"invalid_refresh_token"}"#,
        );
        assert_eq!(
            (s, v["error"].as_str()),
            (400, Some("invalid_refresh_token"))
        );
    }

    #[test]
    fn form_encoded_token_response_with_string_numbers_parses() {
        let (s, v) = norm(
            200,
            "application/x-www-form-urlencoded; charset=utf-8",
            "access_token=gho_x&token_type=bearer&expires_in=28800&refresh_token=&scope=repo",
        );
        assert_eq!(s, 200);
        assert_eq!(v["expires_in"], 28800);
        assert!(v.get("refresh_token").is_none(), "empty refresh token kept");
    }

    #[test]
    fn json_numbers_as_strings_and_missing_token_type_are_fixed() {
        let (_, v) = norm(
            200,
            "application/json",
            r#"{"access_token":"a","expires_in":"3599"}"#,
        );
        assert_eq!(v["expires_in"], 3599);
        assert_eq!(v["token_type"], "bearer");
    }

    #[test]
    fn retry_after_in_both_forms() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let secs = parse_retry_after(&HeaderValue::from_static("120"), now).unwrap();
        assert_eq!(secs - now, chrono::Duration::seconds(120));
        let date = parse_retry_after(
            &HeaderValue::from_static("Thu, 01 Jan 2026 00:05:00 GMT"),
            now,
        )
        .unwrap();
        assert_eq!(date - now, chrono::Duration::minutes(5));
        assert!(parse_retry_after(&HeaderValue::from_static("soon"), now).is_none());
    }

    #[test]
    fn bearer_challenge_without_body_is_typed() {
        let mut h = http::HeaderMap::new();
        h.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="invalid_token""#),
        );
        let r = normalise(
            http::StatusCode::UNAUTHORIZED,
            &h,
            b"<html>no</html>".to_vec(),
        );
        let v: Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["error"], "invalid_token");
    }
}
