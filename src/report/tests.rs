//! The store read whole (side folders listed once) against each
//! credential read alone (every side file opened): the same rows.

use chrono::Utc;

use super::{read_store, store_row};
use crate::engine::lane::{self, LaneState};
use crate::model::{Credential, FailureKind, Kind, Secret, Source};
use crate::store::{
    BridgeFailureNote, RemoteServer, Store, bridge_started, note_bridge_failure, save_remote,
};

fn key(name: &str) -> Credential {
    Credential {
        name: name.into(),
        kind: Kind::ApiKey,
        provider: "acme".into(),
        account: None,
        scopes: vec![],
        created_at: Utc::now() - chrono::Duration::days(3),
        expires_at: None,
        secret: Secret::new(format!("secret-{name}")),
        refresh_token: None,
        token_type: None,
        refresh_expires_at: None,
        source: Source::Store,
    }
}

/// Each row of the whole read, as text, beside the same row read alone.
fn both(store: &Store) -> (Vec<String>, Vec<String>) {
    let now = Utc::now();
    let read = read_store(store, now);
    let whole = read.rows.iter().map(|r| format!("{r:?}")).collect();
    let alone = read
        .rows
        .iter()
        .map(|r| {
            format!(
                "{:?}",
                store_row(store, &read.providers, &r.name, now).unwrap()
            )
        })
        .collect();
    (whole, alone)
}

#[test]
fn rows_are_the_same_without_an_mcp_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("home")).unwrap();
    for name in ["a", "b", "c"] {
        store.save(&key(name)).unwrap();
    }
    assert!(!store.home().join("mcp").exists());
    let (whole, alone) = both(&store);
    assert_eq!(whole.len(), 3);
    assert_eq!(whole, alone);
}

#[test]
fn rows_are_the_same_with_remote_servers_and_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("home")).unwrap();
    let home = store.home().to_path_buf();
    for name in ["a", "mcp-one", "mcp-two", "z"] {
        store.save(&key(name)).unwrap();
    }
    for name in ["mcp-one", "mcp-two"] {
        let server = RemoteServer {
            url: format!("http://127.0.0.1:9/{name}"),
            issuer: "http://127.0.0.1:9".into(),
            client_id: "client".into(),
            scopes: vec![],
            dpop: false,
        };
        save_remote(&home, name, &server).unwrap();
    }
    bridge_started(&home, "mcp-one", std::process::id()).unwrap();
    let note = BridgeFailureNote {
        ts: Utc::now(),
        kind: "unauthorized".into(),
        message: "401".into(),
    };
    note_bridge_failure(&home, "mcp-two", &note);
    // A record of a credential that is gone changes nothing.
    save_remote(
        &home,
        "gone",
        &RemoteServer {
            url: "http://127.0.0.1:9/gone".into(),
            issuer: "http://127.0.0.1:9".into(),
            client_id: "client".into(),
            scopes: vec![],
            dpop: false,
        },
    )
    .unwrap();
    let lane = LaneState {
        kind: FailureKind::CredentialRevoked,
        message: "revoked".into(),
        since: Utc::now(),
        retry_at: None,
        consecutive_failures: 1,
        paused: true,
        fingerprint: key("z").secret.fingerprint(),
    };
    lane::save(&home, "z", &lane).unwrap();

    let (whole, alone) = both(&store);
    assert_eq!(whole, alone);
    let rows = read_store(&store, Utc::now()).rows;
    let by = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
    assert_eq!(
        by("mcp-one").resource.as_deref(),
        Some("http://127.0.0.1:9/mcp-one")
    );
    assert_eq!(by("mcp-one").bridges, Some(1));
    assert!(
        by("mcp-two")
            .last_failure
            .as_deref()
            .unwrap()
            .starts_with("unauthorized at")
    );
    assert_eq!(by("a").resource, None);
    assert!(by("z").lane.is_some());
}
