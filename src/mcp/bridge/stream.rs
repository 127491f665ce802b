//! SSE streams from the remote server: a POST's answer passed on event by
//! event (resumed with `Last-Event-ID` when it breaks, MCP "Transports"
//! §"Resumability and Redelivery"), the GET stream for server-initiated
//! messages where the server offers one, and DELETE of the session on close.

use std::time::Duration;

use http::header::ACCEPT;
use serde_json::Value;

use super::forward::{self, answered, network, note_protocol};
use super::sse::Parser;
use super::{BridgeFailure, BridgeHost, Shared};

/// A single JSON answer larger than this is refused rather than buffered.
const MAX_JSON: usize = super::sse::MAX_EVENT;
/// How often a broken answer stream is resumed before giving up.
const MAX_RESUMES: usize = 3;
/// How often the GET stream is opened again after it ends.
const MAX_LISTEN: usize = 100;

pub(super) async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, BridgeFailure> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if body.len() + chunk.len() > MAX_JSON {
            return Err(BridgeFailure::transient(
                "the MCP server's answer is larger than credtop passes on",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Passes each event of `response` on as it completes, until every
/// request in `pending` has its answer; resumes a stream that ends early.
pub(super) async fn pass_events<H: BridgeHost>(
    shared: &Shared<H>,
    response: reqwest::Response,
    pending: &mut Vec<Value>,
) -> Result<(), BridgeFailure> {
    let mut parser = Parser::default();
    let mut response = response;
    for attempt in 0..=MAX_RESUMES {
        relay(shared, &mut response, &mut parser, Some(pending)).await?;
        if pending.is_empty() {
            return Ok(());
        }
        let Some(last) = parser.last_id.clone() else {
            break;
        };
        if attempt == MAX_RESUMES {
            break;
        }
        tracing::info!(attempt, "answer stream ended early; resuming");
        response = match open_get(shared, Some(&last)).await? {
            Some(r) => r,
            None => break,
        };
    }
    Err(BridgeFailure::transient(
        "the MCP server's stream ended before the answer arrived",
    ))
}

/// Relays events until the stream ends, or (with `pending`) until all
/// pending requests are answered.
async fn relay<H: BridgeHost>(
    shared: &Shared<H>,
    response: &mut reqwest::Response,
    parser: &mut Parser,
    mut pending: Option<&mut Vec<Value>>,
) -> Result<(), BridgeFailure> {
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            // A broken stream is resumable; the caller decides.
            Ok(None) | Err(_) => return Ok(()),
        };
        let events = parser
            .feed(&chunk)
            .map_err(|e| BridgeFailure::transient(e.to_string()))?;
        for event in events {
            let Ok(value) = serde_json::from_str::<Value>(&event.data) else {
                tracing::warn!("an SSE event that is not JSON was dropped");
                continue;
            };
            note_protocol(shared, &value).await;
            if let Some(p) = pending.as_deref_mut() {
                answered(p, &value);
            }
            shared.emit(value);
        }
        if pending.as_ref().is_some_and(|p| p.is_empty()) {
            return Ok(());
        }
    }
}

/// GET on the MCP endpoint: the server's own stream, or the resumption of
/// one (`Last-Event-ID`). None: the server offers no GET stream (405).
async fn open_get<H: BridgeHost>(
    shared: &Shared<H>,
    last_event_id: Option<&str>,
) -> Result<Option<reqwest::Response>, BridgeFailure> {
    let mut token = shared.host.token().await?;
    // A nonce challenge and a rejected token each get one more try.
    for retry in [false, true, true] {
        let mut request = shared
            .http
            .get(shared.opts.url.clone())
            .header(ACCEPT, "text/event-stream");
        for (k, v) in forward::headers(shared, &token, "GET").await {
            request = request.header(k, v);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.map_err(network)?;
        forward::note_session(shared, &response).await;
        match response.status().as_u16() {
            200 => return Ok(Some(response)),
            401 if !retry => {
                let fresh = shared.host.replace(&token.secret).await?;
                token = fresh;
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// The GET stream for server-initiated messages, opened again when it ends
/// (bounded), until the session closes (the task is aborted then).
pub(super) async fn listen<H: BridgeHost>(shared: std::sync::Arc<Shared<H>>) {
    let mut parser = Parser::default();
    for _ in 0..MAX_LISTEN {
        let last = parser.last_id.clone();
        match open_get(&shared, last.as_deref()).await {
            Ok(Some(mut response)) => {
                if let Err(e) = relay(&shared, &mut response, &mut parser, None).await {
                    tracing::warn!(message = %e.message, "GET stream failed");
                }
            }
            Ok(None) => return,
            Err(e) => tracing::warn!(message = %e.message, "GET stream could not be opened"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// DELETE ends the session at the server (it may refuse with 405).
pub(super) async fn close_session<H: BridgeHost>(shared: &Shared<H>) {
    if shared.session_id.lock().await.is_none() {
        return;
    }
    let Ok(token) = shared.host.token().await else {
        return;
    };
    let mut request = shared
        .http
        .delete(shared.opts.url.clone())
        .timeout(Duration::from_secs(5));
    for (k, v) in forward::headers(shared, &token, "DELETE").await {
        request = request.header(k, v);
    }
    if let Err(e) = request.send().await {
        tracing::info!(error = %e.without_url(), "DELETE of the session failed");
    }
}
