//! A grant's hard end (its cap): the instant after which its refresh token
//! no longer works, however often credtop refreshed before. A server may
//! say it (`refresh_token_expires_in`, which GitHub Apps send with every
//! token response); a provider may be known for it (a preset's session
//! cap); an operator may set it (`session_cap` in providers.toml). Stored
//! as `refresh_expires_at` beside the credential's `expires_at`.

use chrono::{DateTime, Duration, Utc};

use super::{Credential, Lifetime, Status};

/// How long before a grant's end credtop warns, once. A fixed week rather
/// than a share of the grant's life: a share needs the instant the grant
/// began, which a refreshed credential no longer holds (`created_at` is
/// its last issuance), and a week is what an operator who reads the trail
/// weekly needs to log in again in time. A grant shorter than that (a
/// Google app in testing, 7 days; a Microsoft SPA, 24 h) is warned about
/// as soon as credtop sees it: the one moment such a grant leaves to act.
pub const CAP_WARNING_DAYS: i64 = 7;

/// When the warning about a grant ending at `cap` is due.
pub fn cap_warning_point(cap: DateTime<Utc>) -> DateTime<Utc> {
    cap.checked_sub_signed(Duration::days(CAP_WARNING_DAYS))
        .unwrap_or(cap)
}

/// The grant ending at `cap` has ended at `now`.
pub fn grant_ended(cap: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    cap.is_some_and(|c| now >= c)
}

/// The grant ending at `cap` ends within the warning window, and has not
/// ended yet.
pub fn grant_ends_soon(cap: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    cap.is_some_and(|c| now >= cap_warning_point(c) && now < c)
}

impl Status {
    /// This status under a grant ending at `cap`: once the grant has ended
    /// the credential needs a login, whatever its access token's clock or
    /// its lane's last attempt says, unless the provider already said
    /// something more precise (revoked, scope). The last word on every
    /// status, wherever one is decided.
    pub fn under_grant(self, cap: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Status {
        match self {
            _ if !grant_ended(cap, now) => self,
            Status::Revoked | Status::ScopeInsufficient => self,
            _ => Status::NeedsLogin,
        }
    }
}

impl Lifetime {
    /// Where `at` falls on the TTL gauge (0 at creation, 1 at expiry), when
    /// it falls on it at all.
    pub fn position(&self, at: DateTime<Utc>) -> Option<f64> {
        let ttl = self.ttl()?;
        let offset = at - self.created_at;
        if offset < Duration::zero() || offset > ttl {
            return None;
        }
        Some(offset.num_milliseconds() as f64 / ttl.num_milliseconds() as f64)
    }
}

impl Credential {
    pub fn grant_ended(&self, now: DateTime<Utc>) -> bool {
        grant_ended(self.refresh_expires_at, now)
    }

    /// A new grant's cap when the server stated none: `cap` counted from
    /// the login (a preset's or providers.toml's session cap). Only a grant
    /// with a refresh token has one to end: an access token alone ends at
    /// its own expiry (GitHub OAuth apps' tokens never do).
    pub fn with_session_cap(mut self, cap: Option<Duration>) -> Credential {
        if self.refresh_expires_at.is_none() && self.refresh_token.is_some() {
            self.refresh_expires_at = cap.and_then(|c| self.created_at.checked_add_signed(c));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Secret, Source, Zone};
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn grant(cap: Option<i64>, refresh_token: bool) -> Credential {
        Credential {
            name: "acme".into(),
            kind: Kind::OAuth,
            provider: "acme".into(),
            account: None,
            scopes: vec![],
            created_at: t(0),
            expires_at: Some(t(3600)),
            secret: Secret::new("at".to_string()),
            refresh_token: refresh_token.then(|| Secret::new("rt".to_string())),
            refresh_expires_at: cap.map(t),
            token_type: None,
            source: Source::Store,
        }
    }

    #[test]
    fn the_warning_window_is_the_last_week_and_ends_at_the_cap() {
        let cap = t(30 * 86_400);
        assert_eq!(cap_warning_point(cap), t(23 * 86_400));
        assert!(!grant_ends_soon(Some(cap), t(23 * 86_400 - 1)));
        assert!(grant_ends_soon(Some(cap), t(23 * 86_400)));
        assert!(!grant_ends_soon(Some(cap), cap));
        assert!(grant_ended(Some(cap), cap));
        assert!(!grant_ended(None, t(i32::MAX as i64)));
        assert!(!grant_ends_soon(None, t(0)));
    }

    #[test]
    fn past_its_cap_a_refreshable_credential_needs_a_login() {
        let c = grant(Some(1800), true);
        assert_eq!(c.status(t(100), None), Status::Healthy);
        assert_eq!(c.status(t(1800), None), Status::NeedsLogin);
        assert_eq!(
            c.zone(t(1800), None),
            Zone::Safe,
            "the zone stays the clock's"
        );
        let ended = Some(t(1800));
        assert_eq!(Status::Revoked.under_grant(ended, t(1800)), Status::Revoked);
        assert_eq!(
            Status::Danger.under_grant(ended, t(1800)),
            Status::NeedsLogin
        );
        assert_eq!(Status::Danger.under_grant(ended, t(1799)), Status::Danger);
    }

    #[test]
    fn a_session_cap_counts_from_the_login_and_never_overrides_the_server() {
        let capped = grant(None, true).with_session_cap(Some(Duration::days(7)));
        assert_eq!(capped.refresh_expires_at, Some(t(7 * 86_400)));
        let stated = grant(Some(100), true).with_session_cap(Some(Duration::days(7)));
        assert_eq!(stated.refresh_expires_at, Some(t(100)));
        let no_rt = grant(None, false).with_session_cap(Some(Duration::days(7)));
        assert_eq!(no_rt.refresh_expires_at, None);
        let absurd = grant(None, true).with_session_cap(Some(Duration::MAX));
        assert_eq!(absurd.refresh_expires_at, None);
    }

    #[test]
    fn the_cap_is_on_the_gauge_only_inside_the_lifetime() {
        let life = Lifetime::new(t(0), Some(t(1000)), None);
        assert_eq!(life.position(t(250)), Some(0.25));
        assert_eq!(life.position(t(1000)), Some(1.0));
        assert_eq!(life.position(t(1001)), None);
        assert_eq!(life.position(t(-1)), None);
        assert_eq!(Lifetime::new(t(0), None, None).position(t(0)), None);
    }
}
