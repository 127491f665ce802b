use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Refresh when 80 % of a credential's lifetime has passed, unless the
/// provider's `refresh_at` in providers.toml says otherwise.
pub const DEFAULT_REFRESH_AT: f64 = 0.8;
/// Credentials without expiry warn when older than this.
pub const DEFAULT_ROTATION_AGE_DAYS: i64 = 90;
/// The largest jitter added to a refresh point, as a fraction of the TTL.
pub const MAX_JITTER: f64 = 0.05;

/// Where a credential stands in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// Before the refresh point.
    Safe,
    /// From the refresh point until expiry: refresh now (or warn).
    Danger,
    Expired,
    /// No expiry known: there is no zone, only an age.
    None,
}

impl Zone {
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Safe => "safe",
            Zone::Danger => "danger",
            Zone::Expired => "expired",
            Zone::None => "none",
        }
    }
}

/// The timing facts of one credential, with the policy that turns them into
/// a zone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lifetime {
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Fraction of the TTL at which the danger zone starts, in (0, 1].
    pub refresh_at: f64,
}

impl Lifetime {
    pub fn new(
        created_at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
        refresh_at: Option<f64>,
    ) -> Self {
        let refresh_at = refresh_at
            .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1.0)
            .unwrap_or(DEFAULT_REFRESH_AT);
        Lifetime {
            created_at,
            expires_at,
            refresh_at,
        }
    }

    /// The whole lifetime, when it is known and positive.
    pub fn ttl(&self) -> Option<Duration> {
        let ttl = self.expires_at? - self.created_at;
        (ttl > Duration::zero()).then_some(ttl)
    }

    /// `created_at + refresh_at * ttl`: where the danger zone begins. A
    /// lifetime that ends before it starts (a writer's clock was wrong) has
    /// no safe part, so its refresh point is its creation.
    pub fn refresh_point(&self) -> Option<DateTime<Utc>> {
        let expires_at = self.expires_at?;
        match self.ttl() {
            Some(ttl) => Some(self.created_at + scale(ttl, self.refresh_at)),
            None => Some(expires_at.min(self.created_at)),
        }
    }

    /// The refresh point moved later by a jitter in `[0, MAX_JITTER)` of the
    /// TTL, so that credentials issued together (or the same credential on
    /// several hosts) do not all refresh at one instant. `seed` in [0, 1)
    /// picks the jitter; it always stays in the first quarter of what is left
    /// of the danger zone.
    pub fn scheduled_refresh(&self, seed: f64) -> Option<DateTime<Utc>> {
        let point = self.refresh_point()?;
        let Some(ttl) = self.ttl() else {
            return Some(point);
        };
        let room = MAX_JITTER.min((1.0 - self.refresh_at) / 4.0);
        Some(point + scale(ttl, seed.clamp(0.0, 1.0) * room))
    }

    pub fn zone(&self, now: DateTime<Utc>) -> Zone {
        let Some(expires_at) = self.expires_at else {
            return Zone::None;
        };
        if now >= expires_at {
            return Zone::Expired;
        }
        match (self.ttl(), self.refresh_point()) {
            (Some(_), Some(point)) if now < point => Zone::Safe,
            _ => Zone::Danger,
        }
    }

    /// Time left until expiry; negative once expired.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        Some(self.expires_at? - now)
    }

    /// How much of the lifetime has passed, clamped to [0, 1]: what the TTL
    /// gauge draws.
    pub fn elapsed_fraction(&self, now: DateTime<Utc>) -> Option<f64> {
        let expires_at = self.expires_at?;
        let Some(ttl) = self.ttl() else {
            return Some(1.0);
        };
        if now >= expires_at {
            return Some(1.0);
        }
        let elapsed = (now - self.created_at).num_milliseconds() as f64;
        Some((elapsed / ttl.num_milliseconds() as f64).clamp(0.0, 1.0))
    }

    pub fn age(&self, now: DateTime<Utc>) -> Duration {
        (now - self.created_at).max(Duration::zero())
    }

    /// When a credential without expiry reaches the rotation age; None for
    /// one that expires (its expiry is what counts) or an age out of range.
    pub fn rotation_due(&self, rotation_age_days: i64) -> Option<DateTime<Utc>> {
        if self.expires_at.is_some() {
            return None;
        }
        self.created_at
            .checked_add_signed(Duration::try_days(rotation_age_days.max(0))?)
    }
}

fn scale(d: Duration, factor: f64) -> Duration {
    Duration::milliseconds((d.num_milliseconds() as f64 * factor).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn hour_token() -> Lifetime {
        Lifetime::new(t(0), Some(t(3600)), None)
    }

    #[test]
    fn exactly_at_eighty_percent_is_danger() {
        let l = hour_token();
        assert_eq!(l.zone(t(2879)), Zone::Safe);
        assert_eq!(l.zone(t(2880)), Zone::Danger);
    }

    #[test]
    fn expiry_instant_and_after_are_expired() {
        let l = hour_token();
        assert_eq!(l.zone(t(3599)), Zone::Danger);
        assert_eq!(l.zone(t(3600)), Zone::Expired);
        assert_eq!(l.zone(t(100_000)), Zone::Expired);
        assert_eq!(l.remaining(t(3700)), Some(Duration::seconds(-100)));
    }

    #[test]
    fn no_expiry_has_no_zone_only_an_age() {
        let l = Lifetime::new(t(0), None, None);
        assert_eq!(l.zone(t(10)), Zone::None);
        assert_eq!(l.refresh_point(), None);
        assert_eq!(l.age(t(86_400)), Duration::days(1));
        assert_eq!(l.rotation_due(90), Some(t(90 * 86_400)));
        // Out of range is "never", not a panic; an expiring token is judged
        // by its expiry instead.
        assert_eq!(l.rotation_due(i64::MAX), None);
        assert_eq!(hour_token().rotation_due(90), None);
    }

    #[test]
    fn created_after_expiry_has_no_safe_part() {
        let l = Lifetime::new(t(100), Some(t(50)), None);
        assert_eq!(l.ttl(), None);
        assert_eq!(l.zone(t(0)), Zone::Danger);
        assert_eq!(l.zone(t(60)), Zone::Expired);
        assert_eq!(l.elapsed_fraction(t(0)), Some(1.0));
    }

    #[test]
    fn clock_skew_created_in_the_future_is_safe_not_negative() {
        // Written by a host whose clock runs 5 minutes ahead of ours.
        let l = Lifetime::new(t(300), Some(t(3900)), None);
        assert_eq!(l.zone(t(0)), Zone::Safe);
        assert_eq!(l.elapsed_fraction(t(0)), Some(0.0));
        assert_eq!(l.age(t(0)), Duration::zero());
    }

    #[test]
    fn per_provider_refresh_point_is_honoured_and_bad_values_fall_back() {
        let l = Lifetime::new(t(0), Some(t(1000)), Some(0.5));
        assert_eq!(l.zone(t(499)), Zone::Safe);
        assert_eq!(l.zone(t(500)), Zone::Danger);
        for bad in [0.0, -1.0, 1.5, f64::NAN] {
            assert_eq!(Lifetime::new(t(0), None, Some(bad)).refresh_at, 0.8);
        }
    }

    #[test]
    fn jitter_stays_inside_the_danger_zone() {
        let l = hour_token();
        let first = l.scheduled_refresh(0.0).unwrap();
        let last = l.scheduled_refresh(0.999).unwrap();
        assert_eq!(first, t(2880));
        assert!(last > first && last < t(2880 + 180), "{last}");
        let late = Lifetime::new(t(0), Some(t(1000)), Some(0.96));
        assert!(late.scheduled_refresh(0.999).unwrap() <= t(970));
    }
}
