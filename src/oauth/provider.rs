//! `$CREDTOP_HOME/providers.toml` (its shape is in the README) and the presets of
//! well-known providers with their endpoints and quirks.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::OAuthError;
use crate::model::{Name, Secret};

/// One `[providers.NAME]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub device_authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub introspection_url: Option<String>,
    pub client_id: Option<String>,
    /// Only for confidential clients; a public client never needs one.
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Fraction of the TTL at which to refresh (default 0.8).
    pub refresh_at: Option<f64>,
    pub preset: Option<String>,
    /// RFC 8707 resource indicator(s) to request the token for.
    #[serde(default)]
    pub resource: Vec<String>,
    /// RFC 8693 token exchange (`credtop exec`): true when the server has
    /// it but its metadata does not say so; false to never try. Unset:
    /// what the metadata's `grant_types_supported` says.
    pub token_exchange: Option<bool>,
    /// The grant's hard end counted from the login (`"12h"`, `"7d"`), for
    /// a provider that ends grants without saying so in its token
    /// responses; overrides the preset's. A stated
    /// `refresh_token_expires_in` wins over both.
    pub session_cap: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderConfig>,
}

/// All configured providers.
#[derive(Debug, Default)]
pub struct Providers {
    map: BTreeMap<String, ProviderConfig>,
}

impl Providers {
    /// Reads providers.toml under the same rules as a credential file (it
    /// may hold a client_secret); a missing file is an empty set. A table
    /// name becomes a file name (the discovery cache), so it must be a
    /// valid [`Name`].
    pub fn load(home: &Path) -> Result<Providers, OAuthError> {
        let path = home.join("providers.toml");
        let text = match crate::store::read_private_toml(&path) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(Providers::default()),
            Err(e) => return Err(OAuthError::config(e.to_string())),
        };
        let file: ProvidersFile = toml::from_str(&text).map_err(|e| {
            OAuthError::config(format!(
                "{}: {}",
                path.display(),
                crate::store::toml_reason(&text, &e)
            ))
        })?;
        for (name, cfg) in &file.providers {
            Name::parse(name)
                .map_err(|e| OAuthError::config(format!("{}: provider {e}", path.display())))?;
            cfg.configured_session_cap(name)
                .map_err(|e| OAuthError::config(format!("{}: {}", path.display(), e.message)))?;
        }
        Ok(Providers {
            map: file.providers,
        })
    }

    pub fn get(&self, name: &str) -> Option<&ProviderConfig> {
        self.map.get(name)
    }

    /// The provider's configuration, or a config error that says how to add it.
    pub fn require(&self, name: &str) -> Result<&ProviderConfig, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::config(format!(
                "no provider {name:?} in providers.toml; add a [providers.{name}] table with issuer (or endpoints) and client_id"
            ))
        })
    }

    /// The refresh point of a provider, when configured.
    pub fn refresh_at(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(|p| p.refresh_at)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

impl ProviderConfig {
    /// The preset this table uses: named by `preset`, or implied by the
    /// table's own name when it has no endpoints of its own.
    pub fn preset(&self, table_name: &str) -> Result<Option<&'static Preset>, OAuthError> {
        match &self.preset {
            Some(p) => Preset::find(p).map(Some).ok_or_else(|| {
                OAuthError::config(format!(
                    "unknown preset {p:?} (known: {})",
                    PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
            None if self.issuer.is_none() && self.token_url.is_none() => {
                Ok(Preset::find(table_name))
            }
            None => Ok(None),
        }
    }

    /// `session_cap` as configured. Its value is not quoted in the error:
    /// a secret pasted into the wrong key must not reach the screen.
    pub fn configured_session_cap(
        &self,
        table_name: &str,
    ) -> Result<Option<chrono::Duration>, OAuthError> {
        let Some(text) = &self.session_cap else {
            return Ok(None);
        };
        crate::model::parse_duration(text).map(Some).map_err(|_| {
            OAuthError::config(format!(
                "provider {table_name:?}: session_cap is not a duration; write it like \"12h\", \"7d\" or \"26w\""
            ))
        })
    }

    /// How long a grant of this provider lasts at most from its login,
    /// when its token responses do not say: providers.toml's
    /// `session_cap`, else the preset's.
    pub fn session_cap(&self, table_name: &str) -> Result<Option<chrono::Duration>, OAuthError> {
        if let Some(cap) = self.configured_session_cap(table_name)? {
            return Ok(Some(cap));
        }
        Ok(self
            .preset(table_name)?
            .and_then(|p| p.session_cap_secs)
            .and_then(chrono::Duration::try_seconds))
    }

    /// Scopes a preset knows to be broader than an agent usually needs.
    pub fn broad_scopes(&self, table_name: &str) -> Vec<String> {
        let Ok(Some(preset)) = self.preset(table_name) else {
            return Vec::new();
        };
        self.scopes
            .iter()
            .filter(|s| preset.broad_scopes.contains(&s.as_str()))
            .cloned()
            .collect()
    }
}

/// How a provider revokes, when it is not plain RFC 7009.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationStyle {
    /// RFC 7009 at `revocation_url`.
    Rfc7009,
    /// GitHub: `DELETE /applications/{client_id}/grant` with Basic auth
    /// client_id:client_secret; impossible for a public client.
    GitHubApplicationGrant,
    /// Slack: `auth.revoke` called with the token itself.
    SlackAuthRevoke,
    /// No API: the user revokes in a web page.
    WebOnly,
}

/// A known provider: endpoints and quirks.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    pub authorization_url: &'static str,
    pub token_url: &'static str,
    pub device_authorization_url: Option<&'static str>,
    pub revocation_url: Option<&'static str>,
    pub revocation: RevocationStyle,
    /// Where a person revokes by hand (for `WebOnly`, and as a fallback).
    pub revoke_page: &'static str,
    /// Extra authorization parameters the provider needs.
    pub extra_auth_params: &'static [(&'static str, &'static str)],
    pub broad_scopes: &'static [&'static str],
    /// The documented hard end of its grants, in seconds from the login,
    /// when every grant with a refresh token has one.
    pub session_cap_secs: Option<i64>,
}

impl Preset {
    pub fn find(name: &str) -> Option<&'static Preset> {
        PRESETS.iter().find(|p| p.name == name)
    }
}

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "github",
        authorization_url: "https://github.com/login/oauth/authorize",
        token_url: "https://github.com/login/oauth/access_token",
        device_authorization_url: Some("https://github.com/login/device/code"),
        revocation_url: None,
        revocation: RevocationStyle::GitHubApplicationGrant,
        revoke_page: "https://github.com/settings/applications",
        extra_auth_params: &[],
        broad_scopes: &[
            "repo",
            "admin:org",
            "delete_repo",
            "admin:repo_hook",
            "write:org",
            "admin:public_key",
            "workflow",
        ],
        // GitHub issues refresh tokens only to GitHub Apps with expiring
        // user tokens, and those last six months: `refresh_token_expires_in`
        // is "always 15811200" (docs.github.com, "Refreshing user access
        // tokens"). Its responses say so too; this covers one that does not.
        session_cap_secs: Some(15_811_200),
    },
    Preset {
        name: "google",
        authorization_url: "https://accounts.google.com/o/oauth2/v2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        device_authorization_url: Some("https://oauth2.googleapis.com/device/code"),
        revocation_url: Some("https://oauth2.googleapis.com/revoke"),
        revocation: RevocationStyle::Rfc7009,
        revoke_page: "https://myaccount.google.com/permissions",
        // Google issues a refresh token only for offline access, and only on
        // consent.
        extra_auth_params: &[("access_type", "offline"), ("prompt", "consent")],
        broad_scopes: &[
            "https://mail.google.com/",
            "https://www.googleapis.com/auth/drive",
            "https://www.googleapis.com/auth/cloud-platform",
        ],
        // Google ends a grant after 7 days only for an app in "Testing"
        // with user type "External" (Google, "Using OAuth 2.0", refresh
        // token expiration); a published app's grants have no fixed end.
        // Such an app sets `session_cap = "7d"` in providers.toml.
        session_cap_secs: None,
    },
    Preset {
        name: "slack",
        authorization_url: "https://slack.com/oauth/v2/authorize",
        token_url: "https://slack.com/api/oauth.v2.access",
        device_authorization_url: None,
        revocation_url: Some("https://slack.com/api/auth.revoke"),
        revocation: RevocationStyle::SlackAuthRevoke,
        revoke_page: "https://slack.com/apps/manage",
        extra_auth_params: &[],
        broad_scopes: &["admin", "chat:write:user", "files:write", "users:write"],
        // Rotating Slack refresh tokens have no documented end.
        session_cap_secs: None,
    },
    Preset {
        name: "microsoft",
        authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        device_authorization_url: Some(
            "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
        ),
        revocation_url: None,
        revocation: RevocationStyle::WebOnly,
        revoke_page: "https://myapps.microsoft.com",
        extra_auth_params: &[],
        broad_scopes: &[
            "Directory.ReadWrite.All",
            "Mail.ReadWrite",
            "Files.ReadWrite.All",
            "Sites.FullControl.All",
        ],
        // Microsoft's fixed 24 h end (carried over to every successor) is
        // for SPA redirect URIs; a native client's refresh tokens last 90
        // days and renew on every use (learn.microsoft.com, "Refresh
        // tokens in the Microsoft identity platform"): no fixed end.
        session_cap_secs: None,
    },
    Preset {
        name: "gitlab",
        authorization_url: "https://gitlab.com/oauth/authorize",
        token_url: "https://gitlab.com/oauth/token",
        device_authorization_url: Some("https://gitlab.com/oauth/authorize_device"),
        revocation_url: Some("https://gitlab.com/oauth/revoke"),
        revocation: RevocationStyle::Rfc7009,
        revoke_page: "https://gitlab.com/-/user_settings/applications",
        extra_auth_params: &[],
        broad_scopes: &["api", "sudo", "admin_mode", "write_repository"],
        session_cap_secs: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Providers, String> {
        toml::from_str::<ProvidersFile>(text)
            .map(|f| Providers { map: f.providers })
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn the_contract_shape_parses() {
        let p = parse(
            r#"
[providers.acme]
issuer = "https://id.example.com"
client_id = "my-public-client"
scopes = ["openid", "offline_access", "repo"]
refresh_at = 0.8
"#,
        )
        .unwrap();
        let acme = p.require("acme").unwrap();
        assert_eq!(acme.client_id.as_deref(), Some("my-public-client"));
        assert_eq!(p.refresh_at("acme"), Some(0.8));
        assert!(acme.preset("acme").unwrap().is_none());
    }

    #[test]
    fn a_table_named_like_a_preset_uses_it_and_warns_on_broad_scopes() {
        let p =
            parse("[providers.github]\nclient_id = \"x\"\nscopes = [\"repo\", \"read:user\"]\n")
                .unwrap();
        let gh = p.require("github").unwrap();
        assert_eq!(gh.preset("github").unwrap().unwrap().name, "github");
        assert_eq!(gh.broad_scopes("github"), ["repo"]);
    }

    #[test]
    fn a_session_cap_comes_from_the_table_else_the_preset() {
        let p = parse(
            "[providers.github]\nclient_id = \"x\"\n\
             [providers.gh-short]\npreset = \"github\"\nsession_cap = \"12h\"\n\
             [providers.google]\nclient_id = \"x\"\n\
             [providers.google-testing]\npreset = \"google\"\nsession_cap = \"7d\"\n\
             [providers.acme]\nissuer = \"https://id.example.com\"\n",
        )
        .unwrap();
        let cap = |name: &str| p.require(name).unwrap().session_cap(name).unwrap();
        assert_eq!(cap("github"), Some(chrono::Duration::seconds(15_811_200)));
        assert_eq!(cap("gh-short"), Some(chrono::Duration::hours(12)));
        assert_eq!(cap("google"), None);
        assert_eq!(cap("google-testing"), Some(chrono::Duration::days(7)));
        assert_eq!(cap("acme"), None);
    }

    #[test]
    fn a_bad_session_cap_is_a_config_error_naming_the_provider() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.toml");
        for bad in ["\"sk-CANARY\"", "\"0s\"", "\"7 days\""] {
            let text = format!("[providers.acme]\nclient_id = \"x\"\nsession_cap = {bad}\n");
            crate::store::write_atomic(&path, text.as_bytes()).unwrap();
            let e = Providers::load(dir.path()).unwrap_err();
            assert_eq!(e.kind, crate::model::FailureKind::ConfigError);
            assert!(e.message.contains("\"acme\": session_cap"), "{e}");
            assert!(!e.message.contains("CANARY"), "the value was quoted: {e}");
        }
    }

    #[test]
    fn typos_are_errors_not_silence() {
        assert!(parse("[providers.a]\nclient_idd = \"x\"\n").is_err());
        let p = parse("[providers.a]\npreset = \"gihtub\"\n").unwrap();
        let e = p.require("a").unwrap().preset("a").unwrap_err();
        assert!(e.message.contains("unknown preset"), "{e}");
        let missing = Providers::default().require("nope").unwrap_err();
        assert!(missing.message.contains("[providers.nope]"), "{missing}");
    }
}
