//! Whether literal text in a command line or URL looks like a pasted
//! secret. A heuristic, tuned to flag `--token=ghp_…`, `--api-key sk-…`,
//! `https://user:pass@host` and `?api_key=…` while leaving package names,
//! flags and paths alone.

/// Parameter names whose value is a secret (compared lowercase, ignoring
/// leading dashes).
const SECRET_NAMES: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "api-key",
    "api_key",
    "access-key",
    "access_key",
    "private-key",
    "private_key",
    "authorization",
    "bearer",
    "credential",
];

/// Prefixes of well-known token formats (GitHub, OpenAI/Anthropic, Slack,
/// GitLab, AWS access key ids, Google, npm, Hugging Face).
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "sk-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe.",
    "glpat-",
    "AKIA",
    "ASIA",
    "ya29.",
    "AIza",
    "npm_",
    "hf_",
];

/// A parameter name that announces a secret value (`--api-key`, `token`).
pub fn secret_name(name: &str) -> bool {
    let name = name.trim_start_matches('-').to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| name.contains(s))
}

/// A value that has the shape of a token: a known prefix, or a long run of
/// letters and digits (both) with no spaces, slashes or `@` (which paths,
/// URLs and package names have).
pub fn token_like(value: &str) -> bool {
    let v = value.trim();
    if TOKEN_PREFIXES
        .iter()
        .any(|p| v.starts_with(p) && v.len() >= p.len() + 8)
    {
        return true;
    }
    if v.is_empty() || v.contains(['/', '@', ' ']) || v.starts_with('-') {
        return false;
    }
    let longest_run = v
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::len)
        .max()
        .unwrap_or(0);
    longest_run >= 20
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_alphabetic())
}

/// Whether argument `i` of `args` looks like a secret: `--token=VALUE`,
/// the value after `--token`, or a token-shaped value on its own.
pub fn secret_arg(args: &[String], i: usize) -> bool {
    let arg = &args[i];
    if let Some((name, value)) = arg.split_once('=')
        && !value.is_empty()
        && (secret_name(name) || token_like(value))
    {
        return true;
    }
    let after_flag = i > 0 && {
        let prev = &args[i - 1];
        prev.starts_with('-') && !prev.contains('=') && secret_name(prev)
    };
    (after_flag && !arg.starts_with('-') && !arg.is_empty()) || token_like(arg) || secret_url(arg)
}

/// Whether a URL carries a secret: a password (or a token-shaped user) in
/// its userinfo, a query parameter with a secret name or token-shaped
/// value, or a token-shaped path segment.
pub fn secret_url(text: &str) -> bool {
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    if !url.has_host() {
        return false;
    }
    if url.password().is_some() || token_like(url.username()) {
        return true;
    }
    if url
        .query_pairs()
        .any(|(k, v)| !v.is_empty() && (secret_name(&k) || token_like(&v)))
    {
        return true;
    }
    url.path_segments()
        .is_some_and(|mut segments| segments.any(token_like))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pasted_tokens_in_arguments_are_flagged() {
        let a = args(&[
            "-y",
            "@modelcontextprotocol/server-github",
            "--api-key",
            "plainvalue",
            "--token=abc",
            "ghp_0123456789abcdefghij",
            "/home/dev/projects",
            "--root",
            "some-package-name-that-is-long",
        ]);
        let flagged: Vec<usize> = (0..a.len()).filter(|&i| secret_arg(&a, i)).collect();
        assert_eq!(flagged, vec![3, 4, 5]);
    }

    #[test]
    fn secrets_in_urls_are_flagged() {
        assert!(secret_url("https://user:pw@mcp.example.invalid/mcp"));
        assert!(secret_url("https://mcp.example.invalid/mcp?api_key=abc"));
        assert!(secret_url(
            "https://mcp.example.invalid/k/Zx8Qp2Lm9Vt4Rb7Nc1Wd5/mcp"
        ));
        assert!(!secret_url("https://mcp.example.invalid/v1/mcp?region=eu"));
    }
}
