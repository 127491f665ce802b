//! What the MCP client sees when a forwarded request fails: a JSON-RPC
//! error whose `error.data.kind` is one of the SPEC's typed failures
//! (`credential_expired`, `credential_revoked`, `scope_insufficient`,
//! `rate_limited`, `transient`), never a generic tool failure.

use serde_json::{Value, json};

use crate::model::FailureKind;

/// JSON-RPC 2.0 §5.1 leaves -32000 to -32099 to the implementation.
pub const CODE: i64 = -32000;

/// A typed failure of one forwarded request. The message never holds a
/// token: it is built from typed errors and the server's error codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeFailure {
    pub kind: FailureKind,
    pub message: String,
    /// `scope_insufficient`: what the server asked for.
    pub scope: Option<String>,
    /// The command that fixes it (a wider login, a new login).
    pub fix: Option<String>,
    /// `rate_limited`: seconds until the server takes requests again.
    pub retry_after: Option<u64>,
}

impl BridgeFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        BridgeFailure {
            kind,
            message: message.into(),
            scope: None,
            fix: None,
            retry_after: None,
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        BridgeFailure::new(FailureKind::Transient, message)
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// The JSON-RPC error response to request `id`.
    pub fn to_response(&self, id: &Value) -> Value {
        let mut data = json!({ "kind": self.kind.as_str() });
        if let Some(s) = &self.scope {
            data["scope"] = json!(s);
        }
        if let Some(f) = &self.fix {
            data["fix"] = json!(f);
        }
        if let Some(r) = self.retry_after {
            data["retry_after"] = json!(r);
        }
        json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {
                "code": CODE,
                "message": format!("credtop: {}: {}", self.kind.as_str(), self.message),
                "data": data,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_insufficient_carries_scope_and_fix() {
        let mut f = BridgeFailure::new(FailureKind::ScopeInsufficient, "needs mcp:write");
        f.scope = Some("mcp:read mcp:write".into());
        let f = f.with_fix("credtop mcp login URL --name n --scope \"mcp:read mcp:write\"");
        let r = f.to_response(&json!(7));
        assert_eq!(r["id"], 7);
        assert_eq!(r["error"]["code"], CODE);
        assert_eq!(r["error"]["data"]["kind"], "scope_insufficient");
        assert_eq!(r["error"]["data"]["scope"], "mcp:read mcp:write");
        assert!(
            r["error"]["data"]["fix"]
                .as_str()
                .unwrap()
                .contains("--scope")
        );
    }
}
