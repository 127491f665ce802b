//! The quarter of an hour before the demo opens, written to its audit
//! trail: refreshes, an agent's reads, a transient failure and its retry,
//! a warning. The timeline (`t`) and the audit view (`a`) then show a
//! history across credentials, not a single instant. The records go
//! through the ordinary writer, so the trail is one intact hash chain that
//! `credtop audit verify` accepts.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::audit::{Actor, AuditLog, AuditRecord, Caller, Event, Outcome};
use crate::model::FailureKind;
use crate::store::StoreError;

/// What happened, in minutes before the demo opened.
struct Past {
    minutes_ago: i64,
    event: Event,
    outcome: Outcome,
    credential: &'static str,
    provider: &'static str,
}

const fn past(
    minutes_ago: i64,
    event: Event,
    outcome: Outcome,
    credential: &'static str,
    provider: &'static str,
) -> Past {
    Past {
        minutes_ago,
        event,
        outcome,
        credential,
        provider,
    }
}

const STORY: &[Past] = &[
    past(
        14,
        Event::LoginCompleted,
        Outcome::Ok,
        "acme-sso",
        "acme-sso",
    ),
    past(13, Event::SecretRead, Outcome::Info, "github", "github"),
    past(12, Event::RefreshSucceeded, Outcome::Ok, "github", "github"),
    past(
        11,
        Event::RefreshSucceeded,
        Outcome::Ok,
        "slack-bot",
        "slack",
    ),
    past(
        10,
        Event::RefreshFailed,
        Outcome::Failed,
        "google-drive",
        "google",
    ),
    past(
        9,
        Event::RefreshSucceeded,
        Outcome::Ok,
        "google-drive",
        "google",
    ),
    past(8, Event::SecretRead, Outcome::Info, "openai", "openai"),
    past(
        7,
        Event::WarningRaised,
        Outcome::Info,
        "gitlab-pat",
        "gitlab",
    ),
    past(
        6,
        Event::RefreshSucceeded,
        Outcome::Ok,
        "legacy-crm",
        "legacy-crm",
    ),
    past(5, Event::RefreshSucceeded, Outcome::Ok, "github", "github"),
    past(4, Event::SecretRead, Outcome::Info, "github", "github"),
    past(
        3,
        Event::RefreshSucceeded,
        Outcome::Ok,
        "slack-bot",
        "slack",
    ),
    past(
        2,
        Event::SecretRead,
        Outcome::Info,
        "anthropic",
        "anthropic",
    ),
    past(1, Event::SecretRead, Outcome::Info, "acme-sso", "acme-sso"),
];

/// Appends the story, oldest first, ending at `now`.
pub(super) fn write(home: &Path, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut writer = AuditLog::new(home).writer()?;
    for past in STORY {
        writer.append(&record(past, now))?;
    }
    Ok(())
}

fn record(past: &Past, now: DateTime<Utc>) -> AuditRecord {
    let mut record = AuditRecord::new(past.event, Actor::Daemon, past.outcome)
        .named(past.credential)
        .provider(past.provider);
    record.ts = now - Duration::minutes(past.minutes_ago);
    match past.event {
        Event::RefreshFailed => record
            .kind(FailureKind::Transient)
            .detail("HTTP 503 from the token endpoint; retried"),
        Event::SecretRead => record.task(Some("demo-agent")).caller(Caller {
            pid: std::process::id(),
            comm: Some("agent".into()),
            cwd: None,
        }),
        Event::WarningRaised => record.detail("expires in 10 days and cannot be refreshed"),
        _ => record,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_is_one_intact_chain_in_time_order() {
        let home = tempfile::tempdir().expect("tempdir");
        let now = Utc::now();
        write(home.path(), now).expect("story");
        let text = std::fs::read_to_string(home.path().join("audit.jsonl")).expect("trail");
        let mut verifier = crate::audit::Verifier::new();
        let mut times = Vec::new();
        for line in text.lines() {
            verifier.feed(line.as_bytes());
            let record: AuditRecord = serde_json::from_str(line).expect("record");
            times.push(record.ts);
        }
        assert!(verifier.broken().is_none(), "{:?}", verifier.broken());
        assert_eq!(times.len(), STORY.len());
        assert!(times.windows(2).all(|w| w[0] < w[1]), "oldest first");
        assert!(
            times
                .iter()
                .all(|t| *t < now && now - *t <= Duration::minutes(15))
        );
    }
}
