//! Well-known token variables in the environment. Several tools prefer
//! them over their stored login, so a set variable silently decides which
//! credential is used: that is shown as "shadows the stored login".

use chrono::Utc;

use super::{Discovered, Env, Finding};
use crate::model::{Credential, Kind, Source};

struct WellKnown {
    var: &'static str,
    provider: &'static str,
    kind: Kind,
    /// The discovered credentials (by name, `*` as a trailing wildcard)
    /// whose tool uses this variable before its stored login.
    shadows: &'static [&'static str],
}

const fn wk(
    var: &'static str,
    provider: &'static str,
    kind: Kind,
    shadows: &'static [&'static str],
) -> WellKnown {
    WellKnown {
        var,
        provider,
        kind,
        shadows,
    }
}

/// Claude Code: `ANTHROPIC_AUTH_TOKEN`, `ANTHROPIC_API_KEY`, then
/// `CLAUDE_CODE_OAUTH_TOKEN` all win over the subscription login. gh and
/// go-gh: `GH_TOKEN`, then `GITHUB_TOKEN` for github.com, the enterprise
/// pair for other hosts, before `hosts.yml` and the keyring. gcloud:
/// `CLOUDSDK_AUTH_ACCESS_TOKEN` overrides the logged-in account.
const WELL_KNOWN: &[WellKnown] = &[
    wk(
        "ANTHROPIC_API_KEY",
        "anthropic",
        Kind::ApiKey,
        &["claude-code"],
    ),
    wk(
        "ANTHROPIC_AUTH_TOKEN",
        "anthropic",
        Kind::ApiKey,
        &["claude-code"],
    ),
    wk(
        "CLAUDE_CODE_OAUTH_TOKEN",
        "anthropic",
        Kind::OAuth,
        &["claude-code"],
    ),
    wk("OPENAI_API_KEY", "openai", Kind::ApiKey, &[]),
    wk("GEMINI_API_KEY", "google", Kind::ApiKey, &[]),
    wk("GOOGLE_API_KEY", "google", Kind::ApiKey, &[]),
    wk("GH_TOKEN", "github", Kind::Pat, &["gh:github.com"]),
    wk("GITHUB_TOKEN", "github", Kind::Pat, &["gh:github.com"]),
    wk("GITHUB_PERSONAL_ACCESS_TOKEN", "github", Kind::Pat, &[]),
    wk("GH_ENTERPRISE_TOKEN", "github", Kind::Pat, &["gh:*"]),
    wk("GITHUB_ENTERPRISE_TOKEN", "github", Kind::Pat, &["gh:*"]),
    wk("GITLAB_TOKEN", "gitlab", Kind::Pat, &[]),
    wk(
        "CLOUDSDK_AUTH_ACCESS_TOKEN",
        "google",
        Kind::Cloud,
        &["gcloud:*"],
    ),
    wk("AWS_SECRET_ACCESS_KEY", "aws", Kind::ApiKey, &[]),
    wk("AZURE_CLIENT_SECRET", "microsoft", Kind::ApiKey, &[]),
    wk("MISTRAL_API_KEY", "mistral", Kind::ApiKey, &[]),
    wk("GROQ_API_KEY", "groq", Kind::ApiKey, &[]),
    wk("OPENROUTER_API_KEY", "openrouter", Kind::ApiKey, &[]),
    wk("DEEPSEEK_API_KEY", "deepseek", Kind::ApiKey, &[]),
    wk("XAI_API_KEY", "xai", Kind::ApiKey, &[]),
    wk("HF_TOKEN", "huggingface", Kind::ApiKey, &[]),
    wk("SLACK_BOT_TOKEN", "slack", Kind::ApiKey, &[]),
];

/// The variables every credtop user may hold, for tests and the docs.
pub fn well_known_names() -> impl Iterator<Item = &'static str> {
    WELL_KNOWN.iter().map(|w| w.var)
}

pub fn discover(env: &Env) -> Discovered {
    let now = Utc::now();
    let credentials = WELL_KNOWN
        .iter()
        .filter_map(|w| {
            let value = env.var(w.var)?;
            Some(
                Finding {
                    name: format!("env:{}", w.var),
                    kind: w.kind,
                    provider: w.provider,
                    account: None,
                    scopes: Vec::new(),
                    created_at: now,
                    expires_at: None,
                    secret: value.clone(),
                    refresh_token: None,
                    tool: "env",
                    location: format!("${}", w.var),
                    relogin: None,
                    note: None,
                }
                .into_credential(),
            )
        })
        .collect();
    Discovered {
        credentials,
        problems: Vec::new(),
    }
}

/// Notes on both sides where a set variable wins over a discovered login.
pub fn mark_shadowed(all: &mut [Credential]) {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (i, c) in all.iter().enumerate() {
        let Some(w) = c
            .name
            .strip_prefix("env:")
            .and_then(|v| WELL_KNOWN.iter().find(|w| w.var == v))
        else {
            continue;
        };
        for (j, target) in all.iter().enumerate() {
            let hit = w.shadows.iter().any(|pat| match pat.strip_suffix('*') {
                // The enterprise variables cover every host but github.com.
                Some(prefix) => target.name.starts_with(prefix) && target.name != "gh:github.com",
                None => target.name == *pat,
            });
            if hit && i != j {
                pairs.push((i, j));
            }
        }
    }
    for (i, j) in pairs {
        let shadowed = format!("{} ({})", all[j].name, location(&all[j]));
        let var = all[i].name.trim_start_matches("env:").to_string();
        append_note(&mut all[i], &format!("shadows the stored login {shadowed}"));
        append_note(
            &mut all[j],
            &format!("shadowed by ${var}, which the tool uses first"),
        );
    }
}

fn location(c: &Credential) -> String {
    match &c.source {
        Source::Discovered { location, .. } => location.clone(),
        other => other.label().to_string(),
    }
}

fn append_note(c: &mut Credential, text: &str) {
    if let Source::Discovered { note, .. } = &mut c.source {
        *note = Some(match note.take() {
            Some(n) => format!("{n}; {text}"),
            None => text.to_string(),
        });
    }
}
