//! Triggers move with their configuration (an orchestration's new id) and tables, restored
//! inactive; the token they ran with does not move, and the checklist says what to do.

use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_migrate::{run, RestoreOptions, RunOptions};
use stackport_model::api::{NewToken, NewTrigger, Table};

use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_move_inactive_and_the_checklist_names_their_token() {
    let world = World::new("triggers").await;
    let src = world.source_client();
    let dst = world.dest_client();

    // Two triggers on the source: one runs an orchestration, one a transformation.
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
