//! Property tests of the credential file parser: whatever bytes a
//! credential file holds, parsing ends in a credential or a typed error,
//! never a panic, and neither quotes a secret.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::file::CredentialFile;
use crate::model::Kind;

const CANARY: &str = "FUZZ-CANARY";

/// A JSON value of any type; strings may carry the canary.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        Just(Value::String("2026-01-02T03:04:05Z".into())),
        Just(Value::String("oauth".into())),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: [&str; 12] = [
    "provider",
    "kind",
    "account",
    "access_token",
    "key",
    "refresh_token",
    "token_type",
    "scope",
    "expires_at",
    "created_at",
    "secret_in",
    "refresh_expires_at",
];

/// A credential-shaped object: each field absent, of the right type, or
/// of any type; the secret fields hold the canary (as strings) or junk.
fn credential_object() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::of(any_value()), FIELDS.len()).prop_map(|values| {
        let mut obj = Map::new();
        for (field, value) in FIELDS.iter().zip(values) {
            let Some(value) = value else { continue };
            let value = match (*field, value) {
                ("access_token" | "key" | "refresh_token", Value::String(s)) => {
                    Value::String(format!("{s}{CANARY}"))
                }
                (_, v) => v,
            };
            obj.insert(field.to_string(), value);
        }
        Value::Object(obj)
    })
}

fn parse(bytes: &[u8]) -> Result<String, String> {
    let path = Path::new("/h/oauth/x.json");
    let file = CredentialFile::parse(path, bytes).map_err(|e| e.to_string())?;
    file.into_credential(path, "x", Kind::OAuth, None)
        .map(|c| format!("{c:?}"))
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn fuzz_credential_file_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn fuzz_credential_file_never_quotes_a_secret(obj in credential_object(), cut in any::<prop::sample::Index>()) {
        let text = obj.to_string();
        for bytes in [text.as_bytes(), &text.as_bytes()[..cut.index(text.len() + 1)]] {
            let said = match parse(bytes) {
                Ok(debug) => debug,
                Err(error) => error,
            };
            prop_assert!(!said.contains(CANARY), "{said}");
        }
    }
}
