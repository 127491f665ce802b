//! Plain data: credentials, their kinds, zones and statuses, and the secret
//! type that keeps tokens out of every log and screen. No I/O lives here.

mod credential;
mod secret;
mod status;
mod zone;

pub use credential::{Credential, Kind, Source};
pub use secret::{Fingerprint, Secret};
pub use status::{FailureKind, Status};
pub use zone::{DEFAULT_REFRESH_AT, DEFAULT_ROTATION_AGE_DAYS, Lifetime, MAX_JITTER, Zone};

/// The command that gets a new grant for credential `name` of `provider`:
/// a second account (a name other than the provider's) needs `--name`, or
/// the login would land on the first.
pub fn relogin_command(provider: &str, name: &str) -> String {
    if name == provider {
        format!("credtop login {provider}")
    } else {
        format!("credtop login {provider} --name {name}")
    }
}

/// A credential name: what `credtop token NAME` takes and what the store
/// uses as a file name, so it must be safe as one.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@');
    if name.is_empty() || name.len() > 64 {
        return Err(format!(
            "credential name must be 1 to 64 characters, got {}",
            name.len()
        ));
    }
    if name.starts_with('.') || !name.chars().all(ok_char) {
        return Err(format!(
            "credential name {name:?} may only contain letters, digits, '-', '_', '.', '@' and must not start with '.'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_name;

    #[test]
    fn names_that_could_escape_the_store_are_refused() {
        for bad in ["", "../x", "a/b", ".hidden", "a b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["acme", "acme-work", "github_pat.2", "me@gitlab"] {
            assert!(validate_name(good).is_ok(), "{good:?} refused");
        }
    }
}
