//! Logging out of one credential: the same operation, with the same audit
//! record, from `credtop logout` and the dashboard's `d`.

use super::{Lifecycle, LifecycleError, RevokeReport};
use crate::audit::{AuditRecord, Event, Outcome};

impl Lifecycle {
    /// Revokes `name` at its provider where it can, deletes it locally
    /// (both audited by [`Lifecycle::revoke`]), and records the logout. A
    /// failed logout is recorded with the credential's fingerprint and
    /// scopes while the credential is still there to say them.
    pub async fn logout(&self, name: &str) -> Result<RevokeReport, LifecycleError> {
        match self.revoke(name).await {
            Ok(report) => {
                let said = report.remote.describe(&report.credential.provider);
                self.audit().record(
                    AuditRecord::new(Event::Logout, self.actor(), Outcome::Ok)
                        .about(&report.credential)
                        .detail(said),
                );
                Ok(report)
            }
            Err(e) => {
                let record = AuditRecord::new(Event::Logout, self.actor(), Outcome::Failed)
                    .kind(e.kind())
                    .detail(e.to_string());
                let record = match self.store().load(name) {
                    Ok(cred) => record.about(&cred),
                    Err(_) => record.named(name),
                };
                self.audit().record(record);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, read_tail};
    use crate::model::{Credential, Kind, Secret, Source};
    use chrono::{Duration, Utc};

    fn oauth(name: &str) -> Credential {
        Credential {
            name: name.into(),
            kind: Kind::OAuth,
            provider: "acme".into(),
            account: None,
            scopes: vec!["openid".into(), "repo".into()],
            created_at: Utc::now(),
            expires_at: Some(Utc::now() + Duration::hours(1)),
            secret: Secret::new(format!("at-{name}")),
            refresh_token: None,
            refresh_expires_at: None,
            token_type: None,
            source: Source::Store,
        }
    }

    fn logout_records(lc: &Lifecycle) -> Vec<AuditRecord> {
        read_tail(lc.audit(), None, 1 << 20)
            .expect("trail readable")
            .records
            .into_iter()
            .filter(|r| r.event == Event::Logout)
            .collect()
    }

    #[tokio::test]
    async fn a_logout_deletes_and_is_audited_once_with_the_token_it_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let lc = Lifecycle::open(&home, Actor::Dashboard).expect("open");
        let cred = oauth("acme");
        lc.store().save(&cred).expect("save");
        lc.logout("acme").await.expect("logout");
        assert!(lc.store().load("acme").is_err(), "still stored");
        let records = logout_records(&lc);
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0].outcome, Outcome::Ok);
        assert_eq!(records[0].actor, Actor::Dashboard);
        assert_eq!(records[0].fingerprint, Some(cred.secret.fingerprint()));
    }

    #[tokio::test]
    async fn a_failed_logout_records_fingerprint_and_scopes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let lc = Lifecycle::open(&home, Actor::Dashboard).expect("open");
        let cred = oauth("acme");
        lc.store().save(&cred).expect("save");
        // A directory where the lock file goes: taking the lock fails.
        std::fs::create_dir_all(home.join("locks/acme.lock")).expect("mkdir");
        assert!(lc.logout("acme").await.is_err());
        assert!(lc.store().load("acme").is_ok(), "deleted despite failing");
        let records = logout_records(&lc);
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0].outcome, Outcome::Failed);
        assert_eq!(records[0].fingerprint, Some(cred.secret.fingerprint()));
        assert_eq!(records[0].scopes, cred.scopes);
        assert_eq!(records[0].provider.as_deref(), Some("acme"));
    }
}
