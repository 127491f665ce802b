//! gcloud's token database: SQLite, read without ever being written.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeDelta, Utc};
use serde_json::Value;

use super::agents::{issued, problem};
use super::read::{modified, str_at, text_time};
use super::{Discovered, Env, Finding, Problem};
use crate::model::{Kind, Secret};

/// Google access tokens live 3600 s (Google's OAuth 2.0 docs): the
/// database holds every account and is rewritten when any of them is
/// refreshed, so its mtime alone would make the others look younger.
const GOOGLE_TOKEN_LIFETIME: TimeDelta = TimeDelta::seconds(3600);

/// gcloud: `access_tokens.db` under `$CLOUDSDK_CONFIG` (default
/// `~/.config/gcloud`; a relative value is taken from the working
/// directory, as gcloud does), a SQLite database whose `token_expiry` is a naive
/// UTC time. Opened read-only and `immutable=1`, so SQLite takes no lock
/// and creates no journal, WAL or shared-memory file beside it.
pub fn discover(env: &Env) -> Discovered {
    const TOOL: &str = "gcloud";
    let dir = env.dir_or("CLOUDSDK_CONFIG", ".config/gcloud");
    let path = dir.join("access_tokens.db");
    if !path.is_file() {
        return Discovered::default();
    }
    // With `immutable=1` SQLite trusts the file not to change; a read that
    // meets gcloud mid-write fails and is simply tried again.
    let mut attempt = 1;
    let rows = loop {
        match gcloud_rows(&path) {
            Err(_) if attempt < super::read::TORN_ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(40 * u64::from(attempt)));
                attempt += 1;
            }
            other => break other,
        }
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(reason) => {
            return problem(Problem::Unreadable {
                tool: TOOL,
                path,
                reason,
            });
        }
    };
    let written = modified(&path).unwrap_or_else(Utc::now);
    let refreshable = gcloud_refresh_tokens(&dir.join("credentials.db"));
    let mut out = Discovered::default();
    for (account, token, expiry) in rows {
        let expires_at = expiry.as_deref().and_then(text_time);
        out.credentials.push(
            Finding {
                name: format!("gcloud:{account}"),
                kind: Kind::Cloud,
                provider: "google",
                refresh_token: refreshable.get(&account).cloned(),
                account: Some(account),
                scopes: Vec::new(),
                created_at: issued(written, expires_at, Some(GOOGLE_TOKEN_LIFETIME)),
                expires_at,
                secret: Secret::new(token),
                tool: "gcloud",
                location: env.display(&path),
                relogin: Some("gcloud auth login".into()),
                note: None,
            }
            .into_credential(),
        );
    }
    out
}

type TokenRow = (String, String, Option<String>);

fn open_read_only(path: &Path) -> Result<rusqlite::Connection, String> {
    use rusqlite::OpenFlags;
    let mut uri = url::Url::from_file_path(path).map_err(|_| "not an absolute path".to_string())?;
    uri.set_query(Some("immutable=1"));
    rusqlite::Connection::open_with_flags(
        uri.as_str(),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite_reason(&e))
}

fn gcloud_rows(path: &Path) -> Result<Vec<TokenRow>, String> {
    let conn = open_read_only(path)?;
    let mut stmt = conn
        .prepare("SELECT account_id, access_token, token_expiry FROM access_tokens")
        .map_err(|e| sqlite_reason(&e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                text_of(r.get_ref(2)?),
            ))
        })
        .map_err(|e| sqlite_reason(&e))?;
    let mut out = Vec::new();
    for row in rows {
        if let (Some(a), Some(t), e) = row.map_err(|e| sqlite_reason(&e))? {
            out.push((a, t, e));
        }
    }
    Ok(out)
}

/// `account -> refresh token` from `credentials.db`, where gcloud keeps what
/// lets it renew the access token by itself.
fn gcloud_refresh_tokens(path: &Path) -> BTreeMap<String, Secret> {
    let mut out = BTreeMap::new();
    if !path.is_file() {
        return out;
    }
    let Ok(conn) = open_read_only(path) else {
        return out;
    };
    let Ok(mut stmt) = conn.prepare("SELECT account_id, value FROM credentials") else {
        return out;
    };
    let Ok(rows) = stmt.query_map([], |r| {
        Ok((r.get::<_, Option<String>>(0)?, text_of(r.get_ref(1)?)))
    }) else {
        return out;
    };
    for (account, value) in rows.flatten() {
        let (Some(account), Some(value)) = (account, value) else {
            continue;
        };
        if let Some(rt) = serde_json::from_str::<Value>(&value)
            .ok()
            .as_ref()
            .and_then(|v| str_at(v, "refresh_token"))
        {
            out.insert(account, Secret::new(rt));
        }
    }
    out
}

/// A TEXT, BLOB or number column as text (sqlite3's adapters store
/// timestamps as text, JSON as text or blob).
fn text_of(v: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Null => None,
    }
}

/// SQLite's error code only: its messages can quote SQL, never data, but a
/// code is all an operator needs.
fn sqlite_reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => format!("SQLite error {:?}", f.code),
        rusqlite::Error::InvalidColumnType(_, name, _) => {
            format!("column {name} has an unexpected type")
        }
        _ => "SQLite could not read it".to_string(),
    }
}
