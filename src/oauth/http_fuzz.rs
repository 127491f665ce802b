//! Property tests of the token-response parser: whatever a token endpoint
//! answers (any status, JSON, form or garbage), normalising and reading it
//! ends in tokens or a typed OAuth error, never a panic; an error's text is
//! shown as data (no control characters) and never echoes the refresh
//! token that was sent.

use chrono::Utc;
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use oauth2::basic::BasicErrorResponse;
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::normalise;
use crate::model::Secret;
use crate::oauth::OAuthError;
use crate::oauth::client::{GrantResponse, Tokens, error_fields};

const SENT: &str = "rt-FUZZ-CANARY-sent";

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,16}".prop_map(Value::String),
        "[0-9. ]{0,8}".prop_map(Value::String),
        // A server quoting the refresh token back, with escape sequences.
        ".{0,4}".prop_map(|s| Value::String(format!("\u{1b}[31m{s}{SENT}\n"))),
    ]
}

const KEYS: [&str; 10] = [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "error",
    "error_description",
    "ok",
    "refresh_token_expires_in",
    "id_token",
];

fn token_object() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::option::of(scalar()), KEYS.len()).prop_map(|values| {
        let obj: Map<String, Value> = KEYS
            .iter()
            .zip(values)
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect();
        serde_json::to_vec(&Value::Object(obj)).expect("json serializes")
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        token_object(),
        prop::collection::vec(any::<u8>(), 0..256),
        "[a-z_]{1,8}=[^&]{0,12}(&[a-z_]{1,8}=[^&]{0,12}){0,4}".prop_map(String::into_bytes),
    ]
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "text/html",
    ])
}

/// What the OAuth client makes of one normalised answer.
fn read(status: u16, ct: &str, www: Option<String>, body: Vec<u8>) -> Result<Tokens, OAuthError> {
    let mut headers = http::HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct_static(ct)));
    if let Some(v) = www.and_then(|w| HeaderValue::from_str(&w).ok()) {
        headers.insert(WWW_AUTHENTICATE, v);
    }
    let status = http::StatusCode::from_u16(status).expect("status in range");
    let response = normalise(status, &headers, body);
    if response.status().is_success() {
        match serde_json::from_slice::<GrantResponse>(response.body()) {
            Ok(r) => Tokens::from_response(&r, Utc::now()),
            Err(_) => Err(OAuthError::config("unreadable token response")),
        }
    } else {
        match serde_json::from_slice::<BasicErrorResponse>(response.body()) {
            Ok(e) => {
                let (code, description) = error_fields(&e);
                Err(OAuthError::from_code(&code, description.as_deref())
                    .redacting(&Secret::new(SENT.to_string())))
            }
            Err(_) => Err(OAuthError::config("unreadable error response")),
        }
    }
}

fn ct_static(ct: &str) -> &'static str {
    match ct {
        "application/json" => "application/json",
        "application/x-www-form-urlencoded" => "application/x-www-form-urlencoded",
        "text/plain" => "text/plain",
        _ => "text/html",
    }
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn fuzz_token_response_never_panics_nor_leaks(
        status in prop::sample::select(vec![200u16, 201, 400, 401, 403, 429, 500, 503]),
        ct in content_type(),
        www in prop::option::of("Bearer( error=\"[a-z_\u{1b}]{0,12}\")?.{0,8}"),
        body in body(),
    ) {
        match read(status, ct, www, body) {
            Ok(tokens) => prop_assert!(!tokens.access_token.expose().trim().is_empty()),
            Err(e) => {
                let said = e.to_string();
                prop_assert!(!said.contains(SENT), "{said}");
                prop_assert!(!said.chars().any(char::is_control), "{said:?}");
            }
        }
    }
}
