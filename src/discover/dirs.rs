//! The folders other tools keep their credentials in: what a view watches
//! to know when discovery is worth running again.

use std::path::PathBuf;

use super::Env;

/// The folders the sources read, as `env` places them; only those that
/// exist. The home itself (where `~/.claude.json` lives) is left out: every
/// shell writes there, and the slow timer covers it.
pub fn source_dirs(env: &Env) -> Vec<PathBuf> {
    let home = env.home();
    let aws_file_dir = |var: &str, default: &str| {
        env.path_var(var)
            .and_then(|p| p.parent().map(|d| d.to_path_buf()))
            .unwrap_or_else(|| home.join(default))
    };
    let dirs = [
        env.dir_or("CLAUDE_CONFIG_DIR", ".claude"),
        env.dir_or("CODEX_HOME", ".codex"),
        home.join(".gemini"),
        env.path_var("GH_CONFIG_DIR")
            .unwrap_or_else(|| env.config_home().join("gh")),
        home.join(".aws/sso/cache"),
        env.path_var("AWS_LOGIN_CACHE_DIRECTORY")
            .unwrap_or_else(|| home.join(".aws/login/cache")),
        aws_file_dir("AWS_SHARED_CREDENTIALS_FILE", ".aws"),
        aws_file_dir("AWS_CONFIG_FILE", ".aws"),
        env.dir_or("CLOUDSDK_CONFIG", ".config/gcloud"),
        env.dir_or("AZURE_CONFIG_DIR", ".azure"),
        env.dir_or("MCP_REMOTE_CONFIG_DIR", ".mcp-auth"),
    ];
    // mcp-remote keeps its tokens one level down, per version.
    let mcp_auth = env.dir_or("MCP_REMOTE_CONFIG_DIR", ".mcp-auth");
    let versions = std::fs::read_dir(&mcp_auth)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path());
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in dirs.into_iter().chain(versions) {
        if dir.is_dir() && !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_existing_folders_are_listed_once_each() {
        let home = tempfile::tempdir().expect("tempdir");
        for d in [
            ".codex",
            ".aws/sso/cache",
            ".config/gh",
            ".mcp-auth/mcp-remote-0.1",
        ] {
            std::fs::create_dir_all(home.path().join(d)).expect("mkdir");
        }
        let env = Env::new(home.path(), home.path());
        let dirs = source_dirs(&env);
        let rel: Vec<_> = dirs
            .iter()
            .filter_map(|d| d.strip_prefix(home.path()).ok())
            .map(|d| d.display().to_string())
            .collect();
        assert_eq!(
            rel,
            [
                ".codex",
                ".config/gh",
                ".aws/sso/cache",
                ".aws",
                ".mcp-auth",
                ".mcp-auth/mcp-remote-0.1"
            ]
        );
    }
}
