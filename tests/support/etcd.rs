//! A real three-member etcd cluster (Debian's etcd-server 3.4) on
//! 127.0.0.1, each member in its own temporary data directory with random
//! ports. Members can be killed and restarted (the leader too); everything
//! is killed when the cluster is dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Home;

pub struct Member {
    pub name: String,
    pub client: String,
    peer: String,
    data: PathBuf,
    child: Option<Child>,
}

pub struct Cluster {
    pub members: Vec<Member>,
    initial: String,
    token: String,
    _dir: tempfile::TempDir,
}

/// A port the kernel just handed out, free again once the probe closes.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// Starts `n` members and waits (bounded) until every one is healthy.
    pub fn start(n: usize) -> Cluster {
        assert!(
            Path::new("/usr/bin/etcd").exists() || which("etcd"),
            "etcd is not installed: run `bash scripts/test-deps.sh`"
        );
        let dir = tempfile::tempdir().unwrap();
        let members: Vec<Member> = (0..n)
            .map(|i| Member {
                name: format!("m{i}"),
                client: format!("http://127.0.0.1:{}", free_port()),
                peer: format!("http://127.0.0.1:{}", free_port()),
                data: dir.path().join(format!("m{i}")),
                child: None,
            })
            .collect();
        let initial = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!("credtop-test-{}", std::process::id());
        let mut cluster = Cluster {
            members,
            initial,
            token,
            _dir: dir,
        };
        for i in 0..n {
            cluster.spawn(i);
        }
        cluster.wait_healthy(Duration::from_secs(60));
        cluster
    }

    fn spawn(&mut self, i: usize) {
        let m = &self.members[i];
        let log = std::fs::File::create(format!("{}.log", m.data.display())).unwrap();
        let child = Command::new("etcd")
            .args(["--name", &m.name])
            .args(["--data-dir", &m.data.to_string_lossy()])
            .args(["--listen-client-urls", &m.client])
            .args(["--advertise-client-urls", &m.client])
            .args(["--listen-peer-urls", &m.peer])
            .args(["--initial-advertise-peer-urls", &m.peer])
            .args(["--initial-cluster", &self.initial])
            .args(["--initial-cluster-token", &self.token])
            .args(["--initial-cluster-state", "new"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("etcd starts");
        self.members[i].child = Some(child);
    }

    /// The client URLs of every member, as `[etcd] endpoints` wants them.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client.clone()).collect()
    }

    pub fn endpoints_csv(&self) -> String {
        self.endpoints().join(",")
    }

    /// Waits until every running member says it is healthy (a leader is
    /// known and it can serve).
    pub fn wait_healthy(&self, limit: Duration) {
        let start = Instant::now();
        loop {
            let running: Vec<&Member> = self.members.iter().filter(|m| m.child.is_some()).collect();
            if running.iter().all(|m| self.healthy(&m.client)) {
                return;
            }
            assert!(start.elapsed() < limit, "etcd did not become healthy");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn healthy(&self, endpoint: &str) -> bool {
        self.etcdctl(&["--endpoints", endpoint, "endpoint", "health"])
            .status
            .success()
    }

    /// The index of the current leader, by asking each running member.
    pub fn leader(&self) -> usize {
        let out = self.etcdctl(&[
            "--endpoints",
            &self.endpoints_csv(),
            "endpoint",
            "status",
            "-w",
            "json",
        ]);
        let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        for entry in all.as_array().into_iter().flatten() {
            let status = &entry["Status"];
            if status["leader"] == status["header"]["member_id"] {
                let ep = entry["Endpoint"].as_str().unwrap_or_default();
                if let Some(i) = self.members.iter().position(|m| m.client == ep) {
                    return i;
                }
            }
        }
        panic!("no leader among the members");
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.spawn(i);
    }

    pub fn kill_all(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }

    /// `etcdctl` (API v3) with the arguments given.
    pub fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--command-timeout", "5s"])
            .args(args)
            .output()
            .expect("etcdctl runs")
    }

    /// Everything under `prefix`, keys and raw values, as etcdctl prints it.
    pub fn dump(&self, prefix: &str) -> String {
        let out = self.etcdctl(&[
            "--endpoints",
            &self.endpoints_csv(),
            "get",
            "--prefix",
            prefix,
        ]);
        assert!(out.status.success(), "etcdctl get failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// A fleet key file: base64 of 32 bytes, 0600.
pub fn key_file(home: &Home, byte: u8) -> std::path::PathBuf {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode([byte; 32]);
    home.write_private("fleet.key", &format!("{text}\n"))
}

/// Makes `home` a fleet host named `host` on `endpoints` under `prefix`.
pub fn join_fleet(home: &Home, host: &str, endpoints: &[String], prefix: &str, key: u8) {
    let key = key_file(home, key);
    let eps: Vec<String> = endpoints.iter().map(|e| format!("{e:?}")).collect();
    home.write_private(
        "config.toml",
        &format!(
            "store = \"etcd\"\n[discover]\nenabled = false\n[etcd]\nendpoints = [{}]\nprefix = {prefix:?}\nkey_file = {:?}\nhost = {host:?}\ncall_budget_ms = 3000\nlock_ttl_secs = 3\n",
            eps.join(", "),
            key.display().to_string()
        ),
    );
}

pub fn add_key(home: &Home, name: &str, secret: &str) {
    let out = home
        .credtop()
        .args(["add-key", name])
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for sub in ["oauth", "keys"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            found.extend(entries.flatten().map(|e| e.path().display().to_string()));
        }
    }
    found
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}
