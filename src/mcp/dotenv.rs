//! The `.env` files that VS Code and Cursor load through a server's
//! `envFile`, read by the rules of VS Code's own parser
//! (`vs/base/common/envfile.ts`), so that the server gets from credtop what
//! it would get from the editor:
//!
//! - `KEY=VALUE` or `KEY: VALUE`, an optional `export `, `#` comments (a
//!   whole line, or from a `#` outside quotes to the end of the line);
//! - a value wholly in `"…"`, `'…'` or `` `…` `` loses its quotes, and in
//!   double quotes `\n` and `\r` become line breaks (no other escape);
//! - a line without a separator is skipped, not an error; a later line for
//!   the same key wins.
//!
//! Values are secrets and stay in [`Secret`].

use crate::model::Secret;

/// The variables of a `.env` file, in the order their keys first appear.
pub fn parse(text: &str) -> Vec<(String, Secret)> {
    let mut out: Vec<(String, Secret)> = Vec::new();
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for line in text.split('\n') {
        let line = trim(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = assignment(line) else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = Secret::new(value),
            None => out.push((key, Secret::new(value))),
        }
    }
    out
}

/// JavaScript's `trim()`, which also drops a byte-order mark.
fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

fn assignment(line: &str) -> Option<(String, String)> {
    let line = match line.strip_prefix("export ") {
        Some(rest) => trim(rest),
        None => line,
    };
    let sep = outside_quotes(line, |c| c == '=' || c == ':')?;
    let key = trim(&line[..sep]).to_string();
    let mut value = trim(&line[sep + 1..]);
    if let Some(hash) = outside_quotes(value, |c| c == '#') {
        value = trim(&value[..hash]);
    }
    Some((key, unquote(value)))
}

fn unquote(value: &str) -> String {
    let mut chars = value.chars();
    let (Some(first), Some(last)) = (chars.next(), chars.next_back()) else {
        return value.to_string();
    };
    if first != last || !matches!(first, '"' | '\'' | '`') {
        return value.to_string();
    }
    let inner = &value[1..value.len() - 1];
    if first == '"' {
        inner.replace("\\n", "\n").replace("\\r", "\r")
    } else {
        inner.to_string()
    }
}

/// The byte offset of the first character matching `wanted` outside
/// quotes; a quote closes at the same quote character not preceded by `\`.
fn outside_quotes(text: &str, wanted: impl Fn(char) -> bool) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = '\0';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q && previous != '\\' => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if wanted(c) => return Some(i),
            None => {}
        }
        previous = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .into_iter()
            .map(|(k, v)| (k, v.expose().to_string()))
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_forms_vs_code_reads() {
        let text = "\u{feff}# comment\r\n\r\nA=1\nexport B = two words # note\nC='single # kept'\n\
                    D=\"x\\ny \\t\"\nE=\nA=3\nF=a=b\nG: colon\nH=abc#def\nI=`tick`\nJ=\"C:\\temp\"\n";
        assert_eq!(
            pairs(text),
            owned(&[
                ("A", "3"),
                ("B", "two words"),
                ("C", "single # kept"),
                ("D", "x\ny \\t"),
                ("E", ""),
                ("F", "a=b"),
                ("G", "colon"),
                ("H", "abc"),
                ("I", "tick"),
                ("J", "C:\\temp"),
            ])
        );
    }

    #[test]
    fn lines_vs_code_skips_are_skipped() {
        let text = "just words\n=no key\nK=\"open quote\nOK=1\n";
        // An unclosed quote swallows the rest of its line, as in VS Code:
        // the value is kept as written.
        assert_eq!(pairs(text), owned(&[("K", "\"open quote"), ("OK", "1")]));
    }
}
