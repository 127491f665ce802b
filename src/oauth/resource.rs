//! Protected resource metadata (RFC 9728), found the way the MCP
//! authorization spec says: an unauthenticated request to the server, the
//! `resource_metadata` of its 401 (§5.1), else the well-known URL with the
//! resource's path, then without (§3.1).

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::challenge::{self, Challenge};
use super::{HttpClient, OAuthError};

/// What a login needs to know about a remote MCP server.
#[derive(Clone, Debug)]
pub struct ResourceMetadata {
    /// The resource identifier (RFC 8707), equal to the URL the user gave.
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<String>,
    /// The `scope` of the server's 401 challenge, when it gave one.
    pub challenge_scope: Option<String>,
    /// Where the metadata came from (for messages).
    pub metadata_url: Url,
}

#[derive(Deserialize)]
struct Document {
    resource: String,
    #[serde(default)]
    authorization_servers: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
}

/// A remote MCP server's URL must be https, or http on loopback.
pub fn check_server_url(text: &str) -> Result<Url, OAuthError> {
    let url =
        Url::parse(text).map_err(|e| OAuthError::config(format!("{text:?} is not a URL: {e}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(OAuthError::config(format!(
            "{text} uses plain http to a host that is not loopback; tokens would cross the network in clear text. Use its https URL"
        ))),
        other => Err(OAuthError::config(format!(
            "{text}: scheme {other:?} is not an MCP server URL (https, or http on loopback)"
        ))),
    }
}

/// Discovers the metadata of the MCP server at `url` and checks that it is
/// about that very URL (RFC 9728 §3.3: otherwise an attacker's metadata
/// could send our login, and its token, elsewhere).
pub async fn discover(http: &HttpClient, url: &Url) -> Result<ResourceMetadata, OAuthError> {
    let challenges = probe(http, url).await?;
    let challenge_scope = challenge::find_param(&challenges, "scope").map(str::to_string);
    let candidates = match challenge::find_param(&challenges, "resource_metadata") {
        Some(advertised) => vec![check_server_url(advertised).map_err(|e| {
            OAuthError::config(format!(
                "the server's resource_metadata is unusable: {}",
                e.message
            ))
        })?],
        None => well_known_urls(url),
    };
    let mut last = None;
    for candidate in candidates {
        match fetch(http, &candidate).await {
            Ok(Some(doc)) => return accept(doc, url, candidate, challenge_scope),
            Ok(None) => last = Some(candidate),
            Err(e) => return Err(e),
        }
    }
    Err(OAuthError::config(format!(
        "{url} publishes no protected resource metadata (RFC 9728): its 401 names no resource_metadata and {} is missing; it cannot be logged in to by discovery",
        last.map(|u| u.to_string()).unwrap_or_default()
    )))
}

/// The unauthenticated request. A server that answers without asking for
/// a token needs no login.
async fn probe(http: &HttpClient, url: &Url) -> Result<Vec<Challenge>, OAuthError> {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "credtop", "version": env!("CARGO_PKG_VERSION")}}
    });
    let request = http
        .reqwest()
        .post(url.clone())
        .header(http::header::ACCEPT, "application/json, text/event-stream")
        .json(&body);
    let (status, headers, _) = http.send_raw(request).await?;
    match status {
        401 => Ok(challenge::parse_all(&headers)),
        200..=299 => Err(OAuthError::config(format!(
            "{url} answered without asking for a token (HTTP {status}); it needs no login"
        ))),
        _ => Ok(Vec::new()),
    }
}

/// RFC 9728 §3.1: the well-known segment goes before the resource's path;
/// the MCP spec then falls back to the root.
fn well_known_urls(url: &Url) -> Vec<Url> {
    let path = url.path().trim_end_matches('/');
    let mut urls = Vec::new();
    let mut with_path = url.clone();
    with_path.set_query(None);
    with_path.set_fragment(None);
    with_path.set_path(&format!("/.well-known/oauth-protected-resource{path}"));
    urls.push(with_path.clone());
    if !path.is_empty() {
        let mut root = with_path;
        root.set_path("/.well-known/oauth-protected-resource");
        urls.push(root);
    }
    urls
}

/// The document, None when it is not there (404 and the like).
async fn fetch(http: &HttpClient, url: &Url) -> Result<Option<Document>, OAuthError> {
    let request = http
        .reqwest()
        .get(url.clone())
        .header(http::header::ACCEPT, "application/json");
    let (status, _, body) = http.send_raw(request).await?;
    if status != 200 {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(&body).map_err(|_| malformed(url, "not JSON"))?;
    let doc: Document = serde_json::from_value(value)
        .map_err(|_| malformed(url, "no string \"resource\", or a field of the wrong type"))?;
    Ok(Some(doc))
}

fn malformed(url: &Url, why: &str) -> OAuthError {
    OAuthError::config(format!(
        "the protected resource metadata at {url} is malformed ({why}); nothing was stored"
    ))
}

fn accept(
    doc: Document,
    url: &Url,
    metadata_url: Url,
    challenge_scope: Option<String>,
) -> Result<ResourceMetadata, OAuthError> {
    if !same_resource(&doc.resource, url.as_str()) {
        return Err(OAuthError::config(format!(
            "the metadata at {metadata_url} is for resource {:?}, not {url} (RFC 9728 §3.3); refusing to log in",
            doc.resource
        )));
    }
    if doc.authorization_servers.is_empty() {
        return Err(malformed(&metadata_url, "no authorization_servers"));
    }
    Ok(ResourceMetadata {
        resource: url.as_str().to_string(),
        authorization_servers: doc.authorization_servers,
        scopes_supported: doc.scopes_supported,
        challenge_scope,
        metadata_url,
    })
}

/// Identical, except for one trailing slash (`https://h` parses as `https://h/`).
fn same_resource(a: &str, b: &str) -> bool {
    a.strip_suffix('/').unwrap_or(a) == b.strip_suffix('/').unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_with_path_then_root() {
        let urls = well_known_urls(&Url::parse("https://mcp.example.com/v1/mcp?x=1").unwrap());
        assert_eq!(
            urls[0].as_str(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp"
        );
        assert_eq!(
            urls[1].as_str(),
            "https://mcp.example.com/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            well_known_urls(&Url::parse("https://mcp.example.com/").unwrap()).len(),
            1
        );
    }

    #[test]
    fn server_urls_need_https_off_loopback() {
        assert!(check_server_url("http://127.0.0.1:9/mcp").is_ok());
        assert!(check_server_url("https://mcp.example.com/mcp").is_ok());
        let e = check_server_url("http://mcp.example.com/mcp").unwrap_err();
        assert!(e.message.contains("plain http"), "{e}");
        assert!(check_server_url("ftp://x/").is_err());
    }

    #[test]
    fn resources_compare_exactly_but_for_one_trailing_slash() {
        assert!(same_resource("https://h/mcp", "https://h/mcp"));
        assert!(same_resource("https://h", "https://h/"));
        assert!(!same_resource("https://h/mcp", "https://h/other"));
        assert!(!same_resource("https://evil/mcp", "https://h/mcp"));
    }
}
