//! Where a provider's endpoints are: explicit URLs in providers.toml win,
//! then discovery from `issuer` (RFC 8414 metadata, then OpenID Connect
//! discovery), then the preset. Discovery is cached for a day under
//! `$CREDTOP_HOME/cache/`, so `credtop token` does not pay for it.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::provider::{ProviderConfig, RevocationStyle};
use super::{HttpClient, OAuthError};
use crate::model::Name;

const CACHE_TTL_HOURS: i64 = 24;

/// Everything credtop needs to talk to one provider.
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub provider: String,
    pub issuer: Option<String>,
    pub authorization_url: Option<Url>,
    pub token_url: Url,
    pub device_authorization_url: Option<Url>,
    pub revocation_url: Option<Url>,
    pub introspection_url: Option<Url>,
    pub revocation: RevocationStyle,
    pub revoke_page: Option<String>,
    pub extra_auth_params: Vec<(String, String)>,
    /// RFC 9207: the server puts `iss` in its authorization responses.
    pub iss_in_response: bool,
    /// The metadata lists the RFC 8693 token-exchange grant.
    pub token_exchange: bool,
    /// RFC 7591 dynamic registration, where the server offers it.
    pub registration_url: Option<Url>,
    /// RFC 9449 §5.1: the DPoP proof algorithms the server accepts.
    pub dpop_algs: Vec<String>,
    pub scopes_supported: Vec<String>,
}

/// The discovery fields credtop uses (RFC 8414 §2).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Metadata {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    /// Always Some once fetched (empty when the server lists none), so a
    /// cache written before credtop read this field is refetched.
    #[serde(default)]
    grant_types_supported: Option<Vec<String>>,
    registration_endpoint: Option<String>,
    #[serde(default)]
    dpop_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct CachedMetadata {
    issuer: String,
    fetched_at: DateTime<Utc>,
    metadata: Metadata,
}

pub async fn resolve(
    home: &Path,
    name: &str,
    cfg: &ProviderConfig,
    http: &HttpClient,
) -> Result<Endpoints, OAuthError> {
    let preset = cfg.preset(name)?;
    let meta = match &cfg.issuer {
        Some(issuer) => {
            let cache_name = Name::parse(name)
                .map_err(|e| OAuthError::config(format!("provider name refused: {e}")))?;
            discover(home, &cache_name, issuer, http).await?
        }
        None => Metadata::default(),
    };
    let pick = |explicit: &Option<String>, discovered: &Option<String>, preset: Option<&str>| {
        explicit
            .clone()
            .or_else(|| discovered.clone())
            .or_else(|| preset.map(str::to_string))
    };
    let url = |field: &str, v: Option<String>| v.map(|s| parse_endpoint(field, &s)).transpose();
    let token_url = url(
        "token_url",
        pick(&cfg.token_url, &meta.token_endpoint, preset.map(|p| p.token_url)),
    )?
    .ok_or_else(|| {
        OAuthError::config(format!(
            "provider {name:?} has no token endpoint: give issuer (for discovery), token_url, or a preset"
        ))
    })?;
    let revocation_url = url(
        "revocation_url",
        pick(
            &cfg.revocation_url,
            &meta.revocation_endpoint,
            preset.and_then(|p| p.revocation_url),
        ),
    )?;
    Ok(Endpoints {
        provider: name.to_string(),
        issuer: cfg.issuer.clone(),
        authorization_url: url(
            "authorization_url",
            pick(
                &cfg.authorization_url,
                &meta.authorization_endpoint,
                preset.map(|p| p.authorization_url),
            ),
        )?,
        token_url,
        device_authorization_url: url(
            "device_authorization_url",
            pick(
                &cfg.device_authorization_url,
                &meta.device_authorization_endpoint,
                preset.and_then(|p| p.device_authorization_url),
            ),
        )?,
        introspection_url: url(
            "introspection_url",
            pick(&cfg.introspection_url, &meta.introspection_endpoint, None),
        )?,
        revocation: match (preset, &revocation_url) {
            (Some(p), _) if cfg.revocation_url.is_none() => p.revocation,
            (_, Some(_)) => RevocationStyle::Rfc7009,
            (_, None) => RevocationStyle::WebOnly,
        },
        revocation_url,
        revoke_page: preset.map(|p| p.revoke_page.to_string()),
        extra_auth_params: preset
            .map(|p| {
                p.extra_auth_params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        iss_in_response: meta.authorization_response_iss_parameter_supported,
        token_exchange: meta
            .grant_types_supported
            .iter()
            .flatten()
            .any(|g| g == super::exchange::TOKEN_EXCHANGE_GRANT),
        registration_url: url("registration_endpoint", meta.registration_endpoint.clone())?,
        dpop_algs: meta.dpop_signing_alg_values_supported.clone(),
        scopes_supported: meta.scopes_supported.clone(),
    })
}

/// Endpoints must be https, except on loopback (tests, local servers).
fn parse_endpoint(field: &str, text: &str) -> Result<Url, OAuthError> {
    // The text is not quoted: it may carry a password in its userinfo.
    let url =
        Url::parse(text).map_err(|e| OAuthError::config(format!("{field} is not a URL: {e}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(OAuthError::config(format!(
            "{field} {} must use https (plain http is accepted only on loopback)",
            shown_url(&url)
        ))),
    }
}

/// A URL for a message: without its userinfo (a user name or password in
/// providers.toml is a secret too), control characters escaped.
pub fn shown_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    crate::model::shown(url.as_str())
}

async fn discover(
    home: &Path,
    name: &Name,
    issuer: &str,
    http: &HttpClient,
) -> Result<Metadata, OAuthError> {
    let cache_path = home.join("cache").join(name.file_name(".discovery.json"));
    if let Some(meta) = read_cache(&cache_path, issuer) {
        return Ok(meta);
    }
    let base = parse_endpoint("issuer", issuer)?;
    let mut last_error = None;
    for url in discovery_urls(&base) {
        match http.get_json(url.as_str()).await {
            Ok((200, value @ Value::Object(_))) => {
                let mut meta: Metadata = serde_json::from_value(value).map_err(|_| {
                    OAuthError::config(format!(
                        "discovery document at {} is malformed",
                        shown_url(&url)
                    ))
                })?;
                meta.grant_types_supported.get_or_insert_with(Vec::new);
                // RFC 8414 §3.3: the metadata must be for the issuer we asked about.
                if meta.issuer.as_deref().map(trim_slash) != Some(trim_slash(issuer)) {
                    return Err(OAuthError::config(format!(
                        "discovery at {} describes issuer {}, not {}",
                        shown_url(&url),
                        crate::model::shown(&meta.issuer.unwrap_or_default()),
                        shown_url(&base)
                    )));
                }
                write_cache(home, &cache_path, issuer, &meta);
                return Ok(meta);
            }
            Ok((status, _)) => {
                last_error = Some(OAuthError::config(format!(
                    "discovery at {}: HTTP {status}",
                    shown_url(&url)
                )))
            }
            Err(e) => last_error = Some(OAuthError::from(e)),
        }
    }
    Err(last_error.unwrap_or_else(|| OAuthError::config("no discovery URL")))
}

fn trim_slash(s: &str) -> &str {
    s.trim_end_matches('/')
}

/// RFC 8414 §3.1 inserts the well-known segment before the issuer's path;
/// OpenID Connect Discovery §4 appends it. For an issuer with a path the
/// MCP authorization spec also tries OpenID's with path insertion, before
/// the appended form.
fn discovery_urls(issuer: &Url) -> Vec<Url> {
    let path = trim_slash(issuer.path()).to_string();
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let mut urls = vec![rfc8414];
    if !path.is_empty() {
        let mut inserted = issuer.clone();
        inserted.set_path(&format!("/.well-known/openid-configuration{path}"));
        urls.push(inserted);
    }
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    urls.push(oidc);
    urls
}

fn read_cache(path: &Path, issuer: &str) -> Option<Metadata> {
    let bytes = crate::store::read_private(path).ok()?;
    let cached: CachedMetadata = serde_json::from_slice(&bytes).ok()?;
    let fresh = Utc::now() - cached.fetched_at < Duration::hours(CACHE_TTL_HOURS);
    let complete = cached.metadata.grant_types_supported.is_some();
    (fresh && complete && cached.issuer == issuer).then_some(cached.metadata)
}

fn write_cache(home: &Path, path: &Path, issuer: &str, meta: &Metadata) {
    let cached = CachedMetadata {
        issuer: issuer.to_string(),
        fetched_at: Utc::now(),
        metadata: meta.clone(),
    };
    let result = crate::store::ensure_private_dir(&home.join("cache")).and_then(|_| {
        crate::store::write_atomic(path, &serde_json::to_vec(&cached).expect("serializes"))
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "discovery cache not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_urls_follow_both_rfcs() {
        let urls = discovery_urls(&Url::parse("https://id.example.com/tenant/").unwrap());
        assert_eq!(
            urls[0].as_str(),
            "https://id.example.com/.well-known/oauth-authorization-server/tenant"
        );
        assert_eq!(
            urls[1].as_str(),
            "https://id.example.com/.well-known/openid-configuration/tenant"
        );
        assert_eq!(
            urls[2].as_str(),
            "https://id.example.com/tenant/.well-known/openid-configuration"
        );
        let root = discovery_urls(&Url::parse("http://127.0.0.1:4000").unwrap());
        assert_eq!(
            root[1].as_str(),
            "http://127.0.0.1:4000/.well-known/openid-configuration"
        );
    }

    #[test]
    fn a_cache_from_before_grant_types_were_read_is_refetched() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("acme.discovery.json");
        let old = serde_json::json!({
            "issuer": "http://127.0.0.1:9",
            "fetched_at": Utc::now(),
            "metadata": {"issuer": "http://127.0.0.1:9", "token_endpoint": "http://127.0.0.1:9/token"}
        });
        crate::store::write_atomic(&path, old.to_string().as_bytes()).unwrap();
        assert!(read_cache(&path, "http://127.0.0.1:9").is_none());
        let meta = Metadata {
            grant_types_supported: Some(vec![]),
            ..Metadata::default()
        };
        write_cache(home.path(), &path, "http://127.0.0.1:9", &meta);
        assert!(read_cache(&path, "http://127.0.0.1:9").is_some());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(parse_endpoint("token_url", "http://127.0.0.1:9/token").is_ok());
        assert!(parse_endpoint("token_url", "https://id.example.com/token").is_ok());
        let e = parse_endpoint("token_url", "http://id.example.com/token").unwrap_err();
        assert!(e.message.contains("https"), "{e}");
    }
}
