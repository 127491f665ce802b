//! `store = "etcd"`: hosts that share credentials through a real
//! three-member etcd cluster. Each test plays its hosts as separate homes
//! with their own `[etcd] host` name.

use crate::support;

use std::time::Duration;

use chrono::Utc;
use credtop::model::{Credential, Kind, Secret, Source};
use credtop::store::{DEFAULT_LOCK_TIMEOUT, FleetChange, Store, StoreError};
use support::Home;
use support::etcd::{Cluster, add_key, files_under, join_fleet};

#[test]
fn a_key_added_on_one_host_is_read_on_another_and_never_in_plain_text() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/t1", 1);
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/t1", 1);
    add_key(&a, "shared", "FLEET-CANARY-one");
    let out = b.credtop().args(["token", "shared"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "FLEET-CANARY-one"
    );
    let dump = cluster.dump("/credtop/t1");
    assert!(dump.contains("/credtop/t1/cred/shared"), "{dump}");
    assert!(
        !dump.contains("FLEET-CANARY"),
        "a secret reached etcd in plain text"
    );
    assert!(dump.contains("\"host\":\"host-a\""), "{dump}");
    assert!(
        files_under(a.path()).is_empty(),
        "{:?}",
        files_under(a.path())
    );
}

#[test]
fn a_host_that_reaches_no_member_gets_store_unavailable_and_exit_4() {
    let mut cluster = Cluster::start(3);
    let a = Home::new();
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/t2", 1);
    add_key(&a, "shared", "FLEET-CANARY-two");
    cluster.kill_all();
    let out = a.credtop().args(["token", "shared"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("store_unavailable"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(files_under(a.path()).is_empty(), "fell back to local files");
}

#[test]
fn a_host_with_another_key_is_refused_and_overwrites_nothing() {
    let cluster = Cluster::start(3);
    let (a, c) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/t3", 1);
    join_fleet(&c, "host-c", &cluster.endpoints(), "/credtop/t3", 2);
    add_key(&a, "shared", "FLEET-CANARY-three");
    let before = cluster.dump("/credtop/t3");
    for args in [vec!["token", "shared"], vec!["status", "--json"]] {
        let out = c.credtop().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("key mismatch"), "{stderr}");
        assert!(!stderr.contains("FLEET-CANARY"));
    }
    let out = c
        .credtop()
        .args(["add-key", "other"])
        .write_stdin("FLEET-CANARY-intruder\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        cluster.dump("/credtop/t3"),
        before,
        "a mismatched host wrote"
    );
}

fn oauth_cred(name: &str, token: &str) -> Credential {
    Credential {
        name: name.into(),
        kind: Kind::OAuth,
        provider: "dev".into(),
        account: None,
        scopes: vec!["openid".into()],
        created_at: Utc::now(),
        expires_at: Some(Utc::now() + chrono::Duration::seconds(60)),
        secret: Secret::new(token),
        refresh_token: Some(Secret::new(format!("{token}-refresh"))),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Store,
    }
}

#[test]
fn a_holder_whose_lease_lapsed_cannot_overwrite_the_next_holders_write() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/t4", 1);
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/t4", 1);
    let store_a = Store::open(a.path()).unwrap();
    let store_b = Store::open(b.path()).unwrap();
    store_a
        .save(&oauth_cred("grant", "FLEET-CANARY-v1"))
        .unwrap();

    let lock_a = store_a.lock("grant", DEFAULT_LOCK_TIMEOUT).unwrap();
    let read_a = store_a.load("grant").unwrap();
    assert_eq!(read_a.secret.expose(), "FLEET-CANARY-v1");
    // Host a stalls; its lease lapses (revoked here, as a lapse would).
    let lease = lock_a.fleet().unwrap().lease();
    let out = cluster.etcdctl(&[
        "--endpoints",
        &cluster.endpoints_csv(),
        "lease",
        "revoke",
        &format!("{lease:x}"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Host b takes the lock in the meantime and writes the rotated token.
    let lock_b = store_b.lock("grant", Duration::from_secs(10)).unwrap();
    store_b.load("grant").unwrap();
    store_b
        .save(&oauth_cred("grant", "FLEET-CANARY-v2"))
        .unwrap();
    drop(lock_b);

    // Host a wakes up and tries to write what it got: refused.
    let late = store_a.save(&oauth_cred("grant", "FLEET-CANARY-stale"));
    assert!(matches!(late, Err(StoreError::Fenced { .. })), "{late:?}");
    drop(lock_a);
    assert_eq!(
        store_b.load("grant").unwrap().secret.expose(),
        "FLEET-CANARY-v2"
    );
}

#[test]
fn the_fleet_lock_is_exclusive_across_hosts_and_freed_on_drop() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/t5", 1);
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/t5", 1);
    let store_a = Store::open(a.path()).unwrap();
    let store_b = Store::open(b.path()).unwrap();
    let held = store_a.lock("grant", DEFAULT_LOCK_TIMEOUT).unwrap();
    let waited = store_b.lock("grant", Duration::from_millis(500));
    assert!(
        matches!(waited, Err(StoreError::LockTimeout { .. })),
        "{waited:?}"
    );
    drop(held);
    store_b.lock("grant", Duration::from_secs(10)).unwrap();
}

#[test]
fn a_write_on_one_host_reaches_another_hosts_watch() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/t6", 1);
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/t6", 1);
    let store_a = Store::open(a.path()).unwrap();
    let store_b = Store::open(b.path()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let _watch = store_b.fleet().unwrap().watch(Box::new(move |c| {
        let _ = tx.lock().unwrap().send(c);
    }));
    // The watch is set up asynchronously: write until it reports.
    let mut seen = None;
    for i in 0..50 {
        store_a
            .save(&oauth_cred("grant", &format!("FLEET-CANARY-{i}")))
            .unwrap();
        if let Ok(c) = rx.recv_timeout(Duration::from_millis(200)) {
            seen = Some(c);
            break;
        }
    }
    assert_eq!(seen, Some(FleetChange::Changed("grant".into())));
    let (_, written) = store_b.load_written("grant").unwrap();
    assert_eq!(written.unwrap().host, "host-a");
}
