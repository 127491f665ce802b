//! The per-credential lock serialises processes: one waits, none corrupts.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use credtop::store::{Store, StoreError};

const CHILD_ENV: &str = "CREDTOP_TEST_LOCK_HOME";
const ROUNDS: u32 = 40;

/// The child: read-modify-write a counter under the lock, ROUNDS times,
/// holding the lock a little while each time.
#[test]
fn counter_child() {
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&home)).unwrap();
    let counter = Path::new(&home).join("counter");
    for _ in 0..ROUNDS {
        let _lock = store.lock("acme", Duration::from_secs(30)).unwrap();
        let n: u32 = std::fs::read_to_string(&counter)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(2));
        credtop::store::write_atomic(&counter, format!("{}\n", n + 1).as_bytes()).unwrap();
    }
}

#[test]
fn two_processes_contending_for_one_credential_never_lose_an_update() {
    let home = support::Home::new();
    Store::open(home.path()).unwrap();
    home.write_private("counter", "0\n");
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args([
                "--exact",
                &support::test_name(module_path!(), "counter_child"),
                "--test-threads=1",
            ])
            .env(CHILD_ENV, home.path())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert_eq!(home.read("counter").trim(), (2 * ROUNDS).to_string());
}

#[test]
fn a_held_lock_makes_the_other_side_wait_then_time_out() {
    let home = support::Home::new();
    let store = Store::open(home.path()).unwrap();
    let _held = store.lock("acme", Duration::from_secs(1)).unwrap();
    let exe = std::env::current_exe().unwrap();
    // flock is per open file description: another process must wait.
    let started = Instant::now();
    let out = Command::new(&exe)
        .args([
            "--exact",
            &support::test_name(module_path!(), "lock_probe_child"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PROBE timed out"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Other credentials are not blocked by this one.
    assert!(text.contains("PROBE other ok"), "{text}");
}

#[test]
fn lock_probe_child() {
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&home)).unwrap();
    match store.lock("acme", Duration::from_millis(300)) {
        Err(StoreError::LockTimeout { .. }) => println!("PROBE timed out"),
        other => println!("PROBE unexpected {other:?}"),
    }
    if store.lock("other", Duration::from_millis(300)).is_ok() {
        println!("PROBE other ok");
    }
}
