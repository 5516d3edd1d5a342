//! `stackport demo --backend postgresql` as the README runs it: on a server `scripts/postgres`
//! started, the demo migration between two PostgreSQL-backed stacks goes through and every check
//! of its report holds; without a server it says how to get one; and it never drops a database
//! it did not make for the same demo dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::temp;

/// A private PostgreSQL server, started by the project's script in a directory of its own,
/// which its watchdog stops and removes when this test process ends (a directory of the test's
/// would be removed under the running server). Not the shared test cluster: the demo's
/// databases have fixed names, which must not meet those of another test process on a
/// developer's own server.
fn private_server() -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--watch")
        .arg(std::process::id().to_string())
        .output()
        .unwrap();
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && url.starts_with("postgres://"),
        "{} could not start a server: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    url
}

fn demo(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackport"));
    cmd.args([
        "demo",
        "--backend",
        "postgresql",
        "--scale",
        "0.02",
        "--dir",
    ])
    .arg(dir)
    .env_remove("STACKPORT_POSTGRES")
    .stdin(Stdio::null());
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_migrates_between_two_postgresql_stacks() {
    let root = temp("demo-pg");
    let url = tokio::task::spawn_blocking(private_server).await.unwrap();

    // Without a server it says how to start one, and guesses none.
    let dir = root.path().join("demo");
    let refused = output(demo(&dir)).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("scripts/postgres") && text(&refused).contains("--postgres"),
        "{}",
        text(&refused)
    );

    let mut cmd = demo(&dir);
    cmd.arg("--postgres").arg(&url);
    let ran = output(cmd).await;
    let said = text(&ran);
    assert!(ran.status.success(), "{said}");
    for line in [
        "eu-central in database stackport_demo_eu_central, us-east in stackport_demo_us_east",
        "ran 3 SQL transformations as dry runs in both projects: same outputs",
        "match the source",
    ] {
        assert!(said.contains(line), "the demo says {line:?}: {said}");
    }
    assert!(!said.contains("differ"), "{said}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("migration/report.json")).unwrap())
            .unwrap();
    let verification = &report["verification"];
    assert_eq!(
        verification["differences"].as_array().map(Vec::len),
        Some(0),
        "{verification}"
    );
    assert!(
        verification["tables"].as_u64().unwrap() >= 10,
        "{verification}"
    );
    // Both stacks registered their own database; the table data lives there, not in the dir.
    for (stack, database) in [
        ("eu-central", "stackport_demo_eu_central"),
        ("us-east", "stackport_demo_us_east"),
    ] {
        let settings: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(stack).join("stack.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(settings["defaultBackend"], "postgresql");
        assert!(
            settings["postgres"][0]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{database}")),
            "{settings}"
        );
    }

    // Another demo dir may not take the databases: refused, and they stay the first one's.
    let other = root.path().join("other");
    let mut cmd = demo(&other);
    cmd.env("STACKPORT_POSTGRES", &url);
    let taken = output(cmd).await;
    assert!(!taken.status.success(), "{}", text(&taken));
    let first = format!("made by stackport demo for {}", dir.display());
    assert!(
        text(&taken).contains("was not made by the demo in") && text(&taken).contains(&first),
        "{}",
        text(&taken)
    );

    // The same dir again replaces its own.
    let mut cmd = demo(&dir);
    cmd.env("STACKPORT_POSTGRES", &url);
    let again = output(cmd).await;
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("match the source"),
        "{}",
        text(&again)
    );
}
