//! Every blocking finding the plan can make through real stacks, each produced by a fixture, and
//! each one stops `run` before it writes anything: no snapshot, and neither project changes.
//!
//! (`backend.mismatch` needs a second table backend, which this build does not have.)

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use stackport_client::Client;
use stackport_demo::ONLY_ON_US_EAST;
use stackport_migrate::snapshot::SnapshotOptions;
use stackport_migrate::{plan, run, Endpoint, Finding, Plan, RestoreOptions, RunOptions, Severity};
use stackport_model::api::{Component, NewBucket, NewConfiguration, NewToken};
use stackport_model::{ComponentId, ConfigId, Stage};

use crate::fingerprint::fingerprint;
use crate::world::*;

fn options(work_dir: &Path) -> RunOptions {
    RunOptions {
        work_dir: work_dir.to_path_buf(),
        snapshot: SnapshotOptions::default(),
        restore: RestoreOptions::default(),
        run_transformations: false,
    }
}

fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().unwrap()
}

/// Fails naming each top-level part of the fingerprint that differs.
fn assert_unchanged(side: &str, before: &Value, after: &Value) {
    for (key, value) in before.as_object().unwrap() {
        assert_eq!(value, &after[key], "the {side}'s {key} changed");
    }
    assert_eq!(before, after, "the {side} changed");
}

/// The blocking findings with `code`; fails showing every finding when there is none.
fn blocking_with<'a>(plan: &'a Plan, code: &str) -> Vec<&'a Finding> {
    assert!(
        plan.is_blocked(),
        "the plan must block: {:#?}",
        plan.findings
    );
    let found: Vec<&Finding> = plan.findings.iter().filter(|f| f.code == code).collect();
    assert!(!found.is_empty(), "no {code} finding: {:#?}", plan.findings);
    for f in &found {
        assert_eq!(f.severity, Severity::Blocking, "{f:#?}");
    }
    found
}

/// Plans, checks a blocking `code` finding is there, then runs: the run must refuse, write no
/// snapshot and change neither project (seen through master-token clients). Returns the plan's
/// findings with `code`.
async fn assert_refused(
    world: &World,
    source: &Endpoint,
    destination: &Endpoint,
    code: &str,
) -> Vec<Finding> {
    let src_master = world.source_client();
    let dst_master = world.dest_client();
    let src_before = fingerprint(&src_master).await;
    let dst_before = fingerprint(&dst_master).await;

    let planned = plan(source, destination).await.unwrap();
    let found: Vec<Finding> = blocking_with(&planned, code).into_iter().cloned().collect();

    let work = world.work("work");
    let outcome = run(source, destination, &options(&work), quiet())
        .await
        .unwrap();
    assert!(
        outcome.report.is_none() && outcome.files.is_none(),
        "the run must refuse to start"
    );
    let ran_with: BTreeSet<(&str, &str)> = blocking_with(&outcome.plan, code)
        .into_iter()
        .map(|f| (f.code.as_str(), f.object.as_str()))
        .collect();
    let planned_with: BTreeSet<(&str, &str)> = found
        .iter()
        .map(|f| (f.code.as_str(), f.object.as_str()))
        .collect();
    assert_eq!(ran_with, planned_with, "run refuses for what plan found");
    assert!(
        !work.join("snapshot").exists(),
        "a refused run writes no snapshot"
    );
    assert!(
        !work.exists() || std::fs::read_dir(&work).unwrap().next().is_none(),
        "a refused run writes nothing into its work dir"
    );

    assert_unchanged("destination", &dst_before, &fingerprint(&dst_master).await);
    assert_unchanged("source", &src_before, &fingerprint(&src_master).await);
    found
}

fn codes(plan: &Plan) -> BTreeSet<&str> {
    plan.findings.iter().map(|f| f.code.as_str()).collect()
}

/// Replaces the us-east registry with what `change` makes of it.
async fn change_us_registry(world: &World, change: impl FnOnce(&mut Vec<Component>)) {
    let manage = world.us.manage_client();
    let mut components = manage.manage_components().await.unwrap();
    change(&mut components);
    manage.replace_components(&components).await.unwrap();
}

/// The live configurations of `component` in the source, as findings name them.
async fn named_configurations(client: &Client, component: &ComponentId) -> BTreeSet<String> {
    client
        .list_configs(component)
        .await
        .unwrap()
        .into_iter()
        .map(|c| format!("configuration {component}/{} ({})", c.id, c.name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_with_a_bucket_is_refused() {
    let world = World::new("refuse-bucket").await;
    let bucket = world
        .dest_client()
        .create_bucket(&NewBucket {
            name: "leftover".into(),
            stage: Stage::In,
            display_name: None,
            description: None,
            backend: None,
        })
        .await
        .unwrap();
    assert_eq!(bucket.id.to_string(), "in.c-leftover");

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.dest_endpoint(),
        "destination.notEmpty",
    )
    .await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].message.contains("bucket in.c-leftover"),
        "{found:#?}"
    );
    assert!(
        found[0].object.contains(&world.dest_id.to_string()),
        "names the destination project: {found:#?}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_with_a_live_configuration_is_refused() {
    let world = World::new("refuse-config").await;
    let mysql: ComponentId = id("keboola.ex-db-mysql");
    world
        .dest_client()
        .create_config(
            &mysql,
            &NewConfiguration {
                name: "Forgotten test".into(),
                configuration_id: Some(id("forgotten-test")),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.dest_endpoint(),
        "destination.notEmpty",
    )
    .await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .message
            .contains("configuration keboola.ex-db-mysql/forgotten-test (Forgotten test)"),
        "{found:#?}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_whose_only_configuration_is_in_the_trash_counts_as_empty() {
    let world = World::new("trash-is-empty").await;
    let dst = world.dest_client();
    let mysql: ComponentId = id("keboola.ex-db-mysql");
    let config: ConfigId = id("forgotten-test");
    dst.create_config(
        &mysql,
        &NewConfiguration {
            name: "Forgotten test".into(),
            configuration_id: Some(config.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    dst.delete_config(&mysql, &config).await.unwrap();
    assert!(dst.list_components("", false).await.unwrap().is_empty());
    assert_eq!(dst.list_components("", true).await.unwrap().len(), 1);

    let planned = plan(&world.source_endpoint(), &world.dest_endpoint())
        .await
        .unwrap();
    assert!(
        !codes(&planned).contains("destination.notEmpty"),
        "{:#?}",
        planned.findings
    );
    assert!(!planned.is_blocked(), "{:#?}", planned.findings);

    // And the restore's own check agrees: the migration goes through.
    let work = world.work("work");
    let outcome = run(
        &world.source_endpoint(),
        &world.dest_endpoint(),
        &options(&work),
        quiet(),
    )
    .await
    .unwrap();
    assert!(outcome.report.is_some(), "the migration ran");
    world.stop().await;
}

/// The trash is not empty space: a trashed destination configuration holds its id, so one with
/// the id of a source configuration makes the restore's create fail with a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trashed_destination_configuration_with_a_source_id_is_refused_up_front() {
    let world = World::new("trash-collides").await;
    let dst = world.dest_client();
    let mysql: ComponentId = id("keboola.ex-db-mysql");
    let config: ConfigId = id("crm-mysql");
    assert!(
        named_configurations(&world.source_client(), &mysql)
            .await
            .iter()
            .any(|n| n.starts_with("configuration keboola.ex-db-mysql/crm-mysql ")),
        "the source has this configuration"
    );
    dst.create_config(
        &mysql,
        &NewConfiguration {
            name: "An older attempt".into(),
            configuration_id: Some(config.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    dst.delete_config(&mysql, &config).await.unwrap();
    let before = fingerprint(&dst).await;

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.dest_endpoint(),
        "destination.trashedIdTaken",
    )
    .await;
    assert!(
        found.iter().any(|f| f
            .object
            .starts_with("configuration keboola.ex-db-mysql/crm-mysql ")),
        "{found:#?}"
    );
    assert_unchanged("destination", &before, &fingerprint(&dst).await);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_the_destination_stack_lacks_is_refused() {
    let world = World::new("refuse-missing").await;
    let gone: ComponentId = id("keboola.sqlite-transformation");
    let expected = named_configurations(&world.source_client(), &gone).await;
    assert!(expected.len() >= 2, "several configurations: {expected:?}");
    change_us_registry(&world, |components| {
        components.retain(|c| c.id != gone);
        for c in components.iter_mut() {
            if c.replaced_by.as_ref() == Some(&gone) {
                c.replaced_by = None;
            }
        }
    })
    .await;

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.dest_endpoint(),
        "component.missing",
    )
    .await;
    let objects: BTreeSet<String> = found.iter().map(|f| f.object.clone()).collect();
    assert_eq!(objects, expected, "one finding per configuration");
    for f in &found {
        assert!(
            f.message.contains(&format!("component {gone} ")) && f.message.contains(&world.us.id),
            "{f:#?}"
        );
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_deprecated_on_the_destination_stack_is_refused() {
    let world = World::new("refuse-deprecated").await;
    let old: ComponentId = id("keboola.wr-aws-s3");
    let new: ComponentId = id(ONLY_ON_US_EAST);
    let expected = named_configurations(&world.source_client(), &old).await;
    assert!(!expected.is_empty());
    change_us_registry(&world, |components| {
        assert!(components.iter().any(|c| c.id == new));
        let c = components.iter_mut().find(|c| c.id == old).unwrap();
        c.flags.push("deprecated".into());
        c.replaced_by = Some(new.clone());
    })
    .await;

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.dest_endpoint(),
        "component.deprecated",
    )
    .await;
    let objects: BTreeSet<String> = found.iter().map(|f| f.object.clone()).collect();
    assert_eq!(objects, expected);
    for f in &found {
        assert!(f.message.contains(old.as_str()), "{f:#?}");
        assert!(
            f.action.contains(new.as_str()),
            "the action names the replacement: {f:#?}"
        );
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_token_that_is_not_a_master_token_is_refused() {
    let world = World::new("refuse-dest-token").await;
    let token = world
        .dest_client()
        .create_token(&NewToken {
            description: "Loader without master rights".into(),
            can_manage_buckets: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let destination = Endpoint::new(&world.us.url, token.token.clone().unwrap());

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &destination,
        "destination.tokenNotMaster",
    )
    .await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].object,
        format!(
            "destination token {} (Loader without master rights)",
            token.id
        )
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_token_that_cannot_read_everything_is_refused() {
    let world = World::new("refuse-src-token").await;
    // A setup write to the source, made before `assert_refused` takes its fingerprint.
    let token = world
        .source_client()
        .create_token(&NewToken {
            description: "Bucket reader".into(),
            can_manage_buckets: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let source = Endpoint::new(&world.eu.url, token.token.clone().unwrap());

    let found = assert_refused(
        &world,
        &source,
        &world.dest_endpoint(),
        "source.tokenCannotReadAll",
    )
    .await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].object,
        format!("source token {} (Bucket reader)", token.id)
    );
    assert!(
        found[0].message.contains("members") && found[0].message.contains("API tokens"),
        "{found:#?}"
    );
    assert!(
        !found[0].message.contains("its buckets"),
        "this token can read the buckets: {found:#?}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orchestration_task_whose_configuration_is_in_the_trash_is_refused() {
    let world = World::new("refuse-dangling").await;
    let src = world.source_client();
    let orchestrations = src.list_orchestrations().await.unwrap();
    let hourly = orchestrations
        .iter()
        .find(|o| o.name.starts_with("Hourly"))
        .unwrap();
    let task = &hourly.tasks[0];
    let component = task.component_id.clone().unwrap();
    let config = task.config_id.clone().unwrap();
    // A setup write to the source, made before `assert_refused` takes its fingerprint.
    src.delete_config(&component, &config).await.unwrap();
    let expected: BTreeSet<String> = orchestrations
        .iter()
        .flat_map(|o| {
            o.tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    t.component_id.as_ref() == Some(&component)
                        && t.config_id.as_ref() == Some(&config)
                })
                .map(|(i, _)| format!("orchestration {} ({}), task {}", o.id, o.name, i + 1))
        })
        .collect();
    assert!(
        expected.contains(&format!(
            "orchestration {} ({}), task 1",
            hourly.id, hourly.name
        )),
        "{expected:?}"
    );
    assert!(
        expected.len() >= 2,
        "the daily pipeline runs it too: {expected:?}"
    );

    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.dest_endpoint(),
        "orchestration.danglingTask",
    )
    .await;
    let objects: BTreeSet<String> = found.iter().map(|f| f.object.clone()).collect();
    assert_eq!(objects, expected);
    for f in &found {
        assert!(
            f.message.contains(&format!("{component}/{config}")),
            "names the configuration: {f:#?}"
        );
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_a_project_into_itself_is_refused() {
    let world = World::new("refuse-itself").await;
    let found = assert_refused(
        &world,
        &world.source_endpoint(),
        &world.source_endpoint(),
        "destination.isSource",
    )
    .await;
    assert!(found[0].object.contains("eu-central"), "{found:#?}");
    world.stop().await;
}
