//! A crash at any instant leaves every credential file whole: the old
//! credential or the new one, never torn, never empty.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use credtop::model::{Credential, Kind, Secret, Source};
use credtop::store::Store;

const CHILD_ENV: &str = "CREDTOP_TEST_WRITER_HOME";

fn credential(name: &str, generation: u64) -> Credential {
    Credential {
        name: name.into(),
        kind: Kind::OAuth,
        provider: "acme".into(),
        account: None,
        scopes: vec!["openid".into(), "offline_access".into()],
        created_at: Utc::now(),
        expires_at: Some(Utc::now() + chrono::Duration::hours(1)),
        // Large enough that a write is not one page: a torn write would show.
        secret: Secret::new(format!("{generation}:{}", "a".repeat(20_000))),
        refresh_token: Some(Secret::new(format!("refresh-{generation}"))),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Store,
    }
}

/// The child: rewrites five credentials in a loop until it is killed.
#[test]
fn writer_child() {
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&home)).unwrap();
    for generation in 0u64.. {
        for i in 0..5 {
            store
                .save(&credential(&format!("c{i}"), generation))
                .unwrap();
        }
    }
}

#[test]
fn sigkill_during_many_writes_leaves_every_file_parseable() {
    let home = support::Home::new();
    let store = Store::open(home.path()).unwrap();
    for i in 0..5 {
        store.save(&credential(&format!("c{i}"), 0)).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut newest = 0u64;
    for round in 0..12u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                &support::test_name(module_path!(), "writer_child"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a different instant each round, mid-stream.
        std::thread::sleep(Duration::from_millis(40 + round * 17));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let listing = store.list();
        assert!(
            listing.problems.is_empty(),
            "round {round}: {:?}",
            listing.problems
        );
        assert_eq!(listing.credentials.len(), 5, "round {round}");
        for c in &listing.credentials {
            let (generation, body) = c.secret.expose().split_once(':').unwrap();
            newest = newest.max(generation.parse().unwrap());
            assert_eq!(
                body.len(),
                20_000,
                "round {round}: torn secret in {}",
                c.name
            );
            assert_eq!(
                c.refresh_token.as_ref().unwrap().expose(),
                format!("refresh-{generation}")
            );
        }
    }
    // The child really was writing when it died, not still starting up.
    assert!(newest > 0, "the writer never completed a write");
}
