//! The `.env` files that VS Code and Cursor load through a server's
//! `envFile`: `KEY=VALUE` lines, `#` comments, an optional `export `, and
//! values in single quotes (as written) or double quotes (`\n`, `\"` and
//! `\\` escapes). Values are secrets; an error names the line, never its
//! text.

use crate::model::Secret;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DotenvError {
    #[error("line {0} is not KEY=VALUE")]
    NotAssignment(usize),
    #[error("line {0}: the key is not a variable name")]
    BadKey(usize),
    #[error("line {0}: a quote is not closed (values on several lines are not supported)")]
    OpenQuote(usize),
}

/// The variables of a `.env` file, in file order; a later line for the same
/// key replaces the earlier value.
pub fn parse(text: &str) -> Result<Vec<(String, Secret)>, DotenvError> {
    let mut out: Vec<(String, Secret)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, raw) = line.split_once('=').ok_or(DotenvError::NotAssignment(n))?;
        let key = key.trim();
        if !is_name(key) {
            return Err(DotenvError::BadKey(n));
        }
        let value = value(raw.trim()).ok_or(DotenvError::OpenQuote(n))?;
        out.retain(|(k, _)| k != key);
        out.push((key.to_string(), Secret::new(value)));
    }
    Ok(out)
}

fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The value after `=`: unquoted (up to a ` #` comment), or quoted. None
/// when a quote opens and does not close.
fn value(raw: &str) -> Option<String> {
    if let Some(rest) = raw.strip_prefix('\'') {
        return rest.find('\'').map(|end| rest[..end].to_string());
    }
    if let Some(rest) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        return None;
    }
    let end = raw.find(" #").unwrap_or(raw.len());
    Some(raw[..end].trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.expose().to_string()))
            .collect()
    }

    #[test]
    fn every_form_of_line() {
        let text = "# comment\n\nA=1\nexport B = two words # note\nC='single # kept'\nD=\"x\\ny \\\"q\\\"\"\nE=\nA=3\nF=a=b\n";
        assert_eq!(
            pairs(text),
            [
                ("B", "two words"),
                ("C", "single # kept"),
                ("D", "x\ny \"q\""),
                ("E", ""),
                ("A", "3"),
                ("F", "a=b"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn errors_name_the_line_and_never_the_value() {
        let cases = [
            ("A=1\nSECRET-CANARY\n", DotenvError::NotAssignment(2)),
            ("1X=SECRET-CANARY", DotenvError::BadKey(1)),
            ("K=\"SECRET-CANARY", DotenvError::OpenQuote(1)),
            ("K='SECRET-CANARY", DotenvError::OpenQuote(1)),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e, want);
            assert!(!e.to_string().contains("CANARY"));
        }
    }
}
