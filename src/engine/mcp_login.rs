//! `credtop mcp login URL`: logs in to a remote MCP server's authorization
//! server as the MCP authorization spec describes (RFC 9728 discovery, RFC
//! 8414 / OIDC metadata, a providers.toml client or RFC 7591 registration,
//! PKCE with the RFC 8707 resource) and stores an ordinary OAuth
//! credential, plus the server's record that makes refresh, revoke and the
//! bridge work on it.

use std::sync::Arc;
use std::time::Duration;

use super::lifecycle::{Lifecycle, LifecycleError, LoginAttempt};
use crate::model::{Credential, Secret};
use crate::oauth::{
    self, Endpoints, LoginPrompt, OAuthError, ProviderConfig, dpop, registration, resource,
};
use crate::store::RemoteServer;

pub struct McpLoginOptions {
    pub url: String,
    /// The credential's name (default: from the URL's host and port).
    pub name: Option<String>,
    /// Scopes to ask for, space-separated; added to those already granted.
    pub scope: Option<String>,
    pub timeout: Duration,
}

/// The provider configuration a remote server's record stands for.
pub(super) fn provider_config(remote: &RemoteServer) -> ProviderConfig {
    ProviderConfig {
        issuer: Some(remote.issuer.clone()),
        client_id: Some(remote.client_id.clone()),
        scopes: remote.scopes.clone(),
        resource: vec![remote.url.clone()],
        ..ProviderConfig::default()
    }
}

/// `mcp.example.com` -> `mcp.example.com`; `127.0.0.1:8080` -> `127.0.0.1-8080`.
pub fn default_name(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("mcp").trim_matches(['[', ']']);
    let mut name: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if let Some(port) = url.port() {
        name.push_str(&format!("-{port}"));
    }
    let name: String = name
        .trim_start_matches(['-', '.'])
        .chars()
        .take(64)
        .collect();
    if name.is_empty() {
        "mcp".to_string()
    } else {
        name
    }
}

/// The command that logs in to `url` again as `name`, with `scope`.
/// Quoted for the shell: the URL and the scopes come from a server.
pub fn mcp_relogin(url: &str, name: &str, scope: Option<&str>) -> String {
    use crate::model::shell_quoted;
    let mut cmd = format!(
        "credtop mcp login {} --name {}",
        shell_quoted(url),
        shell_quoted(name)
    );
    if let Some(s) = scope.filter(|s| !s.is_empty()) {
        cmd.push_str(&format!(" --scope {}", shell_quoted(s)));
    }
    cmd
}

impl Lifecycle {
    /// Logs in to the MCP server at `opts.url` and stores the credential.
    /// Run again with a wider `scope`, it widens the grant under the same
    /// name (step-up): the scopes already granted are asked for too.
    pub async fn mcp_login(
        &self,
        opts: &McpLoginOptions,
        prompt: &(dyn Fn(LoginPrompt) + Send + Sync),
    ) -> Result<Credential, LifecycleError> {
        let url = resource::check_server_url(&opts.url)?;
        let name = opts.name.clone().unwrap_or_else(|| default_name(&url));
        let previous = self.store().load(&name).ok();
        let again = mcp_relogin(url.as_str(), &name, opts.scope.as_deref());
        let attempt = LoginAttempt {
            name: &name,
            provider: &name,
            detail: "remote MCP server, browser, PKCE",
            again: &again,
        };
        // Filled by a successful login, saved just before the credential.
        let record = std::sync::OnceLock::new();
        let bound_key = std::sync::OnceLock::new();
        let obtain = async {
            let meta = resource::discover(self.http(), &url).await?;
            let issuer = meta.authorization_servers[0].clone();
            let mut cfg = ProviderConfig {
                issuer: Some(issuer.clone()),
                resource: vec![meta.resource.clone()],
                ..ProviderConfig::default()
            };
            let endpoints = oauth::resolve_endpoints(self.home(), &name, &cfg, self.http()).await?;
            let (client_id, client_secret) = self.mcp_client(&issuer, &endpoints).await?;
            cfg.client_id = Some(client_id.clone());
            cfg.client_secret = client_secret;
            cfg.scopes = choose_scopes(opts, &meta, &endpoints, previous.as_ref());
            let client = oauth::build_client(&endpoints, &cfg)?;
            // RFC 9449: bind the tokens to our key wherever the server can.
            // One key per credential: a step-up login keeps the same one.
            let key = if endpoints.dpop_algs.iter().any(|a| a == dpop::ALG) {
                let kept = dpop::load(self.home(), &name)?;
                Some(Arc::new(kept.unwrap_or_else(dpop::DpopKey::generate)))
            } else {
                None
            };
            let http = match &key {
                Some(k) => self.http().with_dpop(Arc::clone(k)),
                None => self.http().clone(),
            };
            let tokens = oauth::login_loopback(
                client,
                &endpoints,
                &http,
                &cfg.scopes,
                &cfg.resource,
                opts.timeout,
                prompt,
            )
            .await?;
            let _ = record.set(RemoteServer {
                url: meta.resource.clone(),
                issuer,
                client_id,
                scopes: cfg.scopes.clone(),
                dpop: tokens.token_type.eq_ignore_ascii_case("dpop"),
            });
            if let Some(k) = key {
                let _ = bound_key.set(k);
            }
            Ok::<_, OAuthError>(tokens.into_credential(
                &name,
                &name,
                &cfg.scopes,
                None,
                self.store().source(),
            ))
        };
        let home = self.home().to_path_buf();
        let (cred, _) = self
            .complete_login(&attempt, obtain, || {
                // The key first: a record that says DPoP needs its key.
                if let Some(k) = bound_key.get() {
                    dpop::save(&home, &name, k)?;
                }
                match record.get() {
                    Some(r) => crate::store::save_remote(&home, &name, r),
                    None => Ok(()),
                }
            })
            .await?;
        Ok(cred)
    }

    /// The client to log in with: a providers.toml table for this issuer
    /// wins; else the registration kept for the issuer; else a new one.
    async fn mcp_client(
        &self,
        issuer: &str,
        endpoints: &Endpoints,
    ) -> Result<(String, Option<Secret>), OAuthError> {
        let same = |a: &str| a.trim_end_matches('/') == issuer.trim_end_matches('/');
        for table in self.providers().names() {
            let cfg = self.providers().get(table).expect("listed");
            if let (Some(i), Some(id)) = (&cfg.issuer, &cfg.client_id)
                && same(i)
            {
                return Ok((id.clone(), cfg.client_secret.clone()));
            }
        }
        if let Some(reg) = registration::reusable(self.home(), issuer, self.http()).await {
            return Ok((reg.client_id, reg.client_secret));
        }
        let Some(endpoint) = &endpoints.registration_url else {
            return Err(OAuthError::config(format!(
                "{issuer} offers no dynamic client registration (RFC 7591); put a client_id it knows in providers.toml: [providers.NAME] issuer = \"{issuer}\", client_id = \"...\""
            )));
        };
        let reg = registration::register(self.home(), issuer, endpoint, self.http()).await?;
        Ok((reg.client_id, reg.client_secret))
    }
}

/// `--scope`, else the 401's `scope`, else the metadata's `scopes_supported`;
/// plus what is already granted (step-up widens, never narrows), plus
/// `offline_access` where the server knows it, for a refresh token.
fn choose_scopes(
    opts: &McpLoginOptions,
    meta: &resource::ResourceMetadata,
    endpoints: &Endpoints,
    previous: Option<&Credential>,
) -> Vec<String> {
    let asked = opts
        .scope
        .clone()
        .or_else(|| meta.challenge_scope.clone())
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_else(|| meta.scopes_supported.clone());
    let mut scopes: Vec<String> = previous.map(|p| p.scopes.clone()).unwrap_or_default();
    for s in asked {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let offline = "offline_access".to_string();
    if endpoints.scopes_supported.contains(&offline) && !scopes.contains(&offline) {
        scopes.push(offline);
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_valid_credential_names() {
        for (u, want) in [
            ("https://mcp.example.com/mcp", "mcp.example.com"),
            ("http://127.0.0.1:8080/mcp", "127.0.0.1-8080"),
            ("http://[::1]:9/mcp", "1-9"),
        ] {
            let name = default_name(&url::Url::parse(u).unwrap());
            assert_eq!(name, want);
            assert!(crate::model::validate_name(&name).is_ok());
        }
    }

    #[test]
    fn relogin_quotes_the_scope() {
        assert_eq!(
            mcp_relogin("https://m/mcp", "m", Some("a b")),
            "credtop mcp login https://m/mcp --name m --scope 'a b'"
        );
        assert_eq!(
            mcp_relogin("https://m/mcp", "m", None),
            "credtop mcp login https://m/mcp --name m"
        );
    }
}
