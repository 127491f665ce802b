//! Folding a partial read into the rows: one credential of credtop's own,
//! or the set of other tools' credentials. credtop's rows come first, in
//! store order; a discovered credential never hides one of them.

use super::app::{App, Entry};

/// Credential `name` was read again: its row replaced, added or removed.
pub(super) fn one(app: &mut App, name: &str, entry: Option<Entry>, problem: Option<String>) {
    let at = app.entries.iter().position(|e| e.owned && e.name() == name);
    match (at, entry) {
        (Some(i), Some(entry)) => app.entries[i] = entry,
        (Some(i), None) => {
            app.entries.remove(i);
        }
        (None, Some(entry)) => {
            // Its own row shadows another tool's of the same name.
            app.entries.retain(|e| e.owned || e.name() != name);
            // The store lists its credentials by name.
            let end = app.entries.iter().take_while(|e| e.owned).count();
            let at = app.entries[..end].partition_point(|e| e.name() < name);
            app.entries.insert(at, entry);
        }
        (None, None) => {}
    }
    let prefix = format!("{name}: ");
    app.store_problems.retain(|p| !p.starts_with(&prefix));
    if let Some(p) = problem {
        app.store_problems.push(p);
    }
}

/// Other tools' credentials were read again: theirs replaced, credtop's
/// own rows untouched.
pub(super) fn discovered(app: &mut App, found: Vec<Entry>) {
    app.entries.retain(|e| e.owned);
    let own: std::collections::HashSet<String> =
        app.entries.iter().map(|e| e.name().to_string()).collect();
    app.entries
        .extend(found.into_iter().filter(|e| !own.contains(e.name())));
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::super::{Msg, update};
    use super::*;
    use crate::model::{Credential, Kind, Secret, Source};

    fn entry(name: &str, secret: &str, source: Source) -> Entry {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let cred = Credential {
            name: name.into(),
            kind: Kind::ApiKey,
            provider: "acme".into(),
            account: None,
            scopes: vec![],
            created_at: now,
            expires_at: None,
            secret: Secret::new(secret),
            refresh_token: None,
            refresh_expires_at: None,
            token_type: None,
            source,
        };
        Entry::new(&cred, now, None, 90, None)
    }

    fn found(name: &str) -> Entry {
        let source = Source::Discovered {
            tool: "codex".into(),
            location: "~/.codex/auth.json".into(),
            relogin: None,
            note: None,
        };
        entry(name, "theirs", source)
    }

    fn rows(app: &App) -> Vec<(String, String)> {
        app.visible()
            .iter()
            .map(|e| (e.name().to_string(), e.row.fingerprint.clone()))
            .collect()
    }

    fn reread(app: &mut App, name: &str, entry: Option<Entry>) {
        let msg = Msg::Reread {
            name: name.into(),
            entry: entry.map(Box::new),
            problem: None,
        };
        assert!(update(app, msg).is_none());
    }

    #[test]
    fn one_credential_read_again_changes_only_its_row() {
        let mut app = App::new(Utc::now(), "/h".into(), false);
        let entries = vec![
            entry("a", "1", Source::Store),
            entry("c", "1", Source::Store),
            found("x"),
        ];
        update(
            &mut app,
            Msg::Loaded {
                entries,
                problems: vec![],
                dependents: Default::default(),
            },
        );
        app.selected = 1;
        reread(&mut app, "c", Some(entry("c", "2", Source::Store)));
        let fp = |s: &str| Secret::new(s).fingerprint().0;
        assert_eq!(rows(&app)[1], ("c".to_string(), fp("2")));
        // A new credential goes in name order, before other tools' rows,
        // and the selection stays on the same credential.
        reread(&mut app, "b", Some(entry("b", "1", Source::Store)));
        let names: Vec<String> = rows(&app).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b", "c", "x"]);
        assert_eq!(app.selected_entry().map(Entry::name), Some("c"));
        reread(&mut app, "a", None);
        assert_eq!(app.visible_len(), 3);
        // Other tools' rows are replaced as a set; credtop's stay.
        let msg = Msg::Discovered {
            entries: vec![found("y"), found("b")],
            problems: vec!["codex: torn".into()],
            dependents: Default::default(),
        };
        update(&mut app, msg);
        let names: Vec<String> = rows(&app).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["b", "c", "y"]);
        assert_eq!(app.problems, ["codex: torn"]);
    }
}
