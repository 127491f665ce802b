use std::fmt;

/// A credential or provider name, validated once: the only thing a file
/// name under `$CREDTOP_HOME` is ever built from. A raw string from
/// providers.toml, a credential file's `provider` field or argv must pass
/// [`Name::parse`] before it can become a path component, so `../x`,
/// `a/b` or a control character never reach `Path::join`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    pub fn parse(name: &str) -> Result<Name, String> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@');
        if name.is_empty() || name.len() > 64 {
            return Err(format!(
                "a name must be 1 to 64 characters, got {}",
                name.len()
            ));
        }
        if name.starts_with('.') || !name.chars().all(ok_char) {
            return Err(format!(
                "name {} may only contain letters, digits, '-', '_', '.', '@' and must not start with '.'",
                crate::model::shown(name)
            ));
        }
        Ok(Name(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `<name><suffix>` (`acme.json`, `acme.lock`): the one way a file name
    /// is made from a name.
    pub fn file_name(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.0)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
