//! etcd's v3 JSON gateway: the grpc-gateway that every etcd member serves on
//! its client port in front of the KV, Lease and Watch services (`/v3/...`
//! since 3.4). Keys and values travel as base64 in JSON, 64-bit numbers as
//! decimal strings, and a field at its default value is left out (proto3
//! JSON), so `succeeded: false` arrives as no field at all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::store::StoreError;

/// gRPC status codes after which another member (or the same one, a moment
/// later) may well answer: UNAVAILABLE ("leader changed", "no leader"),
/// DEADLINE_EXCEEDED, CANCELED, ABORTED.
const RETRYABLE_GRPC: [i64; 4] = [14, 4, 1, 10];

/// One key-value as etcd returns it.
#[derive(Clone, Debug)]
pub(super) struct Kv {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub mod_revision: i64,
    pub lease: i64,
}

pub(super) struct Gateway {
    endpoints: Vec<String>,
    http: reqwest::Client,
    per_request: Duration,
    budget: Duration,
    /// The member that answered last: asked first next time.
    preferred: AtomicUsize,
}

enum Attempt {
    /// This member did not answer usefully; try another.
    Retry(String),
    /// The cluster answered, and the answer is no.
    Fatal(StoreError),
}

impl Gateway {
    pub fn new(endpoints: &[String], per_request: Duration, budget: Duration) -> Self {
        let endpoints = endpoints
            .iter()
            .map(|e| e.trim_end_matches('/').to_string())
            .collect();
        Gateway {
            endpoints,
            http: reqwest::Client::builder()
                .connect_timeout(per_request)
                .build()
                .expect("HTTP client builds"),
            per_request,
            budget,
            preferred: AtomicUsize::new(0),
        }
    }

    /// POSTs `body` to `path`, trying each member in turn with a short
    /// timeout, round after round, until one answers or the call's budget
    /// is spent: a dead member costs one connect, an election a few rounds.
    pub async fn call(&self, path: &str, body: &Value) -> Result<Value, StoreError> {
        let deadline = Instant::now() + self.budget;
        let n = self.endpoints.len();
        let mut last = String::from("no endpoints configured");
        let mut pause = Duration::from_millis(50);
        loop {
            let start = self.preferred.load(Ordering::Relaxed);
            for i in 0..n {
                let idx = (start + i) % n;
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match self.once(idx, path, body, self.per_request.min(left)).await {
                    Ok(v) => {
                        self.preferred.store(idx, Ordering::Relaxed);
                        return Ok(v);
                    }
                    Err(Attempt::Retry(why)) => last = format!("{}: {why}", self.endpoints[idx]),
                    Err(Attempt::Fatal(e)) => return Err(e),
                }
            }
            if Instant::now() + pause >= deadline {
                return Err(StoreError::StoreUnavailable {
                    endpoints: self.endpoints.join(", "),
                    reason: last,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }

    async fn once(
        &self,
        idx: usize,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, Attempt> {
        let url = format!("{}{path}", self.endpoints[idx]);
        let resp = self
            .http
            .post(&url)
            .timeout(timeout)
            .json(body)
            .send()
            .await
            .map_err(|e| Attempt::Retry(describe(&e)))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Attempt::Retry(describe(&e)))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| Attempt::Retry(format!("HTTP {status} with a body that is not JSON")))?;
        // Errors arrive as {"error": ..., "code": N, "message": ...}, with a
        // non-2xx status; a streaming call wraps them in "error" too.
        if let Some(code) = value.get("code").and_then(Value::as_i64) {
            let message = value
                .get("message")
                .or_else(|| value.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_string();
            return Err(if RETRYABLE_GRPC.contains(&code) {
                Attempt::Retry(message)
            } else {
                Attempt::Fatal(StoreError::Etcd(message))
            });
        }
        if !status.is_success() {
            return Err(Attempt::Retry(format!("HTTP {status}")));
        }
        Ok(value)
    }

    /// The keys equal to `key` (or starting with it, when `prefix`).
    /// A serializable read is answered by whichever member is asked, from
    /// its own copy, leader or not; a linearizable one goes through the
    /// leader and sees every write acknowledged before it.
    pub async fn range(
        &self,
        key: &[u8],
        prefix: bool,
        serializable: bool,
    ) -> Result<Vec<Kv>, StoreError> {
        let mut body = json!({ "key": B64.encode(key), "serializable": serializable });
        if prefix {
            body["range_end"] = json!(B64.encode(prefix_end(key)));
        }
        let v = self.call("/v3/kv/range", &body).await?;
        Ok(parse_kvs(&v))
    }

    pub async fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let body = json!({ "key": B64.encode(key), "value": B64.encode(value) });
        self.call("/v3/kv/put", &body).await.map(|_| ())
    }

    pub async fn delete(&self, key: &[u8]) -> Result<(), StoreError> {
        let body = json!({ "key": B64.encode(key) });
        self.call("/v3/kv/deleterange", &body).await.map(|_| ())
    }

    /// A transaction: `success` runs when every compare holds, `failure`
    /// otherwise. Returns whether it succeeded and the whole answer.
    pub async fn txn(
        &self,
        compare: Vec<Value>,
        success: Vec<Value>,
        failure: Vec<Value>,
    ) -> Result<(bool, Value), StoreError> {
        let body = json!({ "compare": compare, "success": success, "failure": failure });
        let v = self.call("/v3/kv/txn", &body).await?;
        let ok = v.get("succeeded").and_then(Value::as_bool).unwrap_or(false);
        Ok((ok, v))
    }

    pub async fn lease_grant(&self, ttl_secs: i64) -> Result<i64, StoreError> {
        let v = self
            .call("/v3/lease/grant", &json!({ "TTL": ttl_secs }))
            .await?;
        Ok(num(&v["ID"]))
    }

    /// One keep-alive; the TTL left, 0 once the lease is gone.
    pub async fn lease_keepalive(&self, id: i64) -> Result<i64, StoreError> {
        let v = self
            .call("/v3/lease/keepalive", &json!({ "ID": id.to_string() }))
            .await?;
        Ok(num(&v["result"]["TTL"]))
    }

    pub async fn lease_revoke(&self, id: i64) -> Result<(), StoreError> {
        match self
            .call("/v3/lease/revoke", &json!({ "ID": id.to_string() }))
            .await
        {
            // Already gone (lapsed, or revoked by someone else): fine.
            Ok(_) | Err(StoreError::Etcd(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// What a watch stream says.
pub(super) enum WatchSignal {
    /// The watch is set up on a member: from here on nothing is missed.
    Created,
    /// A key under the prefix was put or deleted.
    Key(Vec<u8>),
}

impl Gateway {
    /// Watches every key under `prefix` on one member after another (each
    /// connection lives as long as its member), calling `on` for what the
    /// stream says. Returns when the member's stream ends or fails.
    pub async fn watch_once(&self, prefix: &[u8], on: &mut (dyn FnMut(WatchSignal) + Send)) {
        let idx = self.preferred.load(Ordering::Relaxed) % self.endpoints.len().max(1);
        let Some(endpoint) = self.endpoints.get(idx) else {
            return;
        };
        let body = json!({"create_request": {
            "key": B64.encode(prefix),
            "range_end": B64.encode(prefix_end(prefix)),
        }});
        let sent = self
            .http
            .post(format!("{endpoint}/v3/watch"))
            .json(&body)
            .send()
            .await;
        let Ok(mut resp) = sent else {
            // Next time, the next member.
            self.preferred
                .store((idx + 1) % self.endpoints.len(), Ordering::Relaxed);
            return;
        };
        let mut buf: Vec<u8> = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.extend_from_slice(&chunk);
            // The gateway writes one JSON object a line.
            while let Some(end) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=end).collect();
                let Ok(msg) = serde_json::from_slice::<Value>(&line) else {
                    continue;
                };
                let result = &msg["result"];
                if result["created"] == true {
                    on(WatchSignal::Created);
                }
                for ev in result["events"].as_array().into_iter().flatten() {
                    on(WatchSignal::Key(decode(&ev["kv"]["key"])));
                }
                if msg.get("error").is_some() || result["canceled"] == true {
                    return;
                }
            }
        }
        self.preferred
            .store((idx + 1) % self.endpoints.len(), Ordering::Relaxed);
    }
}

/// The first key after every key that starts with `key`.
pub(super) fn prefix_end(key: &[u8]) -> Vec<u8> {
    let mut end = key.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// A proto3 JSON int64: a decimal string, or absent for 0.
pub(super) fn num(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

pub(super) fn parse_kvs(v: &Value) -> Vec<Kv> {
    let Some(kvs) = v.get("kvs").and_then(Value::as_array) else {
        return Vec::new();
    };
    kvs.iter()
        .map(|kv| Kv {
            key: decode(&kv["key"]),
            value: decode(&kv["value"]),
            mod_revision: num(&kv["mod_revision"]),
            lease: num(&kv["lease"]),
        })
        .collect()
}

fn decode(v: &Value) -> Vec<u8> {
    v.as_str()
        .and_then(|s| B64.decode(s).ok())
        .unwrap_or_default()
}

pub(super) fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// A reqwest error in words, without its URL's query (there is none here,
/// but the habit keeps secrets out of errors).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        "the connection failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key() {
        assert_eq!(prefix_end(b"/a/"), b"/a0".to_vec());
        assert_eq!(prefix_end(&[b'a', 0xff]), b"b".to_vec());
    }

    #[test]
    fn proto3_numbers_parse_from_strings_and_absence() {
        assert_eq!(num(&json!("42")), 42);
        assert_eq!(num(&Value::Null), 0);
    }
}
