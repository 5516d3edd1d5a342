//! Storage jobs are history that stays behind, like queue jobs: the plan counts them.

use std::time::Duration;

use stackport_migrate::plan;

use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_counts_the_storage_jobs_left_behind() {
    let world = World::new("storage-job-history").await;
    let source = world.source_client();
    let table = source.list_tables().await.unwrap().remove(0);
    let job = source.optimize_table(&table.id).await.unwrap();
    source
        .wait_for_storage_job(job.id, Duration::from_secs(60))
        .await
        .unwrap();
    let planned = plan(&world.source_endpoint(), &world.dest_endpoint())
        .await
        .unwrap();
    assert_eq!(planned.inventory.not_moved.get("storageJobs"), Some(&1));
    let finding = planned
        .findings
        .iter()
        .find(|f| f.code == "notMoved" && f.object.ends_with("storage jobs"))
        .unwrap_or_else(|| panic!("a notMoved finding: {:#?}", planned.findings));
    assert_eq!(finding.object, "1 storage jobs");
    world.stop().await;
}
