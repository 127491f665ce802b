//! Benchmark for the fleet store (issue 13), not a timed test. Against a
//! real three-member etcd cluster on 127.0.0.1:
//!
//! 1. **token latency**: `credtop token` on a safe-zone credential, p50 and
//!    p99 over many runs, fleet store against the file store (each run is a
//!    whole process, as an agent calls it).
//! 2. **shared refreshes**: three hosts (three homes, each with its own
//!    `credtop daemon`) share N OAuth credentials (default 1,000) whose
//!    refresh points are spread over a minute, against a local token
//!    endpoint that rotates refresh tokens and counts replays. Reported:
//!    refreshed inside their window, refreshes per due point, etcd
//!    revisions (writes) per refresh, RSS per host.
//!
//! Run: `cargo bench --bench fleet` (`-- --count N`, `-- --runs N`).

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

#[path = "common/token_server.rs"]
mod token_server;

#[path = "common/daemon.rs"]
mod daemon;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use credtop::model::{Credential, Kind, Secret, Source};
use credtop::store::Store;
use daemon::Daemon;
use serde_json::Value;
use support::Home;
use support::etcd::{Cluster, join_fleet};
use token_server::{TokenServer, serve};

const HOSTS: [&str; 3] = ["host-a", "host-b", "host-c"];

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return;
    }
    let cluster = Cluster::start(3);
    token_latency(&cluster, arg(&args, "--runs", 300));
    shared_refreshes(&cluster, arg(&args, "--count", 1000));
}

fn oauth(name: &str, provider: &str, created: DateTime<Utc>, ttl: i64) -> Credential {
    Credential {
        name: name.into(),
        kind: Kind::OAuth,
        provider: provider.into(),
        account: None,
        scopes: vec!["read".into()],
        created_at: created,
        expires_at: Some(created + chrono::Duration::seconds(ttl)),
        secret: Secret::new(format!("at.{name}.0")),
        refresh_token: Some(Secret::new(format!("rt.{name}.0"))),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Store,
    }
}

/// Milliseconds of `runs` whole `credtop token acme` processes.
fn time_token(home: &Path, runs: usize) -> Vec<f64> {
    let bin = env!("CARGO_BIN_EXE_credtop");
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs + 10 {
        let start = Instant::now();
        let out = Command::new(bin)
            .args(["token", "acme"])
            .env("CREDTOP_HOME", home)
            .output()
            .unwrap();
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The first ten warm the page cache and the cluster's connections.
        if i >= 10 {
            times.push(ms);
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn token_latency(cluster: &Cluster, runs: usize) {
    let (file, fleet) = (Home::new(), Home::new());
    join_fleet(&fleet, "host-a", &cluster.endpoints(), "/bench/latency", 5);
    let cred = oauth("acme", "acme", Utc::now(), 3600);
    Store::open(file.path()).unwrap().save(&cred).unwrap();
    Store::open(fleet.path()).unwrap().save(&cred).unwrap();
    let f = time_token(file.path(), runs);
    let e = time_token(fleet.path(), runs);
    println!("token latency, {runs} runs each (whole process, safe zone):");
    println!(
        "  file store   p50 {:>6.2} ms   p99 {:>6.2} ms",
        pct(&f, 0.5),
        pct(&f, 0.99)
    );
    println!(
        "  fleet store  p50 {:>6.2} ms   p99 {:>6.2} ms",
        pct(&e, 0.5),
        pct(&e, 0.99)
    );
}

/// The cluster's current revision: one more for every write.
fn revision(cluster: &Cluster) -> i64 {
    let out = cluster.etcdctl(&[
        "--endpoints",
        &cluster.endpoints_csv(),
        "endpoint",
        "status",
        "-w",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["Status"]["header"]["revision"].as_i64())
        .max()
        .unwrap()
}

fn audit(home: &Path) -> Vec<Value> {
    std::fs::read_to_string(home.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// (credential, time) of every successful refresh on every host.
fn refreshes(homes: &[Home]) -> Vec<(String, DateTime<Utc>)> {
    homes
        .iter()
        .flat_map(|h| audit(h.path()))
        .filter(|r| r["event"] == "refresh_succeeded")
        .filter_map(|r| {
            Some((
                r["credential"].as_str()?.to_string(),
                r["ts"].as_str()?.parse().ok()?,
            ))
        })
        .collect()
}

fn shared_refreshes(cluster: &Cluster, count: usize) {
    const TTL: i64 = 300;
    let server = TokenServer::start();
    let homes: Vec<Home> = HOSTS.iter().map(|_| Home::new()).collect();
    for (home, host) in homes.iter().zip(HOSTS) {
        join_fleet(home, host, &cluster.endpoints(), "/bench/shared", 6);
        home.write_private(
            "providers.toml",
            &format!(
                "[providers.bench]\ntoken_url = \"{}\"\nauthorization_url = \"{}\"\nclient_id = \"bench\"\nscopes = [\"read\"]\n",
                server.url,
                server.url.replace("/token", "/authorize")
            ),
        );
    }
    // Refresh points spread over a minute, starting once all is written.
    let t0 = Utc::now() + chrono::Duration::seconds(20 + count as i64 / 100);
    let spread = chrono::Duration::seconds(60);
    let store = Store::open(homes[0].path()).unwrap();
    let mut windows = HashMap::new();
    for i in 0..count {
        let point = t0 + spread * i as i32 / count as i32;
        let created = point - chrono::Duration::milliseconds(TTL * 800);
        // The store keeps whole seconds, and so does the window.
        let created = DateTime::from_timestamp(created.timestamp(), 0).unwrap();
        let name = format!("s{i:05}");
        windows.insert(
            name.clone(),
            (
                created + chrono::Duration::milliseconds(TTL * 800),
                created + chrono::Duration::seconds(TTL),
            ),
        );
        store.save(&oauth(&name, "bench", created, TTL)).unwrap();
    }
    drop(store);
    let mut daemons: Vec<Daemon> = homes.iter().map(|h| Daemon::start(h.path())).collect();
    std::thread::sleep(Duration::from_secs(5));
    let loaded: Vec<u64> = daemons.iter().map(Daemon::rss_kib).collect();
    let rev_before = revision(cluster);
    let deadline = Instant::now() + Duration::from_secs(20 + count as u64 / 100 + 60 + 60);
    let done = loop {
        daemons.iter_mut().for_each(Daemon::alive);
        let got = refreshes(&homes);
        if got.len() >= count || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    // Late duplicates would show up within a few seconds of the last one.
    std::thread::sleep(Duration::from_secs(3));
    let done = refreshes(&homes)
        .into_iter()
        .chain(done)
        .collect::<Vec<_>>();
    let done: Vec<_> = {
        let mut d = done;
        d.sort();
        d.dedup();
        d
    };
    let rev_after = revision(cluster);
    let peak: Vec<u64> = daemons.iter().map(Daemon::peak_rss_kib).collect();
    let cpu: Vec<f64> = daemons.iter().map(Daemon::cpu_seconds).collect();
    daemons.into_iter().for_each(Daemon::stop);
    report(
        count,
        &windows,
        &done,
        &server,
        rev_after - rev_before,
        &loaded,
        &peak,
        &cpu,
    );
}

#[allow(clippy::too_many_arguments)]
fn report(
    count: usize,
    windows: &HashMap<String, (DateTime<Utc>, DateTime<Utc>)>,
    done: &[(String, DateTime<Utc>)],
    server: &TokenServer,
    revisions: i64,
    loaded: &[u64],
    peak: &[u64],
    cpu: &[f64],
) {
    let mut first: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for (name, at) in done {
        first.entry(name).or_insert(*at);
    }
    let inside = first
        .iter()
        .filter(|(n, at)| {
            let (point, expires) = windows[**n];
            **at >= point && **at < expires
        })
        .count();
    let stats = server.stats();
    println!();
    println!(
        "shared refreshes: 3 hosts x {count} credentials, refresh points over 60 s, TTL 300 s"
    );
    println!("  refreshed                {:>8} of {count}", first.len());
    println!("  inside their window      {inside:>8}");
    println!(
        "  refreshes per due point  {:>8.3} ({} refreshes by all hosts)",
        done.len() as f64 / count as f64,
        done.len()
    );
    println!("  replayed refresh tokens  {:>8}", stats["replays"]);
    println!(
        "  etcd writes per refresh  {:>8.2} (revisions {revisions} / {} refreshes)",
        revisions as f64 / done.len().max(1) as f64,
        done.len()
    );
    for (i, host) in HOSTS.iter().enumerate() {
        println!(
            "  {host}: RSS once loaded {:.1} MiB, peak {:.1} MiB, CPU {:.2} s",
            loaded[i] as f64 / 1024.0,
            peak[i] as f64 / 1024.0,
            cpu[i]
        );
    }
    assert_eq!(first.len(), count, "every credential refreshed");
    assert_eq!(inside, count, "every refresh inside its window");
}
