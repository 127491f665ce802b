//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1): what a resource server
//! says when it refuses a token. RFC 6750 §3 gives `error` and `scope`,
//! RFC 9728 §5.1 `resource_metadata`, RFC 9449 §7.1 the `DPoP` scheme.

use std::collections::HashMap;

/// One challenge: its scheme (lower-cased) and its parameters (names
/// lower-cased, values unquoted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: HashMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// All challenges of all `WWW-Authenticate` headers of a response.
pub fn parse_all(headers: &http::HeaderMap) -> Vec<Challenge> {
    headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse)
        .collect()
}

/// The first value of parameter `name` in any challenge.
pub fn find_param<'a>(challenges: &'a [Challenge], name: &str) -> Option<&'a str> {
    challenges.iter().find_map(|c| c.param(name))
}

/// Parses one header value: `Bearer error="x", scope="a b", DPoP algs="ES256"`.
/// A comma separates both parameters and challenges; a token that is not
/// followed by `=` starts a new challenge.
pub fn parse(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let token_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        if token.is_empty() {
            break;
        }
        let after = rest[token_end..].trim_start();
        if let Some(value_text) = after.strip_prefix('=')
            && let Some(current) = out.last_mut()
        {
            let (value, remaining) = read_value(value_text.trim_start());
            current.params.insert(token.to_ascii_lowercase(), value);
            rest = remaining;
        } else {
            out.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: HashMap::new(),
            });
            rest = after;
        }
    }
    out
}

/// A quoted string (with `\` escapes) or a token; returns it and the rest.
fn read_value(text: &str) -> (String, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        value.push(next);
                    }
                }
                '"' => return (value, &quoted[i + 1..]),
                _ => value.push(c),
            }
        }
        (value, "")
    } else {
        let end = text.find([',', ' ', '\t']).unwrap_or(text.len());
        (text[..end].to_string(), &text[end..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_with_scope_and_resource_metadata() {
        let c = parse(
            r#"Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("error"), Some("insufficient_scope"));
        assert_eq!(c[0].param("scope"), Some("mcp:read mcp:write"));
        assert!(c[0].param("resource_metadata").unwrap().ends_with("/mcp"));
    }

    #[test]
    fn several_challenges_tokens_and_escapes() {
        let c = parse(r#"DPoP error=use_dpop_nonce, algs="ES256", Bearer realm="a \"b\"""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "dpop");
        assert_eq!(c[0].param("error"), Some("use_dpop_nonce"));
        assert_eq!(c[0].param("algs"), Some("ES256"));
        assert_eq!(c[1].param("realm"), Some("a \"b\""));
        assert!(parse("").is_empty());
        assert_eq!(parse("Bearer")[0].scheme, "bearer");
    }
}
