//! Orchestrations: tasks in phases that must point at what exists.

use stackport_client::Client;
use stackport_model::api::{
    NewConfiguration, NewOrchestration, NewToken, OrchestrationTask, OrchestrationUpdate,
};
use stackport_model::{ComponentId, ConfigId, OrchestrationId};

use crate::helpers::*;

fn mysql() -> ComponentId {
    "keboola.ex-db-mysql".parse().unwrap()
}

fn config_task(config: &ConfigId, phase: &str) -> OrchestrationTask {
    OrchestrationTask {
        component_id: Some(mysql()),
        config_id: Some(config.clone()),
        orchestration_id: None,
        action: "run".into(),
        active: true,
        continue_on_failure: false,
        phase: phase.into(),
    }
}

fn child_task(id: OrchestrationId) -> OrchestrationTask {
    OrchestrationTask {
        component_id: None,
        config_id: None,
        orchestration_id: Some(id),
        ..config_task(&"x".parse().unwrap(), "2")
    }
}

async fn config(client: &Client, id: &str) -> ConfigId {
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: id.into(),
                configuration_id: Some(id.parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orchestrations_keep_their_schedule_and_tasks() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let extract = config(&client, "orders").await;
    let created = client
        .create_orchestration(&NewOrchestration {
            name: "nightly".into(),
            crontab_record: Some("0 3 * * *".into()),
            timezone: Some("Europe/Prague".into()),
            active: true,
            notifications: vec!["ops@example.com".into()],
            tasks: vec![config_task(&extract, "extract")],
        })
        .await
        .unwrap();
    assert_eq!(created.name, "nightly");
    assert_eq!(created.crontab_record.as_deref(), Some("0 3 * * *"));
    assert_eq!(created.timezone, "Europe/Prague");
    assert!(created.active);
    assert_eq!(created.notifications, vec!["ops@example.com".to_string()]);
    assert_eq!(created.tasks, vec![config_task(&extract, "extract")]);
    assert_eq!(client.get_orchestration(created.id).await.unwrap(), created);

    // A parent running the first as a child; ids are numbers the stack assigns.
    let parent = client
        .create_orchestration(&NewOrchestration {
            name: "weekly".into(),
            tasks: vec![config_task(&extract, "1"), child_task(created.id)],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(parent.id.0 > created.id.0);
    assert_eq!(parent.timezone, "UTC");
    assert!(!parent.active);
    assert_eq!(client.list_orchestrations().await.unwrap().len(), 2);

    // Updates change what they name and keep the rest; "" removes the schedule.
    let updated = client
        .update_orchestration(
            created.id,
            &OrchestrationUpdate {
                active: Some(false),
                crontab_record: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!updated.active);
    assert_eq!(updated.crontab_record, None);
    assert_eq!(updated.tasks, created.tasks);
    assert_eq!(updated.name, "nightly");

    // A child in use cannot be deleted; the parent can, then the child.
    expect_error(
        client.delete_orchestration(created.id).await,
        409,
        "orchestrations.inUse",
    );
    client.delete_orchestration(parent.id).await.unwrap();
    client.delete_orchestration(created.id).await.unwrap();
    expect_error(
        client.get_orchestration(created.id).await,
        404,
        "orchestrations.notFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_must_point_at_what_exists_in_the_project() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let extract = config(&client, "orders").await;
    let missing = expect_error(
        client
            .create_orchestration(&NewOrchestration {
                name: "broken".into(),
                tasks: vec![config_task(&"nope".parse().unwrap(), "1")],
                ..Default::default()
            })
            .await,
        400,
        "orchestrations.invalid",
    );
    assert!(missing.error.contains("nope"), "{}", missing.error);
    expect_error(
        client
            .create_orchestration(&NewOrchestration {
                name: "broken".into(),
                tasks: vec![child_task(OrchestrationId(999))],
                ..Default::default()
            })
            .await,
        400,
        "orchestrations.invalid",
    );
    // A configuration of another project does not count.
    let other = app.new_project("q").await;
    let theirs = config(&other, "theirs").await;
    expect_error(
        client
            .create_orchestration(&NewOrchestration {
                name: "borrowed".into(),
                tasks: vec![config_task(&theirs, "1")],
                ..Default::default()
            })
            .await,
        400,
        "orchestrations.invalid",
    );
    // Nor one in the trash.
    client.delete_config(&mysql(), &extract).await.unwrap();
    expect_error(
        client
            .create_orchestration(&NewOrchestration {
                name: "trashed".into(),
                tasks: vec![config_task(&extract, "1")],
                ..Default::default()
            })
            .await,
        400,
        "orchestrations.invalid",
    );
    assert!(client.list_orchestrations().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_schedules_cycles_and_rights_are_refused() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let extract = config(&client, "orders").await;
    for (cron, tz, email) in [
        (Some("every night"), None, None),
        (Some("0 3 * *"), None, None),
        (None, Some("Mars/Olympus Mons"), None),
        (None, None, Some("not-an-address")),
    ] {
        expect_error(
            client
                .create_orchestration(&NewOrchestration {
                    name: "bad".into(),
                    crontab_record: cron.map(String::from),
                    timezone: tz.map(String::from),
                    notifications: email.map(|e| vec![e.to_string()]).unwrap_or_default(),
                    tasks: vec![config_task(&extract, "1")],
                    ..Default::default()
                })
                .await,
            400,
            "orchestrations.invalid",
        );
    }
    let a = client
        .create_orchestration(&NewOrchestration {
            name: "a".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let b = client
        .create_orchestration(&NewOrchestration {
            name: "b".into(),
            tasks: vec![child_task(a.id)],
            ..Default::default()
        })
        .await
        .unwrap();
    // a -> b -> a would never end.
    expect_error(
        client
            .update_orchestration(
                a.id,
                &OrchestrationUpdate {
                    tasks: Some(vec![child_task(b.id)]),
                    ..Default::default()
                },
            )
            .await,
        400,
        "orchestrations.invalid",
    );
    assert!(client
        .get_orchestration(a.id)
        .await
        .unwrap()
        .tasks
        .is_empty());
    // A token limited to buckets may not touch orchestrations.
    let limited = client
        .create_token(&NewToken {
            description: "limited".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let limited = app.client(limited.token.as_deref().unwrap());
    expect_status(limited.list_orchestrations().await, 403);
    // Another project's orchestration is not found.
    let other = app.new_project("q").await;
    expect_error(
        other.get_orchestration(a.id).await,
        404,
        "orchestrations.notFound",
    );
}
