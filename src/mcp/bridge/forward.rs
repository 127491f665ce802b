//! One client message POSTed to the remote server, and its answer passed
//! back as it streams (MCP "Transports" §"Sending Messages to the Server").

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use super::{AccessToken, BridgeFailure, BridgeHost, Shared, stream};
use crate::model::FailureKind;
use crate::oauth::challenge;

pub const SESSION_HEADER: &str = "mcp-session-id";
pub const PROTOCOL_HEADER: &str = "mcp-protocol-version";

/// Forwards `message`; every request in it gets an answer: the server's,
/// or a typed error.
pub(super) async fn forward<H: BridgeHost>(shared: Arc<Shared<H>>, message: Value) {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let mut pending = request_ids(&message);
    let limit = shared.opts.timeout;
    let result = tokio::time::timeout(limit, send(&shared, &message, &mut pending)).await;
    let failure = match result {
        Ok(Ok(())) => return,
        Ok(Err(f)) => f,
        Err(_) => BridgeFailure::transient(format!(
            "the server gave no answer within {}s; the request was abandoned",
            limit.as_secs()
        )),
    };
    shared.failures.fetch_add(1, Ordering::Relaxed);
    *shared.last_failure.lock().await = Some(failure.kind.as_str().to_string());
    tracing::warn!(kind = failure.kind.as_str(), message = %failure.message, "bridge request failed");
    shared.host.note_failure(&failure);
    for id in pending {
        shared.emit(failure.to_response(&id));
    }
}

/// The ids of the requests in a message or a batch (notifications and
/// responses have none to answer).
fn request_ids(message: &Value) -> Vec<Value> {
    let one = |m: &Value| {
        (m.get("method").is_some())
            .then(|| m.get("id").cloned())
            .flatten()
    };
    match message {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        m => one(m).into_iter().collect(),
    }
}

/// Sends until the answer is through or a typed failure says why not:
/// one refresh on 401 `invalid_token`, one step-up on 403 when asked to.
async fn send<H: BridgeHost>(
    shared: &Shared<H>,
    message: &Value,
    pending: &mut Vec<Value>,
) -> Result<(), BridgeFailure> {
    let mut token = shared.host.token().await?;
    let (mut replaced, mut stepped_up, mut nonce_retried) = (false, false, false);
    loop {
        count_refresh(shared, &token);
        hold_back(shared).await?;
        let response = post(shared, message, &token).await?;
        note_session(shared, &response).await;
        let status = response.status().as_u16();
        match status {
            200 => return pass_answer(shared, response, pending).await,
            202 => return Ok(()),
            // RFC 9449 §9: the nonce came with this answer; send again.
            401 if !nonce_retried && wants_nonce(response.headers()) => nonce_retried = true,
            401 if !replaced => {
                replaced = true;
                let fresh = shared.host.replace(&token.secret).await?;
                token = fresh;
            }
            401 => {
                return Err(BridgeFailure::new(
                    FailureKind::CredentialRevoked,
                    "the server refuses the token even after a refresh",
                )
                .with_fix(shared.host.scope_fix("")));
            }
            403 => {
                let failure = forbidden(shared, response.headers());
                let scope = failure.scope.clone().unwrap_or_default();
                if !shared.opts.step_up || stepped_up || scope.is_empty() {
                    return Err(failure);
                }
                stepped_up = true;
                shared.host.step_up(&scope).await?;
                token = shared.host.token().await?;
            }
            _ => return Err(other_status(shared, response, pending).await),
        }
    }
}

fn wants_nonce(headers: &http::HeaderMap) -> bool {
    challenge::find_param(&challenge::parse_all(headers), "error") == Some("use_dpop_nonce")
}

fn count_refresh<H: BridgeHost>(shared: &Shared<H>, token: &AccessToken) {
    if token.refreshed {
        shared.refreshes.fetch_add(1, Ordering::Relaxed);
    }
}

/// After a 429, nothing goes to the server before its Retry-After.
async fn hold_back<H: BridgeHost>(shared: &Shared<H>) -> Result<(), BridgeFailure> {
    let until = *shared.rate_until.lock().await;
    match until {
        Some(t) if t > tokio::time::Instant::now() => {
            let secs = (t - tokio::time::Instant::now()).as_secs() + 1;
            let mut f = BridgeFailure::new(
                FailureKind::RateLimited,
                format!("the server asked for a pause; retry in {secs}s"),
            );
            f.retry_after = Some(secs);
            Err(f)
        }
        _ => Ok(()),
    }
}

/// Authorization (RFC 6750 §2.1, or RFC 9449 §7.1 with a fresh proof for
/// this method and URL), the session and the protocol version.
pub(super) async fn headers<H: BridgeHost>(
    shared: &Shared<H>,
    token: &AccessToken,
    method: &str,
) -> Vec<(&'static str, String)> {
    let mut h = match &token.dpop {
        Some(key) => {
            let nonce = shared.dpop_nonce.lock().await.clone();
            let proof = key.proof(
                method,
                &shared.opts.url,
                Some(&token.secret),
                nonce.as_deref(),
            );
            vec![
                ("authorization", format!("DPoP {}", token.secret.expose())),
                ("dpop", proof),
            ]
        }
        None => vec![("authorization", format!("Bearer {}", token.secret.expose()))],
    };
    if let Some(id) = shared.session_id.lock().await.clone() {
        h.push((SESSION_HEADER, id));
    }
    if let Some(v) = shared.protocol.lock().await.clone() {
        h.push((PROTOCOL_HEADER, v));
    }
    h
}

async fn post<H: BridgeHost>(
    shared: &Shared<H>,
    message: &Value,
    token: &AccessToken,
) -> Result<reqwest::Response, BridgeFailure> {
    let mut request = shared
        .http
        .post(shared.opts.url.clone())
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(message).expect("JSON serializes"));
    for (k, v) in headers(shared, token, "POST").await {
        request = request.header(k, v);
    }
    request.send().await.map_err(network)
}

pub(super) fn network(e: reqwest::Error) -> BridgeFailure {
    let what = if e.is_connect() {
        "cannot connect to the MCP server"
    } else {
        "the request to the MCP server failed"
    };
    BridgeFailure::transient(format!("{what}: {}", e.without_url()))
}

/// The session id comes with the answer to `initialize`; a DPoP nonce
/// with any answer.
pub(super) async fn note_session<H: BridgeHost>(shared: &Shared<H>, response: &reqwest::Response) {
    if let Some(n) = response
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
    {
        *shared.dpop_nonce.lock().await = Some(n.to_string());
    }
    if let Some(id) = response
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let mut current = shared.session_id.lock().await;
        if current.is_none() {
            *current = Some(id.to_string());
        }
    }
}

/// 403: RFC 6750 §3.1 `insufficient_scope`, with the scope the server wants.
fn forbidden<H: BridgeHost>(shared: &Shared<H>, headers: &http::HeaderMap) -> BridgeFailure {
    let challenges = challenge::parse_all(headers);
    let scope = challenge::find_param(&challenges, "scope").map(str::to_string);
    let error = challenge::find_param(&challenges, "error").unwrap_or("insufficient_scope");
    let mut f = BridgeFailure::new(
        FailureKind::ScopeInsufficient,
        format!(
            "the server refused the request ({error}){}",
            scope
                .as_deref()
                .map(|s| format!("; it needs scope \"{s}\""))
                .unwrap_or_default()
        ),
    );
    f.fix = Some(shared.host.scope_fix(scope.as_deref().unwrap_or_default()));
    f.scope = scope;
    f
}

/// 429, 5xx, and what else a server may say: a JSON-RPC error body is
/// passed on as it is; anything else becomes a typed failure.
async fn other_status<H: BridgeHost>(
    shared: &Shared<H>,
    response: reqwest::Response,
    pending: &mut Vec<Value>,
) -> BridgeFailure {
    let status = response.status().as_u16();
    if status == 429 {
        let retry_at = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| crate::oauth::http::parse_retry_after(v, chrono::Utc::now()));
        let secs = retry_at
            .map(|t| (t - chrono::Utc::now()).num_seconds().max(1) as u64)
            .unwrap_or(1);
        *shared.rate_until.lock().await =
            Some(tokio::time::Instant::now() + std::time::Duration::from_secs(secs));
        let mut f = BridgeFailure::new(
            FailureKind::RateLimited,
            format!("the server is rate limiting (HTTP 429); retry in {secs}s"),
        );
        f.retry_after = Some(secs);
        return f;
    }
    if (500..600).contains(&status) {
        return BridgeFailure::transient(format!("the MCP server answered HTTP {status}"));
    }
    if status == 404 && shared.session_id.lock().await.is_some() {
        return BridgeFailure::transient(
            "the MCP server ended the session (HTTP 404); restart the MCP client's connection",
        );
    }
    // A JSON-RPC error for our request (400 for a malformed one, say).
    if let Ok(body) = stream::read_capped(response).await
        && let Ok(value) = serde_json::from_slice::<Value>(&body)
        && value.get("jsonrpc").is_some()
        && value.get("id").is_some_and(|id| !id.is_null())
    {
        answered(pending, &value);
        shared.emit(value);
    }
    BridgeFailure::transient(format!("the MCP server answered HTTP {status}"))
}

/// A 200: one JSON answer, or an SSE stream of messages ending with it.
async fn pass_answer<H: BridgeHost>(
    shared: &Shared<H>,
    response: reqwest::Response,
    pending: &mut Vec<Value>,
) -> Result<(), BridgeFailure> {
    let is_sse = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    if is_sse {
        return stream::pass_events(shared, response, pending).await;
    }
    let body = stream::read_capped(response).await?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|_| BridgeFailure::transient("the MCP server's answer is not JSON"))?;
    note_protocol(shared, &value).await;
    answered(pending, &value);
    shared.emit(value);
    Ok(())
}

/// `MCP-Protocol-Version` on every request after `initialize` names the
/// version the server chose there.
pub(super) async fn note_protocol<H: BridgeHost>(shared: &Shared<H>, value: &Value) {
    if let Some(v) = value["result"]["protocolVersion"].as_str() {
        *shared.protocol.lock().await = Some(v.to_string());
    }
}

/// Removes the ids that `value` answers from `pending`.
pub(super) fn answered(pending: &mut Vec<Value>, value: &Value) {
    let ids: HashSet<String> = match value {
        Value::Array(items) => items.iter().map(|m| m["id"].to_string()).collect(),
        m if m.get("result").is_some() || m.get("error").is_some() => {
            std::iter::once(m["id"].to_string()).collect()
        }
        _ => HashSet::new(),
    };
    pending.retain(|id| !ids.contains(&id.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_answered_notifications_are_not() {
        assert_eq!(
            request_ids(&json!({"jsonrpc":"2.0","id":3,"method":"tools/call"})),
            vec![json!(3)]
        );
        assert!(
            request_ids(&json!({"jsonrpc":"2.0","method":"notifications/initialized"})).is_empty()
        );
        assert!(request_ids(&json!({"jsonrpc":"2.0","id":3,"result":{}})).is_empty());
        let batch = json!([{"id":"a","method":"x"},{"method":"y"}]);
        assert_eq!(request_ids(&batch), vec![json!("a")]);
    }

    #[test]
    fn an_answer_clears_its_id_only() {
        let mut pending = vec![json!(1), json!("1"), json!(2)];
        answered(&mut pending, &json!({"jsonrpc":"2.0","id":1,"result":{}}));
        assert_eq!(pending, vec![json!("1"), json!(2)]);
        answered(
            &mut pending,
            &json!({"jsonrpc":"2.0","method":"notifications/message"}),
        );
        assert_eq!(pending.len(), 2);
    }
}
