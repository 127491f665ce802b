//! `credtop git-credential get|store|erase`: git's credential-helper
//! protocol (gitcredentials(7), git-credential(1) "INPUT/OUTPUT FORMAT").
//! Only hosts mapped in config.toml's `[git]` table are answered; for any
//! other host nothing is printed, so git asks its next helper.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::store::Config;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GitAction {
    Get,
    Store,
    Erase,
}

/// The attributes git sends: `key=value` lines up to a blank line or EOF.
fn read_request(input: impl BufRead) -> Vec<(String, String)> {
    input
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn attr<'a>(request: &'a [(String, String)], key: &str) -> Option<&'a str> {
    request
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The credential for `host` (`example.com` or `127.0.0.1:8080`): the
/// exact entry first, then the host without its port.
fn mapped<'a>(config: &'a Config, host: &str) -> Option<&'a str> {
    config
        .git
        .get(host)
        .or_else(|| {
            host.rsplit_once(':')
                .and_then(|(name, _)| config.git.get(name))
        })
        .map(String::as_str)
}

pub fn run(ctx: &Context, action: GitAction, task: Option<&str>) -> Result<ExitCode, Failure> {
    let request = read_request(std::io::stdin().lock());
    let config = Config::load(&ctx.home)?;
    // Only https (and http, which git itself allows on loopback test
    // servers); never hand a token to ssh or file URLs.
    let web = matches!(attr(&request, "protocol"), Some("https" | "http"));
    let Some(name) = attr(&request, "host")
        .filter(|_| web)
        .and_then(|h| mapped(&config, h))
    else {
        return Ok(ExitCode::SUCCESS);
    };
    let name = super::alias::resolve(ctx, name)?;
    match action {
        GitAction::Get => get(ctx, &name, task),
        // credtop keeps its own credentials fresh; what git offers to store
        // is the token credtop just gave it, and nothing of another tool's
        // is ever written.
        GitAction::Store => Ok(ExitCode::SUCCESS),
        // A rejected token is worth an audit line; deleting the credential
        // because one server said 401 is not credtop's call.
        GitAction::Erase => {
            let host = attr(&request, "host").unwrap_or_default();
            ctx.audit.record(
                AuditRecord::new(Event::WarningRaised, ctx.actor, Outcome::Info)
                    .named(&name)
                    .detail(format!("git reported the token rejected by {host}")),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn get(ctx: &Context, name: &str, task: Option<&str>) -> Result<ExitCode, Failure> {
    let cred = super::token::valid(ctx, name)?;
    super::token::audit_read(ctx, &cred, task, Some("handed to git by git-credential"));
    let username = cred.account.as_deref().unwrap_or("x-access-token");
    let mut out = std::io::stdout().lock();
    let mut answer = format!("username={username}\n");
    answer.push_str("password=");
    answer.push_str(cred.secret.expose());
    answer.push('\n');
    if let Some(t) = cred.expires_at {
        // git 2.41+: the password is not reused past this instant.
        answer.push_str(&format!("password_expiry_utc={}\n", t.timestamp()));
    }
    out.write_all(answer.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot write to git: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// `--install [--global]`: adds credtop to `credential.helper` (after the
/// helpers already there, which keep answering for their hosts), once.
pub fn install(global: bool) -> Result<ExitCode, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot find credtop's path: {e}")))?;
    // `!` makes git run the rest through the shell (gitcredentials(7)
    // "Custom helpers"), which takes a quoted path with spaces in it.
    let quoted = format!("'{}'", exe.to_string_lossy().replace('\'', r"'\''"));
    let helper = format!("!{quoted} git-credential");
    let scope = if global { "--global" } else { "--local" };
    let current = git(&["config", scope, "--get-all", "credential.helper"])?;
    if current.lines().any(|l| l == helper) {
        println!("credtop is already a credential helper ({scope}).");
        return Ok(ExitCode::SUCCESS);
    }
    git(&["config", scope, "--add", "credential.helper", &helper])?;
    println!(
        "Added credtop as a git credential helper ({scope}); map hosts in [git] of config.toml."
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs git; exit 1 of `--get-all` (nothing set) is not a failure.
fn git(args: &[&str]) -> Result<String, Failure> {
    let out = std::process::Command::new("git")
        .args(args)
        .output()
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot run git: {}", e.kind())))?;
    match out.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Some(1) if args.contains(&"--get-all") => Ok(String::new()),
        _ => Err(Failure::new(
            exit::ERROR,
            format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_ends_at_the_blank_line() {
        let r = read_request("protocol=https\nhost=example.com:8443\n\nhost=later\n".as_bytes());
        assert_eq!(attr(&r, "protocol"), Some("https"));
        assert_eq!(attr(&r, "host"), Some("example.com:8443"));
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn a_host_maps_exactly_then_without_its_port() {
        let mut c = Config::default();
        c.git.insert("example.com".into(), "gh".into());
        c.git.insert("127.0.0.1:9000".into(), "local".into());
        assert_eq!(mapped(&c, "example.com"), Some("gh"));
        assert_eq!(mapped(&c, "example.com:8443"), Some("gh"));
        assert_eq!(mapped(&c, "127.0.0.1:9000"), Some("local"));
        assert_eq!(mapped(&c, "127.0.0.1:9001"), None);
        assert_eq!(mapped(&c, "other.com"), None);
    }
}
