//! The commands that talk to providers: login, refresh, revoke, and the
//! OAuth side of token, rotate and logout.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;

use super::{Context, Failure, exit};
use crate::engine::{Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome};
use crate::model::{Credential, FailureKind, Zone};
use crate::oauth::{LoginPrompt, RemoteRevocation};
use crate::report::human_duration;

/// A small runtime for one command: the fast paths never build one.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts")
        .block_on(f)
}

impl From<LifecycleError> for Failure {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::Store(s) => s.into(),
            LifecycleError::SameSecret => Failure::new(exit::USAGE, e.to_string()),
            LifecycleError::AlreadyExists { .. } => Failure::new(exit::ERROR, e.to_string()),
            LifecycleError::OAuth(o) => {
                let code = match o.kind {
                    FailureKind::RateLimited | FailureKind::Transient => exit::TRANSIENT,
                    FailureKind::ConfigError => exit::ERROR,
                    _ => exit::NEEDS_ACTION,
                };
                Failure::new(code, o.to_string())
            }
        }
    }
}

pub fn lifecycle(ctx: &Context) -> Result<Lifecycle, Failure> {
    Lifecycle::open(&ctx.home, ctx.actor).map_err(Failure::from)
}

/// Shows the login URL (always: over SSH no browser opens) and opens it
/// unless told not to.
pub fn cli_prompt(provider: String, open_browser: bool) -> impl Fn(LoginPrompt) + Send + Sync {
    move |p: LoginPrompt| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "To log in to {provider}, open this URL in a browser:\n\n  {}\n",
            p.url
        );
        if let Some(code) = &p.user_code {
            let _ = writeln!(err, "and confirm the code: {code}\n");
        }
        if open_browser {
            match crate::oauth::open_browser(&p.url) {
                Ok(()) => {
                    let _ = writeln!(err, "(opened in your browser; waiting for the login…)");
                }
                Err(e) => {
                    let _ = writeln!(err, "({e}; open the URL by hand)");
                }
            }
        }
    }
}

pub struct LoginArgs {
    pub provider: String,
    pub name: Option<String>,
    pub device: bool,
    pub no_browser: bool,
    pub timeout: u64,
}

impl LoginArgs {
    fn options(&self) -> LoginOptions {
        LoginOptions {
            provider: self.provider.clone(),
            name: self.name.clone(),
            device: self.device,
            timeout: Duration::from_secs(self.timeout),
        }
    }
}

pub fn login(ctx: &Context, args: LoginArgs) -> Result<ExitCode, Failure> {
    let lc = lifecycle(ctx)?;
    if let Some(cfg) = lc.providers().get(&args.provider) {
        for scope in cfg.broad_scopes(&args.provider) {
            eprintln!(
                "warning: scope {scope:?} grants more than an agent usually needs; consider a narrower one"
            );
        }
    }
    let prompt = cli_prompt(args.provider.clone(), !args.no_browser);
    let cred = block_on(lc.login(&args.options(), &prompt))?;
    eprintln!("Logged in: {} ({}).", cred.name, describe_expiry(&cred));
    Ok(ExitCode::SUCCESS)
}

fn describe_expiry(c: &Credential) -> String {
    let refresh = if c.refresh_token.is_some() {
        "refreshable"
    } else {
        "no refresh token"
    };
    match c.expires_at {
        Some(t) => format!("expires in {}, {refresh}", human_duration(t - Utc::now())),
        None => format!("no expiry given, {refresh}"),
    }
}

/// `credtop refresh [NAME]`: NAME now, or every credential credtop can
/// refresh that is in its danger zone or expired.
pub fn refresh(ctx: &Context, name: Option<&str>) -> Result<ExitCode, Failure> {
    let lc = lifecycle(ctx)?;
    let targets: Vec<(String, RefreshMode)> = match name {
        Some(n) => vec![(n.to_string(), RefreshMode::Force)],
        None => lc
            .store()
            .list()
            .credentials
            .into_iter()
            .filter(|c| c.is_refreshable())
            .map(|c| (c.name, RefreshMode::IfNeeded))
            .collect(),
    };
    let mut worst: Option<Failure> = None;
    block_on(async {
        for (name, mode) in targets {
            match lc.refresh(&name, mode).await {
                Ok(RefreshOutcome::Refreshed(c)) => {
                    println!("Refreshed {name}: {}.", describe_expiry(&c))
                }
                Ok(RefreshOutcome::AlreadyFresh(c)) => {
                    println!("{name} is fresh: {}.", describe_expiry(&c))
                }
                Err(e) => {
                    let f = Failure::from(e);
                    eprintln!("credtop: {name}: {}", f.message);
                    if worst.as_ref().is_none_or(|w| w.code < f.code) {
                        worst = Some(f);
                    }
                }
            }
        }
    });
    match worst {
        Some(f) => Ok(ExitCode::from(f.code)),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// How long `credtop token` waits for another process's refresh while the
/// token it holds is still valid: the caller is an agent about to make a
/// request, and the token serves it.
pub const TOKEN_LOCK_WAIT: Duration = Duration::from_secs(2);

/// The OAuth part of `credtop token`: refresh first in the danger zone. A
/// refresh that fails for any reason but a revoked grant still hands out
/// the token that is valid, with a warning (a passing failure, a lock held
/// by a slow refresh elsewhere, a config mistake such as invalid_client);
/// an expired token is never handed out.
pub fn token_after_refresh(
    ctx: &Context,
    cred: Credential,
    zone: Zone,
) -> Result<Credential, Failure> {
    let lc = lifecycle(ctx)?;
    let wait = match zone {
        Zone::Danger => TOKEN_LOCK_WAIT,
        _ => crate::store::DEFAULT_LOCK_TIMEOUT,
    };
    match block_on(lc.refresh_within(&cred.name, RefreshMode::IfNeeded, wait)) {
        Ok(outcome) => Ok(outcome.credential().clone()),
        Err(e) if zone == Zone::Danger && e.kind() != FailureKind::CredentialRevoked => {
            eprintln!(
                "credtop: warning: {} could not be refreshed ({e}); the current token is still valid",
                cred.name
            );
            Ok(cred)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn revoke(ctx: &Context, name: &str) -> Result<ExitCode, Failure> {
    let lc = lifecycle(ctx)?;
    let report = block_on(lc.revoke(name))?;
    println!(
        "Deleted {name} locally; {}.",
        report.remote.describe(&report.credential.provider)
    );
    if let Some(line) = super::mcp_cmd::stop_working_line(lc.store().config(), &[name]) {
        println!("{line}");
    }
    Ok(match report.remote {
        RemoteRevocation::Failed(_) => ExitCode::from(exit::ERROR),
        _ => ExitCode::SUCCESS,
    })
}

pub fn rotate_oauth(ctx: &Context, args: LoginArgs) -> Result<ExitCode, Failure> {
    let lc = lifecycle(ctx)?;
    let name = args.name.clone().unwrap_or_else(|| args.provider.clone());
    let prompt = cli_prompt(args.provider.clone(), !args.no_browser);
    let (fresh, remote) = block_on(lc.rotate_oauth(&name, &args.options(), &prompt))?;
    println!(
        "Rotated {name}: new grant stored ({}); old grant {}.",
        describe_expiry(&fresh),
        remote.describe(&fresh.provider)
    );
    Ok(ExitCode::SUCCESS)
}
