//! Moving into and out of a fleet (`credtop fleet push|pull`) and changing
//! its key (`credtop fleet keygen|rekey`), against a real etcd cluster.

use crate::support;

use chrono::Duration;
use support::Home;
use support::etcd::{Cluster, add_key, files_under, join_fleet};

fn token(home: &Home, name: &str) -> std::process::Output {
    home.credtop().args(["token", name]).output().unwrap()
}

#[test]
fn push_moves_local_files_into_the_cluster_and_pull_copies_them_back() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    a.oauth(
        "grant",
        "FLEET-CANARY-pushed",
        Duration::seconds(10),
        Duration::hours(1),
    );
    a.key("apikey", "FLEET-CANARY-key", Duration::days(1));
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/m1", 1);
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/m1", 1);

    let out = a.credtop().args(["fleet", "push"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        files_under(a.path()).is_empty(),
        "{:?}",
        files_under(a.path())
    );
    let out = token(&b, "grant");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "FLEET-CANARY-pushed"
    );
    assert!(!cluster.dump("/credtop/m1").contains("FLEET-CANARY"));
    let audit = a.read("audit.jsonl");
    let pushed: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["event"] == "fleet_pushed")
        .collect();
    assert_eq!(pushed.len(), 2, "{audit}");
    assert!(pushed.iter().all(|r| r["host"] == "host-a"), "{audit}");

    let out = b.credtop().args(["fleet", "pull"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pulled = b.read("oauth/grant.json");
    assert!(pulled.contains("FLEET-CANARY-pushed"));
    assert!(b.read("keys/apikey.json").contains("FLEET-CANARY-key"));
    assert!(b.read("audit.jsonl").contains("\"host\":\"host-b\""));
}

#[test]
fn push_keeps_what_the_fleet_already_has_unless_told_to_overwrite() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/m2", 1);
    add_key(&a, "apikey", "FLEET-CANARY-fleet");
    b.key("apikey", "FLEET-CANARY-local", Duration::days(1));
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/m2", 1);
    let out = b.credtop().args(["fleet", "push"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("already has it"));
    assert_eq!(files_under(b.path()).len(), 1, "the local copy was kept");
    let out = token(&a, "apikey");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "FLEET-CANARY-fleet"
    );
    let out = b
        .credtop()
        .args(["fleet", "push", "--overwrite"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = token(&a, "apikey");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "FLEET-CANARY-local"
    );
}

#[test]
fn rekey_reseals_everything_and_the_old_key_no_longer_opens_it() {
    let cluster = Cluster::start(3);
    let (a, b) = (Home::new(), Home::new());
    join_fleet(&a, "host-a", &cluster.endpoints(), "/credtop/m3", 1);
    join_fleet(&b, "host-b", &cluster.endpoints(), "/credtop/m3", 1);
    add_key(&a, "apikey", "FLEET-CANARY-rekeyed");
    let before = cluster.dump("/credtop/m3");
    let new_key = a.path().join("new.key");
    let out = a
        .credtop()
        .args(["fleet", "keygen"])
        .arg(&new_key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&new_key).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let out = a
        .credtop()
        .args(["fleet", "rekey"])
        .arg(&new_key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Re-sealed 1 credentials"));
    assert_ne!(cluster.dump("/credtop/m3"), before);

    let stale = token(&b, "apikey");
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("key mismatch"));
    std::fs::copy(&new_key, b.path().join("fleet.key")).unwrap();
    let out = token(&b, "apikey");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "FLEET-CANARY-rekeyed"
    );
}
