//! A rule that no fixture of this build can trigger through the servers: every stack here
//! offers only the sqlite backend. The two projects are read from real stacks, then the
//! destination is described as a project of another backend, as a stack with Snowflake would.

use stackport_demo::{create_empty_project, seed_source_project, start_demo_stacks, SeedOptions};

use super::{evaluate, read_destination, Severity};
use crate::read::read_project;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_of_different_backends_block_the_migration() {
    let dir = stackport_testkit::TempDir::new("plan-backend");
    let (eu, us) = start_demo_stacks(&dir).await.unwrap();
    let source = seed_source_project(&eu, "p", &SeedOptions { rows_scale: 0.01 })
        .await
        .unwrap();
    let (_, dest_token) = create_empty_project(&us, "q").await.unwrap();
    let project = read_project(&eu.storage_client(&source.token).read_only())
        .await
        .unwrap();
    let mut dest = read_destination(&us.storage_client(&dest_token).read_only())
        .await
        .unwrap();
    let same = evaluate(&project, &dest, 0.0, 0.0, None, false);
    assert!(!same.findings.iter().any(|f| f.code == "backend.mismatch"));
    assert!(
        !same.is_blocked(),
        "{:#?}",
        same.blocking().collect::<Vec<_>>()
    );

    dest.verified.owner.backend = "snowflake".into();
    let plan = evaluate(&project, &dest, 0.0, 0.0, None, false);
    let finding = plan
        .findings
        .iter()
        .find(|f| f.code == "backend.mismatch")
        .expect("a backend finding");
    assert_eq!(finding.severity, Severity::Blocking);
    assert!(finding.message.contains("sqlite") && finding.message.contains("snowflake"));
    assert!(
        finding.action.contains("with the sqlite backend"),
        "{}",
        finding.action
    );
    assert!(
        finding.action.contains("--allow-backend-change"),
        "the refusal names the flag that allows it: {}",
        finding.action
    );
    assert!(plan.is_blocked());

    // Allowed, the mismatch is a warning and each SQLite transformation a finding of its own.
    let allowed = evaluate(&project, &dest, 0.0, 0.0, None, true);
    assert!(
        !allowed.is_blocked(),
        "{:#?}",
        allowed.blocking().collect::<Vec<_>>()
    );
    let mismatch = allowed
        .findings
        .iter()
        .find(|f| f.code == "backend.mismatch")
        .expect("the mismatch is still reported");
    assert_eq!(mismatch.severity, Severity::Warning);
    let sqlite: Vec<String> = project
        .configs
        .iter()
        .filter(|(c, _)| c.as_str() == "keboola.sqlite-transformation")
        .map(|(c, cfg)| format!("configuration {c}/{} ({})", cfg.id, cfg.name))
        .collect();
    assert!(!sqlite.is_empty(), "the seed has SQLite transformations");
    let rewrite: Vec<String> = allowed
        .findings
        .iter()
        .filter(|f| f.code == "backend.transformationRewrite")
        .map(|f| f.object.clone())
        .collect();
    assert_eq!(rewrite, sqlite);
    eu.stop().await.unwrap();
    us.stop().await.unwrap();
}
