//! Triggers move with their configuration (an orchestration's new id) and tables, restored
//! inactive; the token they ran with does not move, and the checklist says what to do.

use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_migrate::{run, RestoreOptions, RunOptions};
use stackport_model::api::{NewToken, NewTrigger, Table};

use serde_json::json;

use crate::snapshot_defects::{
    copy_dir, damaged, files, manifest, refusal, rewrite_json, with_good_snapshot, write_manifest,
};
use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_move_inactive_and_the_checklist_names_their_token() {
    let world = World::new("triggers").await;
    let src = world.source_client();
    let dst = world.dest_client();

    // Exactly two triggers on the source (the seed's own is removed): one runs an
    // orchestration, one a transformation.
    for seeded in src.list_triggers().await.unwrap() {
        src.delete_trigger(seeded.id).await.unwrap();
    }
    let runner = src
        .create_token(&NewToken {
            description: "Trigger runner".into(),
            can_manage_buckets: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let pipeline = src
        .list_orchestrations()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Daily pipeline")
        .unwrap();
    let transformation = src
        .list_configs(&"keboola.sqlite-transformation".parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|c| !c.is_disabled)
        .unwrap();
    let tables: Vec<Table> = src
        .list_tables()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| !t.is_alias)
        .collect();
    let on_orchestration = src
        .create_trigger(&NewTrigger {
            run_with_token_id: runner.id,
            component: "orchestrator".parse().unwrap(),
            configuration_id: pipeline.id.to_string().parse().unwrap(),
            cool_down_period_minutes: 30,
            table_ids: vec![tables[1].id.clone(), tables[0].id.clone()],
            is_active: None,
        })
        .await
        .unwrap();
    let on_transformation = src
        .create_trigger(&NewTrigger {
            run_with_token_id: runner.id,
            component: "keboola.sqlite-transformation".parse().unwrap(),
            configuration_id: transformation.id.clone(),
            cool_down_period_minutes: 5,
            table_ids: vec![tables[2].id.clone()],
            is_active: Some(false),
        })
        .await
        .unwrap();

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
    let report = outcome.report.expect("the migration ran");

    let snap = snapshot::open(&work.join("snapshot")).unwrap();
    assert_eq!(snap.manifest.format_version, 2);
    assert_eq!(snap.manifest.inventory.triggers, 2);
    assert_eq!(snap.triggers.len(), 2);

    // On the destination: inactive, the orchestration's new id, the same tables and cool-down.
    let new_pipeline = report
        .orchestrations
        .iter()
        .find(|m| m.old_id == pipeline.id.0)
        .unwrap()
        .new_id;
    let moved = dst.list_triggers().await.unwrap();
    assert_eq!(moved.len(), 2, "{moved:?}");
    assert_eq!(report.triggers.len(), 2);
    assert!(moved.iter().all(|t| !t.is_active), "restored inactive");
    let o = moved
        .iter()
        .find(|t| t.component.as_str() == "orchestrator")
        .unwrap();
    assert_eq!(o.configuration_id.as_str(), new_pipeline.to_string());
    assert_eq!(o.tables, on_orchestration.tables);
    assert_eq!(o.cool_down_period_minutes, 30);
    let t = moved
        .iter()
        .find(|t| t.component.as_str() == "keboola.sqlite-transformation")
        .unwrap();
    assert_eq!(t.configuration_id, transformation.id);
    assert_eq!(t.tables, on_transformation.tables);
    assert_ne!(
        t.run_with_token_id, runner.id,
        "the source's token does not move"
    );

    // The checklist: one line per trigger, naming it, its configuration and the token.
    let lines: Vec<_> = report
        .checklist
        .iter()
        .filter(|c| c.task == "setTriggerToken")
        .collect();
    assert_eq!(lines.len(), 2, "{:#?}", report.checklist);
    for line in &lines {
        assert!(line.action.contains("Trigger runner"), "{}", line.action);
        assert!(line.action.contains("runWithTokenId"), "{}", line.action);
    }
    assert!(lines
        .iter()
        .any(|l| l.object.contains(&format!("trigger {}", o.id))
            && l.object.contains(&new_pipeline.to_string())));
    assert!(lines
        .iter()
        .any(|l| l.object.contains(&transformation.id.to_string())
            && l.action.contains("inactive on the source too")));

    // Verification compared them and found them alike.
    let v = report.verification.as_ref().expect("the run verified");
    assert_eq!(v.triggers, 2);
    assert!(v.matches(), "{:#?}", v.differences);

    // A trigger's tables differing on the destination is a difference.
    dst.update_trigger(
        t.id,
        &stackport_model::api::TriggerUpdate {
            cool_down_period_minutes: Some(6),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let v = stackport_migrate::verify(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        Some(&work),
    )
    .await
    .unwrap();
    assert!(
        v.differences
            .iter()
            .any(|d| d.field == "coolDownPeriodMinutes"),
        "{:#?}",
        v.differences
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_snapshot_reads_as_one_without_triggers() {
    let (world, good) = with_good_snapshot("snap-v1").await;
    let copy = damaged(&world, &good, |dir| {
        std::fs::remove_file(dir.join("triggers.json")).unwrap();
        let mut m = manifest(dir);
        m["formatVersion"] = json!(1);
        m["inventory"].as_object_mut().unwrap().remove("triggers");
        files(&mut m).retain(|f| f["path"] != "triggers.json");
        write_manifest(dir, &m);
    });
    let snap = snapshot::open(&copy).unwrap();
    assert_eq!(snap.manifest.format_version, 1);
    assert!(snap.triggers.is_empty());

    // A version-2 snapshot without its triggers.json is incomplete.
    let copy = world.work("v2-without-triggers");
    copy_dir(&good, &copy);
    std::fs::remove_file(copy.join("triggers.json")).unwrap();
    let mut m = manifest(&copy);
    files(&mut m).retain(|f| f["path"] != "triggers.json");
    write_manifest(&copy, &m);
    let (file, _) = refusal(&copy);
    assert_eq!(file, "triggers.json");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_on_a_table_the_snapshot_lacks_is_refused() {
    let (world, good) = with_good_snapshot("snap-trigger").await;
    let copy = damaged(&world, &good, |dir| {
        rewrite_json(dir, "triggers.json", |doc| {
            *doc = json!([{
                "id": "7", "runWithTokenId": 3, "component": "orchestrator",
                "configurationId": "1", "lastRun": null, "coolDownPeriodMinutes": 5,
                "creatorToken": {"id": 3, "description": "x"},
                "tables": [{"tableId": "in.c-crm.not-in-the-snapshot"}], "isActive": true
            }]);
        });
        let mut m = manifest(dir);
        m["inventory"]["triggers"] = json!(1);
        write_manifest(dir, &m);
    });
    let (file, problem) = refusal(&copy);
    assert_eq!(file, "triggers.json", "{problem}");
    assert!(
        problem.contains("in.c-crm.not-in-the-snapshot"),
        "{problem}"
    );
    world.stop().await;
}
