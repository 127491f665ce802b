use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::secret_input::read_secret;
use super::{Context, Failure, exit};
use crate::model::{Credential, Kind, validate_name};
use crate::store::StoreError;

/// `credtop add-key NAME`: a new API key or PAT, the secret from stdin.
pub fn add(
    ctx: &Context,
    name: &str,
    provider: Option<String>,
    kind: Kind,
    expires_at: Option<DateTime<Utc>>,
) -> Result<ExitCode, Failure> {
    validate_name(name).map_err(|e| Failure::new(exit::USAGE, e))?;
    if !matches!(kind, Kind::ApiKey | Kind::Pat) {
        return Err(Failure::new(
            exit::USAGE,
            "add-key stores api_key or pat credentials; OAuth credentials come from `credtop login`",
        ));
    }
    let lc = super::lifecycle_cmds::lifecycle(ctx)?;
    let store = lc.store();
    // Audit or fail, and name taken: both asked before the secret is typed;
    // the lifecycle asks again under the lock.
    ctx.audit.writer()?;
    match store.load(name) {
        Err(StoreError::NotFound { .. }) => {}
        Ok(_) => {
            return Err(Failure::new(
                exit::ERROR,
                format!("{name} already exists; replace its secret with `credtop rotate {name}`"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let secret = read_secret(&format!("Secret for {name} (input hidden)"))?;
    let cred = Credential {
        name: name.to_string(),
        kind,
        provider: provider.unwrap_or_else(|| name.to_string()),
        account: None,
        scopes: Vec::new(),
        created_at: Utc::now(),
        expires_at,
        secret,
        refresh_token: None,
        refresh_expires_at: None,
        token_type: None,
        source: store.source(),
    };
    lc.add_key(&cred)?;
    eprintln!(
        "Stored {name} ({}, fingerprint {}).",
        kind.as_str(),
        cred.secret.fingerprint()
    );
    Ok(ExitCode::SUCCESS)
}

/// `credtop rotate NAME` for keys and PATs: the new secret replaces the old
/// atomically; nothing that reads it through credtop needs a restart.
pub fn rotate(
    ctx: &Context,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    device: bool,
    no_browser: bool,
) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let old = store.load(name)?;
    if matches!(old.kind, Kind::OAuth | Kind::Cloud) {
        let args = super::lifecycle_cmds::LoginArgs {
            provider: old.provider.clone(),
            name: Some(name.to_string()),
            device,
            no_browser,
            timeout: 300,
        };
        return super::lifecycle_cmds::rotate_oauth(ctx, args);
    }
    let secret = read_secret(&format!("New secret for {name} (input hidden)"))?;
    drop(store);
    let lc = super::lifecycle_cmds::lifecycle(ctx)?;
    let (old, new) = lc.rotate_key(name, secret, expires_at)?;
    eprintln!(
        "Rotated {name}: {} -> {}. The old secret still works at {} until you revoke it there.",
        old.secret.fingerprint(),
        new.secret.fingerprint(),
        old.provider
    );
    Ok(ExitCode::SUCCESS)
}
