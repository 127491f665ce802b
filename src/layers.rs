//! CONTRIBUTING's table of layers, enforced: every `crate::` path in a part
//! of `src/` must name a part that the table lets it use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Part name → the parts it may use, from CONTRIBUTING.md's layer table.
fn table(contributing: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for line in contributing.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(part), Some(uses)) = (cells.get(1), cells.get(3)) else {
            continue;
        };
        let part = part.trim_matches('`');
        let part = part.trim_end_matches('/').trim_end_matches(".rs");
        let uses = uses
            .split(',')
            .map(|u| u.trim().trim_matches('`').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        out.insert(part.to_string(), uses);
    }
    out
}

/// The parts named by `crate::part` and `crate::{part, ...}` in `code`.
fn used_parts(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_crate_path_follows_the_layer_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let contributing = std::fs::read_to_string(root.join("CONTRIBUTING.md"))
        .unwrap_or_else(|e| panic!("CONTRIBUTING.md: {e}"));
    let table = table(&contributing);
    assert!(table.len() >= 10, "layer table not found: {table:?}");
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap_or(&file);
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy());
        let part = first.as_deref().unwrap_or("").trim_end_matches(".rs");
        // The crate root and the binary wire the parts together.
        if matches!(part, "lib" | "main" | "layers") {
            continue;
        }
        let Some(allowed) = table.get(part) else {
            wrong.push(format!(
                "{}: part {part:?} is not in the table",
                rel.display()
            ));
            continue;
        };
        let code = std::fs::read_to_string(&file).unwrap_or_default();
        for used in used_parts(&code) {
            if used != part && !allowed.contains(&used) {
                wrong.push(format!("{}: {part} uses {used}", rel.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "against CONTRIBUTING's table:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn grouped_and_nested_paths_are_both_seen() {
    let code = "use crate::{audit::AuditLog, model};\nlet x = crate::store::Store::open(h);";
    let parts: Vec<String> = used_parts(code).into_iter().collect();
    assert_eq!(parts, ["audit", "model", "store"]);
}
