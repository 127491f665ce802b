//! Debug logs go to `$CREDTOP_HOME/logs/credtop.log.YYYY-MM-DD` (UTC
//! date), never to the terminal (the dashboard owns it; scripts read
//! stdout). Level from `CREDTOP_LOG` (default `info`).
//!
//! The file is opened on the first record, not at start-up: `credtop
//! token`, called before every request an agent makes, logs nothing and so
//! pays for no directory check and no open. It is opened the way every
//! other file under the home is: `O_NOFOLLOW`, mode 0600, and refused
//! unless it is a regular file of ours, so a symlink planted at
//! `logs/credtop.log.DATE` cannot make credtop append to another file.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the file logger. Returns false (and logs nothing) when the home
/// cannot be made private: logging must never stop a command.
pub fn init(home: &Path) -> bool {
    if crate::store::ensure_private_dir(home).is_err() {
        return false;
    }
    let filter = EnvFilter::try_from_env("CREDTOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(DailyLog::new(home.join("logs")))
        .with_ansi(false)
        .try_init()
        .is_ok()
}

/// One log file per UTC day under `dir`, opened lazily and reopened when
/// the date changes. A file that cannot be opened (or is not ours) drops
/// the record: a log line is never worth failing a command for.
pub struct DailyLog {
    dir: PathBuf,
    open: Mutex<Option<(String, File)>>,
}

impl DailyLog {
    pub fn new(dir: PathBuf) -> DailyLog {
        DailyLog {
            dir,
            open: Mutex::new(None),
        }
    }

    fn write_record(&self, buf: &[u8]) -> io::Result<()> {
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.as_ref().is_none_or(|(day, _)| *day != today) {
            *open = Some((today.clone(), self.open_file(&today)?));
        }
        match open.as_mut() {
            Some((_, file)) => file.write_all(buf),
            None => Ok(()),
        }
    }

    fn open_file(&self, day: &str) -> io::Result<File> {
        crate::store::ensure_private_dir(&self.dir).map_err(io::Error::other)?;
        let path = self.dir.join(format!("credtop.log.{day}"));
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&path)?;
        let meta = file.metadata()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        if !meta.is_file() || meta.uid() != euid || meta.nlink() > 1 {
            return Err(io::Error::other("log file is not a private regular file"));
        }
        Ok(file)
    }
}

/// The writer one record is formatted into; it reaches the file in one
/// `write` when dropped, so records from threads never interleave.
pub struct Record<'a> {
    log: &'a DailyLog,
    buf: Vec<u8>,
}

impl Write for Record<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.log.write_record(&self.buf);
        }
    }
}

impl<'a> MakeWriter<'a> for DailyLog {
    type Writer = Record<'a>;

    fn make_writer(&'a self) -> Record<'a> {
        Record {
            log: self,
            buf: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");
        dir
    }

    fn log_path(home: &Path) -> PathBuf {
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        home.join("logs").join(format!("credtop.log.{day}"))
    }

    #[test]
    fn nothing_is_created_until_a_record_is_written() {
        let home = home();
        let log = DailyLog::new(home.path().join("logs"));
        drop(log.make_writer());
        assert!(!home.path().join("logs").exists());
        writeln!(log.make_writer(), "first line").expect("write");
        writeln!(log.make_writer(), "second line").expect("write");
        let text = std::fs::read_to_string(log_path(home.path())).expect("log");
        assert_eq!(text, "first line\nsecond line\n");
        let mode = std::fs::metadata(log_path(home.path())).expect("meta");
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }

    #[test]
    fn a_planted_symlink_is_not_followed() {
        let home = home();
        let victim = home.path().join("victim");
        std::fs::write(&victim, "untouched").expect("victim");
        std::fs::create_dir(home.path().join("logs")).expect("logs");
        std::os::unix::fs::symlink(&victim, log_path(home.path())).expect("symlink");
        let log = DailyLog::new(home.path().join("logs"));
        writeln!(log.make_writer(), "a record").expect("formatting never fails");
        assert_eq!(
            std::fs::read_to_string(&victim).expect("victim"),
            "untouched"
        );
    }

    #[test]
    fn a_second_hard_link_is_refused() {
        let home = home();
        std::fs::create_dir(home.path().join("logs")).expect("logs");
        let other = home.path().join("other");
        std::fs::write(&other, "").expect("other");
        std::fs::hard_link(&other, log_path(home.path())).expect("link");
        let log = DailyLog::new(home.path().join("logs"));
        writeln!(log.make_writer(), "a record").expect("formatting never fails");
        assert_eq!(std::fs::read_to_string(&other).expect("other"), "");
    }
}
