//! `credtop daemon` as a child of a benchmark, with its RSS and CPU read
//! from /proc. Shared by `engine_10k` and `fleet`.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Daemon {
    child: Child,
    stderr: std::path::PathBuf,
}

impl Daemon {
    pub fn start(home: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_credtop"))
            .args(["--home"])
            .arg(home)
            .arg("daemon")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(home.with_extension("stderr")).unwrap())
            .spawn()
            .unwrap();
        Daemon {
            child,
            stderr: home.with_extension("stderr"),
        }
    }

    /// Fails the run loudly when the daemon is gone.
    pub fn alive(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "the daemon exited ({status}): {}",
                fs::read_to_string(&self.stderr).unwrap_or_default()
            );
        }
    }

    fn proc_file(&self, file: &str) -> String {
        fs::read_to_string(format!("/proc/{}/{file}", self.child.id())).unwrap_or_default()
    }

    fn status_kib(&self, key: &str) -> u64 {
        self.proc_file("status")
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// utime + stime from /proc/PID/stat (fields 14 and 15).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = self.proc_file("stat");
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        ticks as f64 / hz
    }

    pub fn stop(mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
