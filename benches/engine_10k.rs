//! Benchmark for the refresh engine, not a timed test:
//!
//! 1. **Staggered**: 10,000 OAuth credentials whose refresh points are
//!    spread over one minute, served by `credtop daemon` against a local
//!    token endpoint. Every refresh must land inside its window (refresh
//!    point ≤ t < expiry, read from the audit trail), with no refresh token
//!    ever replayed. Reported: peak RSS, RSS once loaded, CPU seconds.
//! 2. **Burst**: 10,000 credentials all due at once. Reported: the engine's
//!    refresh rate (lock, re-read, HTTP, atomic write with fsync, audit,
//!    history) against that of a bare HTTP client sending the same requests
//!    to the same endpoint with the same concurrency.
//!
//! The token endpoint runs in a child process (this binary with `--serve`)
//! so that its CPU is not counted as the engine's. It rotates refresh tokens
//! and counts replays, like a reuse-detecting server would.
//!
//! Run: `cargo bench --bench engine_10k` (`-- --count N` for another size,
//! `-- --burst-only` for the second part alone).

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

#[path = "common/token_server.rs"]
mod token_server;

use token_server::{TokenServer, serve};

#[path = "common/daemon.rs"]
mod daemon;

use daemon::Daemon;

const CONCURRENCY: usize = 8;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return;
    }
    let count = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000usize);
    let server = TokenServer::start();
    println!(
        "engine_10k: {count} credentials, token endpoint {}",
        server.url
    );
    if !args.iter().any(|a| a == "--burst-only") {
        staggered(&server, count);
    }
    burst(&server, count);
}

/// Spreads the refresh points over a minute; checks every refresh's window.
fn staggered(server: &TokenServer, count: usize) {
    const TTL: i64 = 300;
    let spread = chrono::Duration::seconds(60);
    let dir = tempfile::tempdir().unwrap();
    let home = Home(dir.path().join("home"));
    let t0 = Utc::now() + chrono::Duration::seconds(8);
    let mut windows = HashMap::new();
    let creds: Vec<_> = (0..count)
        .map(|i| {
            let point = t0 + spread * i32::try_from(i).unwrap() / i32::try_from(count).unwrap();
            // The store keeps whole seconds, and so does the window.
            let created = point - chrono::Duration::milliseconds(TTL * 800);
            let created = DateTime::from_timestamp(created.timestamp(), 0).unwrap();
            let point = created + chrono::Duration::milliseconds(TTL * 800);
            let expires = created + chrono::Duration::seconds(TTL);
            let name = format!("s{i:05}");
            windows.insert(name.clone(), (point, expires));
            (name, created, expires)
        })
        .collect();
    prepare_home(home.path(), server, &creds);
    let mut daemon = Daemon::start(home.path());
    std::thread::sleep(Duration::from_secs(5));
    let loaded_rss = daemon.rss_kib();
    let deadline = Instant::now() + Duration::from_secs(8 + 60 + 60);
    let refreshes = loop {
        daemon.alive();
        let got = refreshes(home.path());
        if got.len() >= count || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    let (cpu, peak) = (daemon.cpu_seconds(), daemon.peak_rss_kib());
    daemon.stop();
    let mut late = 0;
    let mut early = 0;
    let mut first = HashMap::new();
    for (name, at) in &refreshes {
        first.entry(name.clone()).or_insert(*at);
    }
    for (name, at) in &first {
        let (point, expires) = windows[name];
        if *at < point {
            early += 1;
        }
        if *at >= expires {
            late += 1;
        }
    }
    let stats = server.stats();
    println!();
    println!("staggered: {count} credentials, refresh points spread over 60 s, TTL {TTL} s");
    println!("  refreshed               {:>8} of {count}", first.len());
    println!(
        "  inside their window     {:>8} (early {early}, late {late})",
        first.len() - early - late
    );
    println!(
        "  refreshes in total      {:>8} (a credential refreshed twice: {})",
        refreshes.len(),
        refreshes.len() - first.len()
    );
    println!("  replayed refresh tokens {:>8}", stats["replays"]);
    println!(
        "  RSS once loaded         {:>8.1} MiB",
        loaded_rss as f64 / 1024.0
    );
    println!(
        "  peak RSS                {:>8.1} MiB",
        peak as f64 / 1024.0
    );
    println!("  CPU (user+system)       {:>8.2} s over the run", cpu);
    assert_eq!(first.len(), count, "every credential refreshed");
    assert_eq!(early + late, 0, "every refresh inside its window");
}

/// Everything due at once: the engine's throughput against a bare client.
fn burst(server: &TokenServer, count: usize) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home(dir.path().join("home"));
    let now = Utc::now();
    let creds: Vec<_> = (0..count)
        .map(|i| {
            let created = now - chrono::Duration::seconds(1100);
            (
                format!("b{i:05}"),
                created,
                created + chrono::Duration::seconds(1200),
            )
        })
        .collect();
    prepare_home(home.path(), server, &creds);
    let mut daemon = Daemon::start(home.path());
    let deadline = Instant::now() + Duration::from_secs(300);
    while refreshes(home.path()).len() < count && Instant::now() < deadline {
        daemon.alive();
        std::thread::sleep(Duration::from_millis(250));
    }
    let (cpu, peak) = (daemon.cpu_seconds(), daemon.peak_rss_kib());
    daemon.stop();
    let audit = read_audit(home.path());
    let attempts: Vec<DateTime<Utc>> = audit
        .iter()
        .filter(|r| r["event"] == "refresh_attempted")
        .filter_map(ts)
        .collect();
    let done: Vec<DateTime<Utc>> = audit
        .iter()
        .filter(|r| r["event"] == "refresh_succeeded")
        .filter_map(ts)
        .collect();
    let span = (*done.iter().max().unwrap() - *attempts.iter().min().unwrap()).num_milliseconds()
        as f64
        / 1000.0;
    let engine_rate = done.len() as f64 / span;

    let bare = bare_client(server, count);
    println!();
    println!("burst: {count} credentials due at once, concurrency {CONCURRENCY}");
    println!(
        "  engine: {} refreshes in {span:.2} s = {engine_rate:.0}/s (CPU {cpu:.2} s, peak RSS {:.1} MiB)",
        done.len(),
        peak as f64 / 1024.0
    );
    println!(
        "  bare reqwest client, same requests: {count} in {bare:.2} s = {:.0}/s",
        count as f64 / bare
    );
    println!(
        "  engine / bare: {:.0} %",
        100.0 * engine_rate / (count as f64 / bare)
    );
    println!("  replayed refresh tokens: {}", server.stats()["replays"]);
    assert_eq!(done.len(), count);
}

/// The same token requests with nothing around them: the ceiling.
fn bare_client(server: &TokenServer, count: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let next = Arc::new(Mutex::new(0usize));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CONCURRENCY {
            let (client, next, url) = (client.clone(), Arc::clone(&next), server.url.clone());
            tasks.spawn(async move {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    if i >= count {
                        break;
                    }
                    let rt = format!("rt.bare{i:05}.0");
                    let body: Value = client
                        .post(&url)
                        .form(&[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", &rt),
                            ("client_id", "bench"),
                        ])
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert!(body["access_token"].is_string());
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        started.elapsed().as_secs_f64()
    })
}

fn prepare_home(
    home: &Path,
    server: &TokenServer,
    creds: &[(String, DateTime<Utc>, DateTime<Utc>)],
) {
    let mkdir = |p: &Path| {
        fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(p)
            .unwrap()
    };
    mkdir(home);
    mkdir(&home.join("oauth"));
    write_0600(
        &home.join("providers.toml"),
        format!(
            "[providers.bench]\ntoken_url = \"{}\"\nauthorization_url = \"{}\"\nclient_id = \"bench\"\nscopes = [\"read\"]\n",
            server.url,
            server.url.replace("/token", "/authorize")
        )
        .as_bytes(),
    );
    for (name, created, expires) in creds {
        let file = serde_json::json!({
            "provider": "bench",
            "access_token": format!("at.{name}.0"),
            "refresh_token": format!("rt.{name}.0"),
            "token_type": "Bearer",
            "scope": "read",
            "created_at": created.to_rfc3339_opts(SecondsFormat::Secs, true),
            "expires_at": expires.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        write_0600(
            &home.join("oauth").join(format!("{name}.json")),
            &serde_json::to_vec_pretty(&file).unwrap(),
        );
    }
}

fn write_0600(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn read_audit(home: &Path) -> Vec<Value> {
    let text = fs::read_to_string(home.join("audit.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn ts(record: &Value) -> Option<DateTime<Utc>> {
    record["ts"].as_str()?.parse().ok()
}

/// (credential, time) of every successful refresh so far.
fn refreshes(home: &Path) -> Vec<(String, DateTime<Utc>)> {
    read_audit(home)
        .into_iter()
        .filter(|r| r["event"] == "refresh_succeeded")
        .filter_map(|r| Some((r["credential"].as_str()?.to_string(), ts(&r)?)))
        .collect()
}

/// credtop refuses a home others can read, so the home is a 0700 folder
/// inside the (0755) temp dir.
struct Home(std::path::PathBuf);

impl Home {
    fn path(&self) -> &Path {
        &self.0
    }
}
