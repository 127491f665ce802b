//! Text that came from outside (a server's error_description, another
//! tool's file, a name in providers.toml) shown as data: it must never move
//! the cursor, change colours, or start a new line that forges a table row.

/// `text` with every control character (C0, DEL, C1, and the Unicode
/// line and bidi controls) escaped as `\u{..}`, newlines and tabs included.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `word` quoted for a POSIX shell when it needs to be, so a hint such as
/// "log in again: `credtop login NAME`" can be pasted safely whatever the
/// name holds. Control characters are escaped first: they are shown, never
/// run.
pub fn shell_quoted(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.@/:=+,%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", shown(word).replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_newlines_are_shown_not_obeyed() {
        let s = shown("a\x1b[2Jb\nc\u{202e}d\u{9b}");
        assert!(!s.chars().any(char::is_control), "{s:?}");
        assert_eq!(s, r"a\u{1b}[2Jb\u{a}c\u{202e}d\u{9b}");
        assert_eq!(shown("plain text: ok"), "plain text: ok");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quoted("acme-work"), "acme-work");
        assert_eq!(shell_quoted("a b;rm -rf ~"), "'a b;rm -rf ~'");
        assert_eq!(shell_quoted("it's"), r"'it'\''s'");
        assert_eq!(shell_quoted("$(x)"), "'$(x)'");
        assert_eq!(shell_quoted(""), "''");
    }
}
