//! Plain data: credentials, their kinds, zones and statuses, and the secret
//! type that keeps tokens out of every log and screen. No I/O lives here.

mod cap;
mod credential;
mod duration;
mod name;
mod secret;
mod status;
mod text;
mod zone;

pub use cap::{CAP_WARNING_DAYS, cap_warning_point, grant_ended, grant_ends_soon};
pub use credential::{Credential, Kind, Source};
pub use duration::parse_duration;
pub use name::Name;
pub use secret::{Fingerprint, Secret};
pub use status::{FailureKind, Status};
pub use text::{shell_quoted, shown};
pub use zone::{DEFAULT_REFRESH_AT, DEFAULT_ROTATION_AGE_DAYS, Lifetime, MAX_JITTER, Zone};

/// The command that gets a new grant for credential `name` of `provider`:
/// a second account (a name other than the provider's) needs `--name`, or
/// the login would land on the first.
/// Both are quoted for the shell: they come from files, and the hint is
/// meant to be pasted.
pub fn relogin_command(provider: &str, name: &str) -> String {
    if name == provider {
        format!("credtop login {}", shell_quoted(provider))
    } else {
        format!(
            "credtop login {} --name {}",
            shell_quoted(provider),
            shell_quoted(name)
        )
    }
}

/// A credential name: what `credtop token NAME` takes and what the store
/// uses as a file name, so it must be safe as one (see [`Name`]).
pub fn validate_name(name: &str) -> Result<(), String> {
    Name::parse(name).map(|_| ())
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
