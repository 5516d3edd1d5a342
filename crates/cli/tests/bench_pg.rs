//! `stackport bench --backend postgresql`, the real binary at a tiny row count on the test
//! process's PostgreSQL cluster: both stacks on it, the migration, `pg_dump | pg_restore` and the
//! binary COPY all run and the figures line is printed. Only that it runs is checked here; the
//! figures themselves belong in docs/performance.md, never in a test.

use std::process::Command;

mod common;
use common::temp;

#[test]
fn the_postgresql_bench_runs_end_to_end() {
    let url = stackport_testkit::postgres::Cluster::shared().url();
    let dir = temp("bench-pg");
    let work = dir.path().join("bench");
    let out = Command::new(env!("CARGO_BIN_EXE_stackport"))
        .args([
            "bench",
            "--backend",
            "postgresql",
            "--rows",
            "300",
            "--postgres",
            url,
        ])
        .arg("--dir")
        .arg(&work)
        .env_remove("STACKPORT_POSTGRES")
        .output()
        .expect("stackport bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the bench failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let figures: Vec<&str> = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some("300"))
        .unwrap_or_else(|| panic!("no figures for 300 rows in:\n{stdout}"))
        .split_whitespace()
        .collect();
    assert_eq!(figures.len(), 18, "one figure per column: {figures:?}");
    for (i, f) in figures.iter().enumerate() {
        if f == &"-" && (14..16).contains(&i) {
            // The servers' CPU, unknown for a server on another machine
            // (STACKPORT_TEST_POSTGRES).
            continue;
        }
        let value: f64 = f
            .parse()
            .unwrap_or_else(|_| panic!("{f} is not a number in {figures:?}"));
        assert!(value.is_finite(), "{figures:?}");
    }
}

#[test]
fn without_a_server_the_bench_says_how_to_start_one() {
    let dir = temp("bench-pg-none");
    let out = Command::new(env!("CARGO_BIN_EXE_stackport"))
        .args(["bench", "--backend", "postgresql"])
        .arg("--dir")
        .arg(dir.path().join("bench"))
        .env_remove("STACKPORT_POSTGRES")
        .output()
        .expect("stackport bench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it ran without a server: {stderr}");
    assert!(
        stderr.contains("--postgres") && stderr.contains("scripts/postgres"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("bench").exists(),
        "nothing is made before the server is known"
    );
}
