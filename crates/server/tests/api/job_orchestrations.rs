//! Orchestrations run as jobs: phases in order, tasks of a phase together, child orchestrations,
//! `continueOnFailure`; and the scheduler queues active ones at their minutes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use stackport_client::{Client, JobQuery};
use stackport_model::api::{
    Job, JobStatus, NewOrchestration, OrchestrationTask, OrchestrationUpdate,
};
use stackport_model::OrchestrationId;
use stackport_stack::ManualClock;

use crate::helpers::*;
use crate::jobs::{run, sql_transformation};

/// SQLite only, as in `jobs`: this transformation refuses a project on PostgreSQL.
const SQL: &str = "keboola.sqlite-transformation";

fn task(config: &str, phase: &str, continue_on_failure: bool) -> OrchestrationTask {
    OrchestrationTask {
        component_id: Some(SQL.parse().unwrap()),
        config_id: Some(config.parse().unwrap()),
        orchestration_id: None,
        action: "run".into(),
        active: true,
        continue_on_failure,
        phase: phase.into(),
    }
}

fn child(id: OrchestrationId, phase: &str) -> OrchestrationTask {
    OrchestrationTask {
        component_id: None,
        config_id: None,
        orchestration_id: Some(id),
        action: "run".into(),
        active: true,
        continue_on_failure: false,
        phase: phase.into(),
    }
}

async fn orchestration(
    client: &Client,
    name: &str,
    tasks: Vec<OrchestrationTask>,
) -> OrchestrationId {
    client
        .create_orchestration(&NewOrchestration {
            name: name.into(),
            crontab_record: None,
            timezone: None,
            active: false,
            notifications: vec![],
            tasks,
        })
        .await
        .expect("the orchestration is created")
        .id
}

/// A source table, and transformations: `copy` makes `out.c-x.first` from it, `double` makes
/// `out.c-x.second` from `first`, `broken` fails.
async fn project(client: &Client) -> (String, String, String) {
    let t = bucket_with_table(client, "src", "numbers", &["n"], &[]).await;
    import_csv(client, &t, &canonical(&["n"], &[&["1"], &["2"], &["3"]])).await;
    let copy = sql_transformation(
        client,
        "copy",
        json!([{"source": "in.c-src.numbers", "destination": "numbers"}]),
        json!([{"source": "first", "destination": "out.c-x.first"}]),
        &["CREATE TABLE \"first\" AS SELECT \"n\" FROM \"numbers\";"],
    )
    .await;
    let double = sql_transformation(
        client,
        "double",
        json!([{"source": "out.c-x.first", "destination": "first"}]),
        json!([{"source": "second", "destination": "out.c-x.second"}]),
        &["CREATE TABLE \"second\" AS SELECT \"n\" * 2 AS \"n\" FROM \"first\";"],
    )
    .await;
    let broken = sql_transformation(
        client,
        "broken",
        json!([]),
        json!([]),
        &["SELECT * FROM \"nowhere\";"],
    )
    .await;
    (copy, double, broken)
}

async fn jobs_of_run(client: &Client, run_id: &str) -> Vec<Job> {
    client
        .list_jobs(&JobQuery {
            run_id: Some(run_id.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_orchestration_runs_its_phases_in_order() {
    let app = spawn_app().await;
    let client = app.new_project("Flows").await;
    let (copy, double, _) = project(&client).await;
    let id = orchestration(
        &client,
        "Nightly",
        vec![
            task(&copy, "extract", false),
            task(&double, "transform", false),
        ],
    )
    .await;

    let job = run(&client, "orchestrator", &id.to_string()).await;
    assert_eq!(job.status, JobStatus::Success, "{}", job.result);
    let tasks = job.result["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    // The second phase read what the first wrote.
    assert_eq!(
        export_csv(&client, &table_id("out.c-x.second")).await,
        canonical(&["n"], &[&["2"], &["4"], &["6"]])
    );
    let children = jobs_of_run(&client, &job.run_id).await;
    assert_eq!(children.len(), 3, "the orchestration and its two tasks");
    let first = client
        .get_job(serde_json::from_value(tasks[0]["jobId"].clone()).unwrap())
        .await
        .unwrap();
    let second = client
        .get_job(serde_json::from_value(tasks[1]["jobId"].clone()).unwrap())
        .await
        .unwrap();
    assert_eq!(first.parent_run_id.as_deref(), Some(job.run_id.as_str()));
    assert_eq!(first.run_id, format!("{}.{}", job.run_id, first.id));
    assert_eq!(first.triggered_by, "orchestration");
    assert!(
        second.start_time.unwrap() >= first.end_time.unwrap(),
        "phase 2 began after phase 1 ended"
    );
}

#[tokio::test]
async fn a_failing_task_stops_the_orchestration_unless_it_may_fail() {
    let app = spawn_app().await;
    let client = app.new_project("Flows").await;
    let (copy, double, broken) = project(&client).await;
    let id = orchestration(
        &client,
        "Fragile",
        vec![
            task(&broken, "1", false),
            task(&copy, "1", false),
            task(&double, "2", false),
        ],
    )
    .await;

    let job = run(&client, "orchestrator", &id.to_string()).await;
    assert_eq!(job.status, JobStatus::Error);
    let message = job.result["message"].as_str().unwrap();
    assert!(message.contains("phases not run: 2"), "{message}");
    let statuses: Vec<&str> = job.result["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["error", "success"],
        "both tasks of phase 1 ran, phase 2 did not"
    );
    expect_status(client.get_table(&table_id("out.c-x.second")).await, 404);

    // With continueOnFailure the failing task is recorded and the run goes on.
    client
        .update_orchestration(
            id,
            &OrchestrationUpdate {
                tasks: Some(vec![
                    task(&broken, "1", true),
                    task(&copy, "1", false),
                    task(&double, "2", false),
                ]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let job = run(&client, "orchestrator", &id.to_string()).await;
    assert_eq!(job.status, JobStatus::Success, "{}", job.result);
    let statuses: Vec<&str> = job.result["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["error", "success", "success"]);
    assert_eq!(
        export_csv(&client, &table_id("out.c-x.second")).await,
        canonical(&["n"], &[&["2"], &["4"], &["6"]])
    );
}

#[tokio::test]
async fn an_orchestration_stops_its_tasks_at_its_time_limit() {
    // Every job may run 2 s, except the task's component, which the registry gives longer: the
    // orchestration reaches its limit first.
    let mut settings = stackport_stack::StackSettings::local_default("127.0.0.1:0");
    settings.jobs.time_limit_seconds = 2;
    let app = spawn_app_with(settings).await;
    let client = app.new_project("Flows").await;
    let patient = "test.sql-patient";
    let mut components = app.manage.manage_components().await.unwrap();
    let mut entry = components
        .iter()
        .find(|c| c.id.as_str() == SQL)
        .unwrap()
        .clone();
    entry.id = patient.parse().unwrap();
    entry.runner = Some(stackport_model::api::Runner::Sql {
        timeout_seconds: Some(600),
        backend: None,
    });
    components.push(entry);
    app.manage.replace_components(&components).await.unwrap();
    let endless =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;";
    let doc = json!({
        "parameters": {"blocks": [{"name": "Main", "codes": [{"name": "main", "script": [endless]}]}]}
    });
    let config = client
        .create_config(
            &patient.parse().unwrap(),
            &stackport_model::api::NewConfiguration {
                name: "Endless".into(),
                configuration: Some(
                    stackport_model::api::RawJson::from_string(doc.to_string()).unwrap(),
                ),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .to_string();
    let mut endless_task = task(&config, "1", false);
    endless_task.component_id = Some(patient.parse().unwrap());
    let id = orchestration(&client, "Endless", vec![endless_task]).await;

    let job = run(&client, "orchestrator", &id.to_string()).await;
    assert_eq!(job.status, JobStatus::Error, "{}", job.result);
    let message = job.result["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("orchestration {id}"))
            && message.contains("time limit of 2 s")
            && message.contains("jobs.timeLimitSeconds"),
        "{message}"
    );
    let jobs = jobs_of_run(&client, &job.run_id).await;
    let task_job = jobs.iter().find(|j| j.id != job.id).unwrap();
    let task_job = client
        .wait_for_job(task_job.id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        task_job.status,
        JobStatus::Cancelled,
        "the task was stopped with its orchestration: {}",
        task_job.result
    );
}

#[tokio::test]
async fn a_child_orchestration_runs_as_a_task() {
    let app = spawn_app().await;
    let client = app.new_project("Flows").await;
    let (copy, double, _) = project(&client).await;
    let inner = orchestration(&client, "Inner", vec![task(&copy, "1", false)]).await;
    let outer = orchestration(
        &client,
        "Outer",
        vec![child(inner, "1"), task(&double, "2", false)],
    )
    .await;

    let job = run(&client, "orchestrator", &outer.to_string()).await;
    assert_eq!(job.status, JobStatus::Success, "{}", job.result);
    let all = jobs_of_run(&client, &job.run_id).await;
    assert_eq!(
        all.len(),
        4,
        "outer, inner, inner's task, outer's second task"
    );
    let grandchild = all
        .iter()
        .find(|j| j.run_id.matches('.').count() == 2)
        .expect("a job two levels down");
    assert!(grandchild.run_id.starts_with(&format!("{}.", job.run_id)));
    assert_eq!(grandchild.config, copy);
}

async fn scheduled_jobs(client: &Client, id: OrchestrationId) -> Vec<Job> {
    client
        .list_jobs(&JobQuery {
            component: Some("orchestrator".into()),
            config: Some(id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// Waits until `id` has `n` jobs (the scheduler ticks every second).
async fn wait_for_jobs(client: &Client, id: OrchestrationId, n: usize) -> Vec<Job> {
    let started = std::time::Instant::now();
    loop {
        let jobs = scheduled_jobs(client, id).await;
        if jobs.len() >= n {
            return jobs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "orchestration {id} has {} job(s), waited for {n}",
            jobs.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn at(rfc3339: &str) -> i64 {
    stackport_model::time::parse(rfc3339)
        .unwrap()
        .timestamp_micros()
}

#[tokio::test]
async fn a_schedule_fires_at_its_minutes_once_and_never_when_inactive() {
    let clock = Arc::new(ManualClock::at(at("2026-11-29T12:03:30Z")));
    let mut app = spawn_app_with_clock(clock.clone()).await;
    let (project_created, client) = app.new_project_full("Flows").await;
    let (copy, _, _) = project(&client).await;
    let scheduled = |name: &str, active: bool| NewOrchestration {
        name: name.into(),
        crontab_record: Some("*/5 * * * *".into()),
        timezone: Some("Europe/Prague".into()),
        active,
        notifications: vec![],
        tasks: vec![task(&copy, "1", false)],
    };
    let active = client
        .create_orchestration(&scheduled("Every 5 minutes", true))
        .await
        .unwrap()
        .id;
    let inactive = client
        .create_orchestration(&scheduled("Switched off", false))
        .await
        .unwrap()
        .id;

    // Nothing before the slot.
    clock.set(at("2026-11-29T12:04:59Z"));
    assert!(client
        .list_jobs(&JobQuery::default())
        .await
        .unwrap()
        .is_empty());
    clock.set(at("2026-11-29T12:05:01Z"));
    let jobs = wait_for_jobs(&client, active, 1).await;
    assert_eq!(jobs[0].triggered_by, "schedule");
    let done = client
        .wait_for_job(jobs[0].id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Success, "{}", done.result);
    assert!(
        scheduled_jobs(&client, inactive).await.is_empty(),
        "an inactive orchestration never runs"
    );

    // The next slot fires once; the minutes between do not.
    clock.set(at("2026-11-29T12:07:00Z"));
    clock.set(at("2026-11-29T12:10:02Z"));
    wait_for_jobs(&client, active, 2).await;

    // A restart in the same minute does not fire that slot again.
    app.stop().await;
    app.start().await;
    let client = app.client(&project_created.token);
    clock.set(at("2026-11-29T12:15:03Z"));
    wait_for_jobs(&client, active, 3).await;
    // Down across three slots: the latest fires once after the restart.
    app.stop().await;
    clock.set(at("2026-11-29T12:31:00Z"));
    app.start().await;
    let client = app.client(&project_created.token);
    let jobs = wait_for_jobs(&client, active, 4).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(scheduled_jobs(&client, active).await.len(), 4, "{jobs:?}");
    assert!(
        scheduled_jobs(&client, inactive).await.is_empty(),
        "an inactive orchestration never runs"
    );
}
