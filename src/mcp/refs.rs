//! `${...}` references in MCP server configs: Claude Code's `${VAR}` and
//! `${VAR:-default}`, VS Code's and Cursor's `${env:VAR}`, VS Code's
//! `${input:ID}`, and the editors' predefined `${workspaceFolder}` family,
//! each recognised only in the files of the client that expands it.

use super::Dialect;

/// One `${...}` found in a config value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// An environment variable, with the `:-` default when there is one.
    Env {
        var: String,
        default: Option<String>,
    },
    /// `${input:ID}`: VS Code prompts for it and keeps it in its own storage.
    Input { id: String },
    /// `${workspaceFolder}`, `${userHome}`, ...: filled in by the editor.
    Predefined { name: String },
    /// Another client's syntax (`${env:X}` in `.mcp.json`, `${X}` in a VS
    /// Code or Cursor file, anything in Claude Desktop's config): this
    /// client does not expand it, so the server gets the text as written.
    Unexpanded { text: String },
}

impl Reference {
    /// Whether the client fills this reference in (everything but
    /// [`Reference::Unexpanded`]).
    pub fn is_expanded(&self) -> bool {
        !matches!(self, Reference::Unexpanded { .. })
    }
}

/// The editors' predefined variables (VS Code and Cursor).
const PREDEFINED: &[&str] = &[
    "workspaceFolder",
    "workspaceFolderBasename",
    "userHome",
    "pathSeparator",
    "/",
    "cwd",
];

/// A piece of a value: literal text, or a reference with its source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Ref(Reference, String),
}

/// Splits a value into literal text and references. `${...}` that is not a
/// reference (`${var%pattern}`) stays literal, as the tools leave it.
pub fn parse(value: &str, dialect: Dialect) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(len) = closing_brace(after) else {
            text.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..len];
        let whole = &rest[start..start + 2 + len + 1];
        match reference(inner, dialect) {
            Some(r) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Ref(r, whole.to_string()));
            }
            None => text.push_str(whole),
        }
        rest = &after[len + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// Every reference in a value.
pub fn references(value: &str, dialect: Dialect) -> Vec<Reference> {
    parse(value, dialect)
        .into_iter()
        .filter_map(|p| match p {
            Part::Ref(r, _) => Some(r),
            Part::Text(_) => None,
        })
        .collect()
}

/// The index of the `}` that closes a `${`, allowing nested `${...}` in a
/// default.
fn closing_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// What `${inner}` means in `dialect`. Each client expands only its own
/// syntax (each client's MCP configuration docs): Claude Code `${VAR}` and
/// `${VAR:-default}`; VS Code `${env:VAR}`, `${input:ID}` and the predefined
/// variables; Cursor `${env:VAR}` and the predefined variables; Claude
/// Desktop nothing. A well-formed reference of another client's syntax is
/// [`Reference::Unexpanded`]: the server receives it as literal text.
fn reference(inner: &str, dialect: Dialect) -> Option<Reference> {
    let found = match any_reference(inner)? {
        // Claude Code has no predefined variables: `${cwd}` is a variable.
        Reference::Predefined { name } if dialect == Dialect::Claude && is_name(&name) => {
            Reference::Env {
                var: name,
                default: None,
            }
        }
        r => r,
    };
    let expanded = match (&found, dialect) {
        (_, Dialect::ClaudeDesktop) => false,
        (Reference::Env { .. }, Dialect::Claude) => !inner.starts_with("env:"),
        (Reference::Env { .. }, Dialect::VsCode | Dialect::Cursor) => inner.starts_with("env:"),
        (Reference::Input { .. }, d) => d == Dialect::VsCode,
        (Reference::Predefined { .. }, d) => d != Dialect::Claude,
        (Reference::Unexpanded { .. }, _) => false,
    };
    Some(if expanded {
        found
    } else {
        Reference::Unexpanded {
            text: format!("${{{inner}}}"),
        }
    })
}

/// `inner` read as a reference of any client's syntax.
fn any_reference(inner: &str) -> Option<Reference> {
    if let Some(var) = inner.strip_prefix("env:") {
        return is_name(var).then(|| Reference::Env {
            var: var.to_string(),
            default: None,
        });
    }
    if let Some(id) = inner.strip_prefix("input:") {
        return (!id.is_empty()).then(|| Reference::Input { id: id.to_string() });
    }
    if PREDEFINED.contains(&inner) {
        return Some(Reference::Predefined {
            name: inner.to_string(),
        });
    }
    let (var, default) = match inner.split_once(":-") {
        Some((v, d)) => (v, Some(d.to_string())),
        None => (inner, None),
    };
    is_name(var).then(|| Reference::Env {
        var: var.to_string(),
        default,
    })
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str, default: Option<&str>) -> Reference {
        Reference::Env {
            var: var.into(),
            default: default.map(str::to_string),
        }
    }

    fn unexpanded(text: &str) -> Reference {
        Reference::Unexpanded { text: text.into() }
    }

    const ALL_FORMS: &str = "${A}/${B:-http://x}/${env:C}/${input:key}/${workspaceFolder}";

    #[test]
    fn each_client_expands_only_its_own_syntax() {
        assert_eq!(
            references(ALL_FORMS, Dialect::VsCode),
            vec![
                unexpanded("${A}"),
                unexpanded("${B:-http://x}"),
                env("C", None),
                Reference::Input { id: "key".into() },
                Reference::Predefined {
                    name: "workspaceFolder".into()
                },
            ]
        );
        assert_eq!(
            references(ALL_FORMS, Dialect::Cursor),
            vec![
                unexpanded("${A}"),
                unexpanded("${B:-http://x}"),
                env("C", None),
                unexpanded("${input:key}"),
                Reference::Predefined {
                    name: "workspaceFolder".into()
                },
            ]
        );
        assert_eq!(
            references(ALL_FORMS, Dialect::Claude),
            vec![
                env("A", None),
                env("B", Some("http://x")),
                unexpanded("${env:C}"),
                unexpanded("${input:key}"),
                // Claude Code has no predefined variables: an env variable.
                env("workspaceFolder", None),
            ]
        );
        assert!(
            references(ALL_FORMS, Dialect::ClaudeDesktop)
                .iter()
                .all(|r| matches!(r, Reference::Unexpanded { .. }))
        );
    }

    #[test]
    fn non_references_and_bare_dollars_stay_literal() {
        let parts = parse("$HOME ${x%y} ${ unterminated", Dialect::Claude);
        assert_eq!(
            parts,
            vec![Part::Text("$HOME ${x%y} ${ unterminated".into())]
        );
    }

    #[test]
    fn a_nested_default_is_kept_whole() {
        assert_eq!(
            references("Bearer ${A:-${B}}", Dialect::Claude),
            vec![env("A", Some("${B}"))]
        );
    }
}
