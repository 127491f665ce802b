//! Property tests of the `.mcp.json` parser and the envFile parser: any
//! document or text ends in servers, variables and typed problems, never a
//! panic, and a problem never quotes a value (values are secrets).

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::discover::Env;

const CANARY: &str = "FUZZ-CANARY";

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
        // References in every form the parser knows, and broken ones.
        "(\\$\\{[A-Za-z_:{}$-]{0,10}\\}?|\\$[A-Z_]{0,6}|\\$\\{env:[A-Z]{0,4}\\}|\\$\\{input:[a-z]{0,4}\\}){1,3}"
            .prop_map(Value::String),
        // A pasted secret: one word, as real keys are.
        "[A-Za-z0-9_-]{0,6}".prop_map(|s| Value::String(format!("sk-{s}{CANARY}"))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: [&str; 7] = [
    "command", "args", "env", "url", "headers", "envFile", "type",
];

fn server() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => value(),
        4 => prop::collection::vec(prop::option::of(value()), FIELDS.len()).prop_map(|vs| {
            let obj: Map<String, Value> = FIELDS
                .iter()
                .zip(vs)
                .filter_map(|(k, v)| Some((k.to_string(), v?)))
                .collect();
            Value::Object(obj)
        }),
    ]
}

fn document(key: &'static str) -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => value(),
        4 => prop::collection::btree_map(".{1,8}", server(), 0..4).prop_map(move |servers| {
            let mut doc = Map::new();
            doc.insert(key.to_string(), Value::Object(servers.into_iter().collect()));
            Value::Object(doc)
        }),
    ]
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn fuzz_mcp_json_never_panics_nor_quotes_a_value(
        claude in document("mcpServers"),
        vscode in document("servers"),
    ) {
        let home = tempfile::tempdir().expect("tempdir");
        let project = home.path().join("project");
        std::fs::create_dir_all(project.join(".vscode")).expect("mkdir");
        std::fs::write(project.join(".mcp.json"), claude.to_string()).expect("write");
        std::fs::write(project.join(".vscode/mcp.json"), vscode.to_string()).expect("write");
        let env = Env::new(home.path(), &project);
        let configs = super::load(&env);
        for p in &configs.problems {
            let said = p.to_string();
            prop_assert!(!said.contains(CANARY), "{said}");
        }
        for s in &configs.servers {
            let _ = (s.references(), s.literals(), s.label(), s.shown_command());
            let _ = s.env_file_path(&env);
            prop_assert!(!format!("{s:?}").contains(CANARY), "{s:?}");
        }
    }

    #[test]
    fn fuzz_env_file_any_text(text in "(.|\n|\r|#|=|:|\"|'|`|\\\\){0,200}") {
        let vars = super::dotenv::parse(&text);
        let mut keys: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        prop_assert!(keys.iter().all(|k| !k.is_empty()));
        keys.sort_unstable();
        keys.dedup();
        prop_assert_eq!(keys.len(), vars.len());
    }

    #[test]
    fn fuzz_env_file_plain_assignments_round_trip(
        lines in prop::collection::vec((
            any::<bool>(),
            "[A-Za-z_][A-Za-z0-9_]{0,8}",
            prop::sample::select(vec!["=", ": ", " = "]),
            "[A-Za-z0-9_./+-]{0,12}",
            prop::sample::select(vec!["", "\"", "'", "`"]),
            prop::sample::select(vec!["", " # a comment", "\r"]),
        ), 1..8)
    ) {
        let mut text = String::new();
        let mut want: Vec<(String, String)> = Vec::new();
        for (export, key, sep, value, quote, tail) in &lines {
            let export = if *export { "export " } else { "" };
            text.push_str(&format!("{export}{key}{sep}{quote}{value}{quote}{tail}\n"));
            match want.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value.clone(),
                None => want.push((key.clone(), value.clone())),
            }
        }
        let got: Vec<(String, String)> = super::dotenv::parse(&text)
            .into_iter()
            .map(|(k, v)| (k, v.expose().to_string()))
            .collect();
        prop_assert_eq!(got, want, "{}", text);
    }
}
