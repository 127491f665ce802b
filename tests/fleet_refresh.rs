//! Three hosts share one OAuth grant through a real three-member etcd
//! cluster, against the real oidc-provider with 8-second access tokens and
//! refresh-token rotation with reuse detection: one refresh per due point
//! across all hosts, and tokens that keep coming while the leader dies.

use crate::support;
use crate::support::wait_for;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use credtop::store::Store;
use support::Home;
use support::authserver::{self, AuthServer, audit_events};
use support::etcd::{Cluster, files_under, join_fleet};

const HOSTS: [&str; 3] = ["host-a", "host-b", "host-c"];

fn token(home: &Home) -> std::process::Output {
    home.credtop().args(["token", "acme"]).output().unwrap()
}

/// Three homes in one fleet; `acme` logged in on the first.
fn fleet(cluster: &Cluster, server: &AuthServer, prefix: &str) -> Vec<Home> {
    let homes: Vec<Home> = HOSTS.iter().map(|_| Home::new()).collect();
    for (home, host) in homes.iter().zip(HOSTS) {
        join_fleet(home, host, &cluster.endpoints(), prefix, 9);
        home.write_private("providers.toml", &server.provider_toml("acme"));
    }
    authserver::login(&homes[0], server, "acme");
    homes
}

#[test]
fn a_login_on_one_host_is_seen_on_the_others_and_etcd_holds_no_token() {
    let cluster = Cluster::start(3);
    let server = AuthServer::start(8, &[]);
    let homes = fleet(&cluster, &server, "/credtop/r1");
    let stored = Store::open(homes[0].path()).unwrap().load("acme").unwrap();
    for home in &homes[1..] {
        let out = token(home);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // The same grant; a refresh may have happened in between.
        assert!(server.is_active(&got));
        let status = home.credtop().args(["status", "--json"]).output().unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert!(rows.as_array().unwrap().iter().any(|r| r["name"] == "acme"));
    }
    let dump = cluster.dump("/credtop/r1");
    assert!(
        !dump.contains(stored.secret.expose()),
        "access token in etcd"
    );
    let refresh = stored.refresh_token.as_ref().unwrap();
    assert!(!dump.contains(refresh.expose()), "refresh token in etcd");
    for home in &homes {
        assert!(
            files_under(home.path()).is_empty(),
            "a local credential file"
        );
    }
    let logins = audit_events(&homes[0], "login_completed");
    assert_eq!(logins[0]["host"], "host-a");
}

#[test]
fn a_refresh_on_one_host_reaches_another_hosts_daemon_with_the_host_named() {
    let cluster = Cluster::start(3);
    let server = AuthServer::start(30, &[]);
    let homes = fleet(&cluster, &server, "/credtop/r3");
    let d = daemon(&homes[1]);
    // The daemon has read the store once it audited what it loaded.
    let deadline = Instant::now() + Duration::from_secs(30);
    while audit_events(&homes[1], "credential_loaded").is_empty() {
        assert!(Instant::now() < deadline, "daemon did not load");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = homes[0]
        .credtop()
        .args(["refresh", "acme"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let heard = loop {
        let heard: Vec<_> = audit_events(&homes[1], "external_change");
        if !heard.is_empty() || Instant::now() > deadline {
            break heard;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    stop(d);
    assert_eq!(heard.len(), 1, "{}", homes[1].read("audit.jsonl"));
    assert_eq!(
        heard[0]["detail"],
        "refreshed by host-a (fleet); picked up live"
    );
    assert_eq!(heard[0]["host"], "host-b");
    // How long the news took (printed for the curious, never asserted: a
    // loaded machine must not fail a test).
    let ts = |r: &serde_json::Value| -> chrono::DateTime<chrono::Utc> {
        r["ts"].as_str().unwrap().parse().unwrap()
    };
    let refreshed = audit_events(&homes[0], "refresh_succeeded").remove(0);
    eprintln!(
        "refresh on host-a seen by host-b's daemon after {} ms",
        (ts(&heard[0]) - ts(&refreshed)).num_milliseconds()
    );
}

#[test]
fn three_daemons_and_token_loops_through_a_leader_kill_refresh_once_per_due_point() {
    let mut cluster = Cluster::start(3);
    let server = AuthServer::start(8, &[]);
    let homes = fleet(&cluster, &server, "/credtop/r2");
    let daemons: Vec<Child> = homes.iter().map(daemon).collect();
    let bin = assert_cmd::cargo::cargo_bin("credtop");
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    let loops: Vec<_> = homes
        .iter()
        .map(|home| {
            let (bin, home) = (bin.clone(), home.path().to_path_buf());
            std::thread::spawn(move || {
                let (mut calls, mut failed) = (0, Vec::new());
                while Instant::now() < deadline && calls < 1000 {
                    let out = Command::new(&bin)
                        .args(["token", "acme"])
                        .env("CREDTOP_HOME", &home)
                        .output()
                        .unwrap();
                    if !out.status.success() {
                        failed.push(String::from_utf8_lossy(&out.stderr).into_owned());
                    }
                    calls += 1;
                    std::thread::sleep(Duration::from_millis(250));
                }
                (calls, failed)
            })
        })
        .collect();
    // Midway, the leader dies; it comes back ten seconds later.
    std::thread::sleep(Duration::from_secs(25));
    let leader = cluster.leader();
    cluster.kill(leader);
    std::thread::sleep(Duration::from_secs(10));
    cluster.restart(leader);
    let mut calls = 0;
    for l in loops {
        let (n, failed) = l.join().unwrap();
        assert!(failed.is_empty(), "failed token calls: {failed:?}");
        calls += n;
    }
    for d in daemons {
        stop(d);
    }
    let elapsed = start.elapsed().as_secs();
    assert!(calls > 100, "{calls}");

    let refreshes: Vec<serde_json::Value> = homes
        .iter()
        .flat_map(|h| audit_events(h, "refresh_succeeded"))
        .collect();
    // Every refresh started from a different token: no due point was
    // refreshed twice, by two hosts or by one.
    let olds: HashSet<String> = refreshes
        .iter()
        .map(|r| r["old_fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(olds.len(), refreshes.len(), "a token was refreshed twice");
    // About one per due point: a due point every 6.4-8 s.
    let most = elapsed / 6 + 2;
    assert!(
        refreshes.len() >= 5 && refreshes.len() as u64 <= most,
        "{} refreshes in {elapsed} s",
        refreshes.len()
    );
    assert!(
        refreshes
            .iter()
            .all(|r| HOSTS.contains(&r["host"].as_str().unwrap()))
    );
    // No refresh token was replayed: the grant is alive.
    let current = Store::open(homes[1].path()).unwrap().load("acme").unwrap();
    assert!(
        server.is_active(current.secret.expose()),
        "the grant was revoked"
    );
    // The other hosts heard of refreshes live, and said who did them.
    let heard = homes
        .iter()
        .flat_map(|h| audit_events(h, "external_change"))
        .filter(|r| {
            r["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("refreshed by host-"))
        })
        .count();
    assert!(heard > 0, "no host saw another's refresh through the watch");
}

#[test]
fn a_lane_paused_on_one_host_is_paused_on_all_and_history_is_shared() {
    let cluster = Cluster::start(3);
    let server = AuthServer::start(30, &[]);
    let homes = fleet(&cluster, &server, "/credtop/r4");
    let out = homes[0]
        .credtop()
        .args(["refresh", "acme"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cred = Store::open(homes[0].path()).unwrap().load("acme").unwrap();
    server.revoke_at_server(cred.refresh_token.as_ref().unwrap().expose());
    let out = homes[0]
        .credtop()
        .args(["refresh", "acme"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    for home in &homes[1..] {
        let status = home.credtop().args(["status", "--json"]).output().unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "acme")
            .unwrap();
        assert_eq!(row["status"], "revoked", "{row}");
        let history = credtop::engine::history::last(home.path(), "acme", 10);
        assert_eq!(history.len(), 2, "{history:?}");
        assert!(!history[0].ok && history[1].ok);
    }
    let dump = cluster.dump("/credtop/r4/");
    assert!(dump.contains("/credtop/r4/state/acme"));
    assert!(dump.contains("/credtop/r4/history/acme"));
    for home in &homes {
        assert!(
            !home.path().join("state").exists()
                || std::fs::read_dir(home.path().join("state"))
                    .unwrap()
                    .next()
                    .is_none()
        );
        assert!(!home.path().join("history").join("acme.jsonl").exists());
    }
}

#[test]
fn a_daemon_that_reaches_no_member_says_store_unavailable_backs_off_and_recovers() {
    let mut cluster = Cluster::start(3);
    let server = AuthServer::start(8, &[]);
    let homes = fleet(&cluster, &server, "/credtop/r5");
    let home = &homes[0];
    let d = daemon(home);
    wait_for("the daemon to load", Duration::from_secs(30), || {
        !audit_events(home, "credential_loaded").is_empty()
    });
    cluster.kill_all();
    wait_for("a failed refresh", Duration::from_secs(90), || {
        audit_events(home, "refresh_failed")
            .iter()
            .any(|r| r["kind"] == "store_unavailable")
    });
    let out = token(home);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("store_unavailable"));
    assert!(
        files_under(home.path()).is_empty(),
        "fell back to local files"
    );
    for i in 0..3 {
        cluster.restart(i);
    }
    cluster.wait_healthy(Duration::from_secs(60));
    wait_for(
        "a refresh after the cluster came back",
        Duration::from_secs(120),
        || !audit_events(home, "refresh_succeeded").is_empty(),
    );
    stop(d);
    let out = token(home);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.is_active(String::from_utf8_lossy(&out.stdout).trim()));
}

fn daemon(home: &Home) -> Child {
    support::spawn_daemon(home, Stdio::null(), &[("CREDTOP_LOG", "debug")])
}

fn stop(mut child: Child) {
    support::stop_daemon(&mut child, Duration::from_secs(20));
}
