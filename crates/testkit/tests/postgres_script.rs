//! `scripts/postgres` as a developer uses it: a cluster in a given directory, started again it is
//! found running, the superuser gets in without a password and any other role only with its own,
//! and `stop` stops it (twice is fine) while the cluster's contents stay for the next start.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stackport_testkit::TempDir;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres")
}

fn run(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(script())
        .args(args)
        .output()
        .expect("running scripts/postgres")
}

/// Runs the script, which must succeed and print one line: the superuser URL.
fn url_from(args: &[&str]) -> String {
    let out = run(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "scripts/postgres {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "scripts/postgres printed more than the URL: {stdout}"
    );
    assert!(
        lines[0].starts_with("postgres://postgres@127.0.0.1:") && lines[0].ends_with("/postgres"),
        "not a superuser URL on loopback: {stdout}"
    );
    lines[0].to_owned()
}

fn connects(url: &str) -> bool {
    postgres::Client::connect(url, postgres::NoTls).is_ok()
}

/// Stops the cluster when the test ends, also when it fails, before its directory is removed.
struct Stop<'a>(&'a Path);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        let _ = run(&["stop", &self.0.display().to_string()]);
    }
}

#[test]
fn a_cluster_in_a_directory_starts_once_admits_by_password_and_stops() {
    let dir = TempDir::new("pg-script");
    let path = dir.path().display().to_string();
    let _stop = Stop(dir.path());
    let pid = std::process::id().to_string();

    let url = url_from(&["--watch", &pid, &path]);
    assert_eq!(
        url_from(&[&path]),
        url,
        "a second start did not find the running server"
    );

    let mut admin =
        postgres::Client::connect(&url, postgres::NoTls).expect("superuser without a password");
    admin
        .batch_execute("CREATE ROLE worker LOGIN PASSWORD 'pw-1'")
        .unwrap();
    let as_worker = |password: &str| {
        let credentials = if password.is_empty() {
            "worker".to_owned()
        } else {
            format!("worker:{password}")
        };
        url.replacen(
            "postgres://postgres@",
            &format!("postgres://{credentials}@"),
            1,
        )
    };
    assert!(
        !connects(&as_worker("")),
        "a role other than the superuser got in without a password"
    );
    assert!(
        !connects(&as_worker("wrong")),
        "a wrong password was accepted"
    );
    assert!(
        connects(&as_worker("pw-1")),
        "the role's own password was refused"
    );
    drop(admin);

    let stopped = run(&["stop", &path]);
    assert!(
        stopped.status.success(),
        "stop failed: {}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(!connects(&url), "the server still answers after stop");
    assert!(
        run(&["stop", &path]).status.success(),
        "stopping a stopped cluster failed"
    );

    let again = url_from(&[&path]);
    let mut admin =
        postgres::Client::connect(&again, postgres::NoTls).expect("the restarted server");
    let kept: bool = admin
        .query_one(
            "SELECT exists (SELECT 1 FROM pg_roles WHERE rolname = 'worker')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        kept,
        "the cluster's contents did not survive a stop and start"
    );
}

#[test]
fn wrong_usage_fails_loudly() {
    let out = run(&["stop"]);
    assert!(!out.status.success(), "stop without a directory succeeded");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("usage"),
        "no usage message"
    );
    let out = run(&["--watch", "not-a-pid"]);
    assert!(
        !out.status.success(),
        "--watch without a process id succeeded"
    );
}
