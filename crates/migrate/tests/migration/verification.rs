//! `migrate verify` finds what changed behind a migration's back in the destination, and
//! nothing when nothing did.

use stackport_client::{ExportParams, ImportParams};
use stackport_migrate::snapshot::SnapshotOptions;
use stackport_migrate::{run, verify, RestoreOptions, RunOptions, Verification};
use stackport_model::api::{ConfigurationUpdate, OrchestrationUpdate, RawJson};
use stackport_model::TableId;

use crate::world::*;

fn has(v: &Verification, object: &str, field: &str) -> bool {
    v.differences
        .iter()
        .any(|d| d.object.starts_with(object) && d.field.contains(field))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_catches_rows_configurations_and_tasks_changed_behind_its_back() {
    let world = World::new("verify").await;
    let work = world.work("work");
    let outcome = run(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        &RunOptions {
            work_dir: work.clone(),
            snapshot: SnapshotOptions::default(),
            restore: RestoreOptions::default(),
            run_transformations: false,
        },
        quiet(),
    )
    .await
    .unwrap();
    let report = outcome.report.unwrap();
    let v = report.verification.as_ref().expect("run ends with verify");
    assert!(v.matches(), "{:#?}", v.differences);
    assert!(
        v.tables >= 10 && v.configurations >= 10 && v.orchestrations == 3,
        "{v:?}"
    );
    let again = verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    assert!(again.matches(), "{:#?}", again.differences);

    let dst = world.dest_client();
    // A row changed (upsert on the key), one deleted, one added, each in its own table.
    let customers: TableId = "in.c-crm.customers".parse().unwrap();
    let items: TableId = "in.c-shop.order_items".parse().unwrap();
    let products: TableId = "in.c-shop.products".parse().unwrap();
    let csv = String::from_utf8(
        dst.export_table(
            &customers,
            &ExportParams {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let first = lines.next().unwrap();
    // Change the last value of the first row, keeping its key.
    let (head, _) = first.rsplit_once(",\"").unwrap();
    let changed = format!("{header}\n{head},\"changed behind its back\"\n");
    dst.import_table(
        &customers,
        &ImportParams {
            incremental: true,
            ..Default::default()
        },
        changed.into_bytes(),
    )
    .await
    .unwrap();
    let all = String::from_utf8(
        dst.export_table(&items, &ExportParams::default())
            .await
            .unwrap(),
    )
    .unwrap();
    let without_last: String = {
        let mut rows: Vec<&str> = all.split_inclusive('\n').collect();
        rows.pop();
        rows.concat()
    };
    dst.import_table(&items, &ImportParams::default(), without_last.into_bytes())
        .await
        .unwrap();
    let one = String::from_utf8(
        dst.export_table(
            &products,
            &ExportParams {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let mut one_lines = one.lines();
    let p_header = one_lines.next().unwrap();
    let p_row = one_lines.next().unwrap();
    // Products has a key: add a row with a new key by changing the first value.
    let (_, rest) = p_row.split_once("\",").unwrap();
    let added = format!("{p_header}\n\"999999\",{rest}\n");
    dst.import_table(
        &products,
        &ImportParams {
            incremental: true,
            ..Default::default()
        },
        added.into_bytes(),
    )
    .await
    .unwrap();

    // A configuration edited, and an orchestration task re-pointed.
    let mysql = "keboola.ex-db-mysql".parse().unwrap();
    let crm = "crm-mysql".parse().unwrap();
    let cfg = dst.get_config(&mysql, &crm).await.unwrap();
    let edited = cfg
        .configuration
        .unwrap()
        .get()
        .replace("mysql.crm.internal", "elsewhere.example.com");
    dst.update_config(
        &mysql,
        &crm,
        &ConfigurationUpdate {
            configuration: Some(RawJson::from_string(edited).unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let orchestrations = dst.list_orchestrations().await.unwrap();
    let parent = orchestrations
        .iter()
        .find(|o| o.tasks.iter().any(|t| t.config_id.is_some()))
        .unwrap();
    let mut tasks = parent.tasks.clone();
    let task = tasks.iter_mut().find(|t| t.config_id.is_some()).unwrap();
    let other = dst
        .list_components("", false)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|c| {
            c.configurations
                .into_iter()
                .map(move |x| (c.id.clone(), x.id))
        })
        .find(|(c, id)| {
            Some(c) != task.component_id.as_ref() || Some(id) != task.config_id.as_ref()
        })
        .unwrap();
    task.component_id = Some(other.0);
    task.config_id = Some(other.1);
    dst.update_orchestration(
        parent.id,
        &OrchestrationUpdate {
            tasks: Some(tasks),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let v = verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    assert!(!v.matches());
    assert!(
        has(&v, "table in.c-crm.customers", "row contents"),
        "{:#?}",
        v.differences
    );
    assert!(
        has(&v, "table in.c-shop.order_items", "rows"),
        "{:#?}",
        v.differences
    );
    assert!(
        has(&v, "table in.c-shop.products", "rows"),
        "{:#?}",
        v.differences
    );
    assert!(
        has(
            &v,
            "configuration keboola.ex-db-mysql/crm-mysql",
            "configuration.parameters"
        ),
        "{:#?}",
        v.differences
    );
    assert!(has(&v, "orchestration", "tasks["), "{:#?}", v.differences);
    assert_eq!(
        v.differences.len(),
        5,
        "exactly the five changes: {:#?}",
        v.differences
    );
    world.stop().await;
}

/// Fingerprints of every table of a project, to see that dry runs left Storage alone.
async fn storage_fingerprints(client: &stackport_client::Client) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for t in client.list_tables().await.unwrap() {
        let f = client.table_fingerprint(&t.id).await.unwrap();
        out.push((t.id.to_string(), f.rows_count, f.hash));
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrated_transformations_run_in_both_projects_and_their_outputs_are_compared() {
    let world = World::new("transformations").await;
    let work = world.work("work");
    let outcome = run(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        &RunOptions {
            work_dir: work.clone(),
            snapshot: SnapshotOptions::default(),
            restore: RestoreOptions::default(),
            run_transformations: true,
        },
        quiet(),
    )
    .await
    .unwrap();
    let v = outcome.report.unwrap().verification.unwrap();
    assert!(v.matches(), "{:#?}", v.differences);
    assert_eq!(v.transformations, 3, "the demo's three SQL transformations");

    // Dry runs write nothing: the source's tables are as they were, and the jobs say so.
    let src = world.source_client();
    let before = storage_fingerprints(&src).await;
    let mut again = verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    stackport_migrate::verify_transformations(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        &mut again,
    )
    .await
    .unwrap();
    assert!(again.matches(), "{:#?}", again.differences);
    assert_eq!(storage_fingerprints(&src).await, before);
    let dry: Vec<_> = src
        .list_jobs(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.mode == stackport_model::api::JobMode::DryRun)
        .collect();
    assert_eq!(dry.len(), 6, "three dry runs in each of two verifications");
    assert!(dry.iter().all(|j| j.result["dryRun"] == true));

    // An input row changed in the destination changes what a transformation makes there.
    let dst = world.dest_client();
    let orders: TableId = "in.c-shop.orders".parse().unwrap();
    let csv = String::from_utf8(
        dst.export_table(
            &orders,
            &ExportParams {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let first: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let total = header
        .iter()
        .position(|h| *h == "\"total\"")
        .expect("orders has a total");
    let mut changed = first.clone();
    changed[total] = "\"123456.78\"".into();
    dst.import_table(
        &orders,
        &ImportParams {
            incremental: true,
            ..Default::default()
        },
        format!("{}\n{}\n", header.join(","), changed.join(",")).into_bytes(),
    )
    .await
    .unwrap();
    let mut v = verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    stackport_migrate::verify_transformations(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        &mut v,
    )
    .await
    .unwrap();
    assert!(
        has(&v, "table in.c-shop.orders", ""),
        "{:#?}",
        v.differences
    );
    assert!(
        v.differences
            .iter()
            .any(|d| d.object.contains("output '") && d.object.starts_with("transformation")),
        "{:#?}",
        v.differences
    );
}
