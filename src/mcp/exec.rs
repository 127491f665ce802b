//! Starting a stdio MCP server: its command with an empty environment but
//! for [`BASE_ENV`] and what it declares, every reference resolved at
//! spawn time from the environment or from credtop's store. Used by
//! `credtop mcp exec`; the resolution does not depend on who starts it.

use std::collections::BTreeMap;

use chrono::Utc;

use super::{EnvFileError, McpConfigs, McpProblem, McpServer, Part, Reference, Supply};
use crate::discover::Env;
use crate::engine::Lifecycle;
use crate::model::{Secret, Zone};
use crate::store::{Store, StoreError};

/// What the child gets besides its declared variables: enough to find its
/// interpreter and its caches, nothing that holds a secret.
pub const BASE_ENV: &[&str] = &["PATH", "HOME", "LANG"];

/// Why a server cannot be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(
        "no MCP server named {name:?} in .mcp.json (from {cwd} upward), ~/.claude.json, Claude Desktop, VS Code or Cursor configs; `credtop mcp list` shows them"
    )]
    NotFound { name: String, cwd: String },
    #[error(
        "the MCP server {server} is remote (a url, no command); `credtop mcp exec` starts stdio servers only"
    )]
    Remote { server: String },
    /// A variable it needs cannot be supplied: the operator must act.
    #[error(transparent)]
    Problem(#[from] McpProblem),
}

/// The stdio server `name` that applies in the working directory.
pub fn find_stdio<'a>(
    configs: &'a McpConfigs,
    env: &Env,
    name: &str,
) -> Result<&'a McpServer, ExecError> {
    let server = configs.find(env, name).ok_or_else(|| ExecError::NotFound {
        name: name.to_string(),
        cwd: env.cwd().display().to_string(),
    })?;
    if server.command.is_none() {
        return Err(ExecError::Remote {
            server: server.label(),
        });
    }
    Ok(server)
}

/// Why credential `name` of the store cannot supply a variable, if it cannot.
pub fn unusable(store: &Store, name: &str) -> Option<String> {
    match store.load(name) {
        Err(StoreError::NotFound { .. }) => Some(format!(
            "is not in credtop's store (run `credtop login {name}` or `credtop add-key {name}`, or fix [mcp_env] in config.toml)"
        )),
        Err(e) => Some(format!("cannot be read ({e})")),
        Ok(c) if c.zone(Utc::now(), None) == Zone::Expired && !c.is_refreshable() => Some(format!(
            "expired and cannot be refreshed (run `{}`)",
            crate::model::relogin_command(&c.provider, &c.name)
        )),
        Ok(_) => None,
    }
}

/// The secret of credential `credential` for variable `var` of `server`:
/// refused with the reason when it cannot be used, refreshed first when
/// due, audited.
pub async fn store_token(
    lc: &Lifecycle,
    server: &McpServer,
    var: &str,
    credential: &str,
) -> Result<Secret, McpProblem> {
    let problem = |reason: String| McpProblem::Credential {
        var: var.to_string(),
        credential: credential.to_string(),
        reason,
        server: server.label(),
    };
    if let Some(reason) = unusable(lc.store(), credential) {
        return Err(problem(reason));
    }
    let purpose = format!("supplied as {var} to the MCP server {}", server.label());
    let task = std::env::var("CREDTOP_TASK").ok();
    lc.supply(credential, &purpose, task.as_deref())
        .await
        .map(|c| c.secret)
        .map_err(|e| problem(format!("could not be refreshed ({e})")))
}

/// Asked for the secret of a store credential: (variable, credential name).
pub type TokenSource<'a> = dyn FnMut(&str, &str) -> Result<Secret, McpProblem> + 'a;

/// The server's command, ready to spawn: program and arguments expanded,
/// the environment cleared but for [`BASE_ENV`], its envFile and its
/// declared `env`, the caller's umask, the project folder as working
/// directory. `extra` arguments go after the configured ones.
pub fn command(
    server: &McpServer,
    env: &Env,
    mcp_env: &BTreeMap<String, String>,
    extra: &[String],
    tokens: &mut TokenSource<'_>,
) -> Result<std::process::Command, ExecError> {
    let raw_command = server.command.as_deref().ok_or_else(|| ExecError::Remote {
        server: server.label(),
    })?;
    let mut resolver = Resolver {
        env,
        server,
        mcp_env,
        tokens,
        supplied: BTreeMap::new(),
        field: "command",
    };
    let program = resolver.expand(raw_command)?;
    resolver.field = "args";
    let args = server
        .args
        .iter()
        .map(|a| resolver.expand(a))
        .collect::<Result<Vec<_>, _>>()?;
    // The envFile's variables first: those of `env` win over them, as in
    // VS Code and Cursor.
    let from_file = match server.env_file_vars(env) {
        None => Vec::new(),
        Some(Ok(vars)) => vars,
        Some(Err(error)) => return Err(env_file_problem(server, error).into()),
    };
    resolver.field = "env";
    let declared = server
        .env
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolver.expand(v.expose())?)))
        .collect::<Result<Vec<_>, McpProblem>>()?;
    let mut child = std::process::Command::new(program.expose());
    child.env_clear();
    for var in BASE_ENV {
        if let Some(v) = env.var(var) {
            child.env(var, v.expose());
        }
    }
    for (k, v) in from_file.iter().chain(&declared) {
        child.env(k, v.expose());
    }
    child.args(args.iter().map(Secret::expose)).args(extra);
    // The server creates files for the user, with the user's umask, not
    // the 077 credtop keeps for its own files.
    let umask = super::child_umask() as libc::mode_t;
    // SAFETY: umask is async-signal-safe and touches no memory; the
    // closure allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut child, move || {
            libc::umask(umask);
            Ok(())
        });
    }
    // Where the client would start it: the project the config belongs to.
    if let Some(dir) = server.project.as_ref().or(server.file.workspace.as_ref())
        && dir.is_dir()
    {
        child.current_dir(dir);
    }
    Ok(child)
}

fn env_file_problem(server: &McpServer, error: EnvFileError) -> McpProblem {
    McpProblem::EnvFile {
        server: server.label(),
        error,
    }
}

/// Resolves references at spawn time, asking for each store credential at
/// most once.
struct Resolver<'a, 't> {
    env: &'a Env,
    server: &'a McpServer,
    mcp_env: &'a BTreeMap<String, String>,
    tokens: &'a mut TokenSource<'t>,
    supplied: BTreeMap<String, Secret>,
    /// The field being expanded: `command`, `args` or `env`.
    field: &'static str,
}

impl Resolver<'_, '_> {
    fn expand(&mut self, value: &str) -> Result<Secret, McpProblem> {
        let mut out = String::new();
        for part in super::parse(value, self.server.file.dialect) {
            match part {
                Part::Text(t) => out.push_str(&t),
                Part::Ref(r, _) => out.push_str(self.value(&r)?.expose()),
            }
        }
        Ok(Secret::new(out))
    }

    fn value(&mut self, r: &Reference) -> Result<Secret, McpProblem> {
        match r {
            Reference::Env { var, default } => {
                // A mapping in config.toml wins over the environment: it is
                // the operator's explicit choice, and it hands out a token
                // refreshed just now rather than whatever the shell holds.
                if let Some(supply) = Supply::for_var(self.mcp_env, var) {
                    if super::on_command_line(self.field) {
                        return Err(McpProblem::StoreValueInArgv {
                            var: var.clone(),
                            credential: supply.credential,
                            field: self.field.to_string(),
                            server: self.server.label(),
                        });
                    }
                    return self.store_token(var, &supply.credential);
                }
                if let Some(v) = self.env.var(var) {
                    return Ok(v.clone());
                }
                match default {
                    // A default is shorter than the value it came from, so
                    // this recursion ends.
                    Some(d) => self.expand(d),
                    None => Err(McpProblem::Unset {
                        var: var.clone(),
                        server: self.server.label(),
                    }),
                }
            }
            Reference::Input { id } => Err(McpProblem::Input {
                id: id.clone(),
                server: self.server.label(),
            }),
            Reference::Unexpanded { text } => Ok(Secret::new(text.clone())),
            Reference::Predefined { name } => {
                Ok(Secret::new(self.server.predefined(self.env, name)))
            }
        }
    }

    fn store_token(&mut self, var: &str, name: &str) -> Result<Secret, McpProblem> {
        if let Some(s) = self.supplied.get(name) {
            return Ok(s.clone());
        }
        let secret = (self.tokens)(var, name)?;
        self.supplied.insert(name.to_string(), secret.clone());
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{ConfigFile, Dialect};

    fn server(args: &[&str], env: &[(&str, &str)]) -> McpServer {
        McpServer {
            name: "github".into(),
            file: ConfigFile {
                path: "/p/.mcp.json".into(),
                label: ".mcp.json".into(),
                dialect: Dialect::Claude,
                workspace: None,
            },
            project: None,
            command: Some("gh-mcp".into()),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), Secret::new(v.to_string())))
                .collect(),
            url: None,
            headers: vec![],
            env_file: None,
        }
    }

    fn mapped() -> BTreeMap<String, String> {
        BTreeMap::from([("GITHUB_TOKEN".to_string(), "oauth:gh".to_string())])
    }

    #[test]
    fn a_store_token_is_asked_for_once_and_lands_in_the_env_only() {
        let s = server(
            &["--x"],
            &[("A", "${GITHUB_TOKEN}"), ("B", "${GITHUB_TOKEN}")],
        );
        let env = Env::new("/h", "/p");
        let mut asked = Vec::new();
        let mut tokens = |var: &str, cred: &str| {
            asked.push((var.to_string(), cred.to_string()));
            Ok(Secret::new("tok".to_string()))
        };
        let cmd = command(&s, &env, &mapped(), &[], &mut tokens).expect("resolves");
        assert_eq!(asked, [("GITHUB_TOKEN".to_string(), "gh".to_string())]);
        let envs: Vec<_> = cmd.get_envs().filter_map(|(k, v)| Some((k, v?))).collect();
        assert_eq!(envs.len(), 2, "{envs:?}");
        assert!(cmd.get_args().all(|a| a != "tok"));
    }

    #[test]
    fn a_store_token_on_the_command_line_is_a_typed_problem() {
        let s = server(&["--token=${GITHUB_TOKEN}"], &[]);
        let env = Env::new("/h", "/p");
        let mut tokens = |_: &str, _: &str| -> Result<Secret, McpProblem> {
            panic!("no token may be fetched for argv")
        };
        let err = command(&s, &env, &mapped(), &[], &mut tokens).expect_err("refused");
        assert!(
            matches!(
                err,
                ExecError::Problem(McpProblem::StoreValueInArgv { ref field, .. }) if field == "args"
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("'github' (.mcp.json)"), "{err}");
    }

    #[test]
    fn an_unset_variable_names_the_server_by_its_label() {
        let s = server(&[], &[("T", "${NOPE}")]);
        let env = Env::new("/h", "/p");
        let mut tokens = |_: &str, _: &str| -> Result<Secret, McpProblem> { unreachable!() };
        let err = command(&s, &env, &BTreeMap::new(), &[], &mut tokens).expect_err("unset");
        assert_eq!(
            err.to_string(),
            "NOPE is not set — the MCP server 'github' (.mcp.json) cannot start"
        );
    }
}
