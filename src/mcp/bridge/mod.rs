//! `credtop mcp connect NAME`: an MCP server on stdio that forwards every
//! message to a remote MCP server over streamable HTTP (MCP spec
//! 2025-06-18, "Transports"), holding the token itself. The MCP client
//! never sees a token; a failure reaches it as a typed JSON-RPC error.
//!
//! What the bridge needs from the rest of credtop (tokens refreshed
//! single-flight by the engine, step-up logins, the session's audit
//! records) comes through [`BridgeHost`], so this part stays below the
//! engine.

mod failure;
mod forward;
mod host;
pub mod sse;
mod stream;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use url::Url;

pub use failure::{BridgeFailure, CODE as ERROR_CODE};
pub use host::BridgeTokens;

use crate::model::Secret;
use crate::oauth::dpop::DpopKey;

/// An access token for one request.
pub struct AccessToken {
    pub secret: Secret,
    /// The engine refreshed it to answer this call.
    pub refreshed: bool,
    /// The key the token is bound to (RFC 9449), proven on each request.
    pub dpop: Option<Arc<DpopKey>>,
}

/// Where the bridge's session begins and ends, for its audit records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionPhase {
    Started,
    Ended,
}

/// One bridge session, as audited: never a token.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SessionReport {
    /// `clientInfo.name` of the MCP client's `initialize`.
    pub client: Option<String>,
    pub parent_pid: u32,
    pub requests: u64,
    pub refreshes: u64,
    pub failures: u64,
    /// The kind of the last failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

/// What the bridge asks of credtop.
pub trait BridgeHost: Send + Sync + 'static {
    /// A token to send now: refreshed first in its danger zone,
    /// single-flight with every other credtop process.
    fn token(&self) -> impl Future<Output = Result<AccessToken, BridgeFailure>> + Send;
    /// The server refused `rejected`: a new token, refreshed unless another
    /// process already replaced it.
    fn replace(
        &self,
        rejected: &Secret,
    ) -> impl Future<Output = Result<AccessToken, BridgeFailure>> + Send;
    /// Widens the grant to `scope` (a browser login); `--step-up` only.
    fn step_up(&self, scope: &str) -> impl Future<Output = Result<(), BridgeFailure>> + Send;
    /// The command that grants `scope`.
    fn scope_fix(&self, scope: &str) -> String;
    /// A request failed (for the dashboard's "last failure").
    fn note_failure(&self, failure: &BridgeFailure);
    /// Called once when the session starts and once when it ends.
    fn session(&self, phase: SessionPhase, report: &SessionReport);
}

pub struct BridgeOptions {
    pub url: Url,
    /// How long one request may take, answer included.
    pub timeout: Duration,
    /// On `insufficient_scope`, log in for the wider scope and retry.
    pub step_up: bool,
}

/// How long requests still in flight get when the client closes stdin.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The state all of a session's tasks share.
struct Shared<H> {
    host: Arc<H>,
    opts: BridgeOptions,
    http: reqwest::Client,
    out: mpsc::UnboundedSender<Value>,
    session_id: Mutex<Option<String>>,
    protocol: Mutex<Option<String>>,
    /// The resource server's latest DPoP nonce (RFC 9449 §9).
    dpop_nonce: Mutex<Option<String>>,
    /// Until when the server asked us to hold back (429 Retry-After).
    rate_until: Mutex<Option<tokio::time::Instant>>,
    client: Mutex<Option<String>>,
    requests: AtomicU64,
    refreshes: AtomicU64,
    failures: AtomicU64,
    last_failure: Mutex<Option<String>>,
}

impl<H: BridgeHost> Shared<H> {
    fn emit(&self, message: Value) {
        let _ = self.out.send(message);
    }

    async fn report(&self) -> SessionReport {
        SessionReport {
            client: self.client.lock().await.clone(),
            // SAFETY: getppid has no preconditions and cannot fail.
            parent_pid: unsafe { libc::getppid() } as u32,
            requests: self.requests.load(Ordering::Relaxed),
            refreshes: self.refreshes.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            last_failure: self.last_failure.lock().await.clone(),
        }
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("credtop/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client builds")
}

/// Serves one MCP client on `input`/`output` until it closes `input`.
pub async fn run<H: BridgeHost>(
    opts: BridgeOptions,
    host: Arc<H>,
    input: impl AsyncRead + Unpin,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> SessionReport {
    let (tx, rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_loop(rx, output));
    let shared = Arc::new(Shared {
        host: Arc::clone(&host),
        opts,
        http: http_client(),
        out: tx,
        session_id: Mutex::new(None),
        protocol: Mutex::new(None),
        dpop_nonce: Mutex::new(None),
        rate_until: Mutex::new(None),
        client: Mutex::new(None),
        requests: AtomicU64::new(0),
        refreshes: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        last_failure: Mutex::new(None),
    });
    let mut tasks = JoinSet::new();
    let mut listener: Option<tokio::task::JoinHandle<()>> = None;
    let mut started = false;
    let mut lines = BufReader::new(input).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            // JSON-RPC 2.0 §5.1: -32700, with a null id.
            shared.emit(serde_json::json!({"jsonrpc": "2.0", "id": null,
                "error": {"code": -32700, "message": "credtop: parse error: not JSON"}}));
            continue;
        };
        if method_of(&message) == Some("initialize") {
            let name = message["params"]["clientInfo"]["name"].as_str();
            *shared.client.lock().await = name.map(str::to_string);
            // The session exists only once this answer is in; nothing
            // else may go out before it.
            forward::forward(Arc::clone(&shared), message).await;
            if !started {
                started = true;
                host.session(SessionPhase::Started, &shared.report().await);
            }
            continue;
        }
        let initialized = method_of(&message) == Some("notifications/initialized");
        tasks.spawn(forward::forward(Arc::clone(&shared), message));
        if initialized && listener.is_none() {
            listener = Some(tokio::spawn(stream::listen(Arc::clone(&shared))));
        }
        while tasks.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    if let Some(l) = listener {
        l.abort();
    }
    stream::close_session(&shared).await;
    let report = shared.report().await;
    host.session(SessionPhase::Ended, &report);
    drop(shared);
    // The writer ends once the aborted tasks have dropped their senders.
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    report
}

fn method_of(message: &Value) -> Option<&str> {
    message.get("method").and_then(Value::as_str)
}

/// One writer owns stdout: each message is one line (the stdio transport
/// forbids embedded newlines, which compact JSON never has).
async fn write_loop(mut rx: mpsc::UnboundedReceiver<Value>, mut output: impl AsyncWrite + Unpin) {
    while let Some(message) = rx.recv().await {
        let mut line = serde_json::to_vec(&message).expect("JSON serializes");
        line.push(b'\n');
        if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}
