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
    let same = evaluate(&project, &dest, 0.0, 0.0, None);
    assert!(!same.findings.iter().any(|f| f.code == "backend.mismatch"));
    assert!(
        !same.is_blocked(),
        "{:#?}",
        same.blocking().collect::<Vec<_>>()
    );

    dest.verified.owner.backend = "snowflake".into();
    let plan = evaluate(&project, &dest, 0.0, 0.0, None);
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
    assert!(plan.is_blocked());
    eu.stop().await.unwrap();
    us.stop().await.unwrap();
}
