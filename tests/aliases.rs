//! `.credtop.toml` aliases: ignored (with one warning) until trusted,
//! applied once trusted, ignored again when edited, typed errors for a
//! cycle, a missing credential and a malformed file.

use crate::support;

use std::path::Path;

use chrono::Duration;
use predicates::prelude::*;
use support::Home;

/// A home with two accounts of one provider, and a project that picks the
/// work one.
fn setup(alias_file: &str) -> (Home, tempfile::TempDir) {
    let home = Home::new();
    home.key("acme", "sk-PERSONAL", Duration::days(1));
    home.key("acme-work", "sk-WORK", Duration::days(1));
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join(".credtop.toml"), alias_file).unwrap();
    std::fs::create_dir(project.path().join("sub")).unwrap();
    (home, project)
}

fn token(home: &Home, cwd: &Path) -> assert_cmd::assert::Assert {
    home.credtop()
        .current_dir(cwd)
        .args(["token", "acme"])
        .assert()
}

const WORK: &str = "[alias]\nacme = \"acme-work\"\n";

#[test]
fn an_untrusted_file_is_ignored_with_one_line_naming_the_trust_command() {
    let (home, project) = setup(WORK);
    let out = token(&home, &project.path().join("sub"))
        .success()
        .stdout("sk-PERSONAL\n");
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("credtop trust") && err.contains(".credtop.toml"),
        "{err}"
    );
}

#[test]
fn a_trusted_file_applies_to_token_exec_git_and_status() {
    let (home, project) = setup(WORK);
    home.credtop()
        .current_dir(project.path())
        .arg("trust")
        .assert()
        .success()
        .stdout(predicate::str::contains("acme -> acme-work"));
    let sub = project.path().join("sub");
    token(&home, &sub).success().stdout("sk-WORK\n").stderr("");
    home.credtop()
        .current_dir(&sub)
        .args([
            "exec",
            "acme",
            "--parent",
            "--",
            "sh",
            "-c",
            "printf %s \"$CREDTOP_TOKEN\"",
        ])
        .assert()
        .success()
        .stdout("sk-WORK");
    home.write_private("config.toml", "[git]\n\"example.test\" = \"acme\"\n");
    home.credtop()
        .current_dir(&sub)
        .args(["git-credential", "get"])
        .write_stdin("protocol=https\nhost=example.test\n\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("password=sk-WORK\n"));
    home.credtop()
        .current_dir(&sub)
        .args(["status", "--no-discover"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Aliases in force here")
                .and(predicate::str::contains("acme -> acme-work")),
        );
    // Elsewhere the alias does not apply.
    token(&home, home.path()).success().stdout("sk-PERSONAL\n");
    let trusted = home.read("trusted.json");
    assert!(trusted.contains(".credtop.toml"), "{trusted}");
}

#[test]
fn an_edited_file_is_untrusted_again_and_untrust_forgets() {
    let (home, project) = setup(WORK);
    home.credtop()
        .current_dir(project.path())
        .arg("trust")
        .assert()
        .success();
    std::fs::write(
        project.path().join(".credtop.toml"),
        "[alias]\nacme = \"acme-work\"\n# harmless, but not what was trusted\n",
    )
    .unwrap();
    token(&home, project.path())
        .success()
        .stdout("sk-PERSONAL\n")
        .stderr(predicate::str::contains("changed since it was trusted"));
    home.credtop()
        .current_dir(project.path())
        .arg("trust")
        .assert()
        .success();
    token(&home, project.path()).success().stdout("sk-WORK\n");
    home.credtop()
        .current_dir(project.path())
        .arg("untrust")
        .assert()
        .success()
        .stdout(predicate::str::contains("no longer trusted"));
    token(&home, project.path())
        .success()
        .stdout("sk-PERSONAL\n")
        .stderr(predicate::str::contains("not trusted"));
}

#[test]
fn a_cycle_and_a_missing_credential_are_typed_errors_naming_file_and_line() {
    let (home, project) = setup("[alias]\nacme = \"other\"\nother = \"acme\"\n");
    home.credtop()
        .current_dir(project.path())
        .arg("trust")
        .assert()
        .success();
    let file = project.path().join(".credtop.toml");
    token(&home, project.path())
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{}:3: alias cycle: acme -> other -> acme",
            file.display()
        )));

    std::fs::write(&file, "# the work account\n[alias]\nacme = \"nobody\"\n").unwrap();
    home.credtop()
        .current_dir(project.path())
        .arg("trust")
        .assert()
        .success();
    token(&home, project.path()).code(1).stdout("").stderr(
        predicate::str::contains(format!("{}:3:", file.display()))
            .and(predicate::str::contains("\"nobody\"")),
    );
}

#[test]
fn a_malformed_file_cannot_be_trusted() {
    let (home, project) = setup("[alias]\nacme = \"acme-work\"\n[aliases]\nx = 1\n");
    home.credtop()
        .current_dir(project.path())
        .arg("trust")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(".credtop.toml:3: malformed"));
    assert!(home.read("trusted.json").is_empty());
}
