//! The job queue and SQL transformations: jobs run for real against Storage.

use std::time::Duration;

use serde_json::json;
use stackport_client::{Client, JobQuery};
use stackport_model::api::{Job, JobStatus, NewConfiguration, NewJob, RawJson};
use stackport_model::{ComponentId, Stage};

use crate::helpers::*;

/// Runs in a SQLite workspace and refuses a project on PostgreSQL (the job fails saying so), so
/// the transformation tests here stay on SQLite; PostgreSQL projects' transformations have a
/// component of their own.
const SQL: &str = "keboola.sqlite-transformation";
const WAIT: Duration = Duration::from_secs(60);

fn component(id: &str) -> ComponentId {
    id.parse().expect("a component id")
}

/// Creates an SQL transformation and returns its id.
pub async fn sql_transformation(
    client: &Client,
    name: &str,
    input: serde_json::Value,
    output: serde_json::Value,
    script: &[&str],
) -> String {
    let doc = json!({
        "storage": {"input": {"tables": input}, "output": {"tables": output}},
        "parameters": {"blocks": [{"name": "Main", "codes": [{"name": "main", "script": script}]}]}
    });
    client
        .create_config(
            &component(SQL),
            &NewConfiguration {
                name: name.into(),
                configuration: Some(RawJson::from_string(doc.to_string()).expect("JSON")),
                ..Default::default()
            },
        )
        .await
        .expect("the transformation is created")
        .id
        .to_string()
}

pub async fn run(client: &Client, component_id: &str, config: &str) -> Job {
    let job = client
        .create_job(&NewJob {
            component: component(component_id),
            config: config.into(),
            config_row_ids: vec![],
            mode: Default::default(),
        })
        .await
        .expect("the job is queued");
    assert_eq!(job.status, JobStatus::Waiting);
    client
        .wait_for_job(job.id, WAIT)
        .await
        .expect("the job ends")
}

async fn orders(client: &Client) -> stackport_model::TableId {
    let table = bucket_with_table(
        client,
        "shop",
        "orders",
        &["id", "day", "total", "status"],
        &["id"],
    )
    .await;
    import_csv(
        client,
        &table,
        &canonical(
            &["id", "day", "total", "status"],
            &[
                &["1", "2026-11-01", "10", "paid"],
                &["2", "2026-11-01", "5", "paid"],
                &["3", "2026-11-02", "7", "paid"],
                &["4", "2026-11-02", "100", "cancelled"],
            ],
        ),
    )
    .await;
    table
}

fn revenue_script() -> [&'static str; 1] {
    ["CREATE TABLE \"daily\" AS SELECT \"day\", SUM(CAST(\"total\" AS INTEGER)) AS \"revenue\", COUNT(*) AS \"orders\" FROM \"orders\" GROUP BY 1 ORDER BY 1;"]
}

#[tokio::test]
async fn an_sql_transformation_writes_its_output_table() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    orders(&client).await;
    let config = sql_transformation(
        &client,
        "Revenue",
        json!([{"source": "in.c-shop.orders", "destination": "orders", "where_column": "status", "where_values": ["paid"]}]),
        json!([{"source": "daily", "destination": "out.c-reporting.daily", "primary_key": ["day"]}]),
        &revenue_script(),
    )
    .await;

    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Success, "{:?}", job.result);
    assert!(job.start_time.is_some() && job.end_time.is_some());
    assert!(job.duration_seconds.is_some());
    assert_eq!(job.run_id, job.id.to_string());
    assert_eq!(job.result["output"]["tables"][0]["rows"], 2);
    assert_eq!(
        job.result["input"]["tables"][0]["rows"], 3,
        "the where filter applied"
    );

    let out = table_id("out.c-reporting.daily");
    let table = client.get_table(&out).await.unwrap();
    assert_eq!(table.primary_key, cols(&["day"]));
    assert_eq!(
        export_csv(&client, &out).await,
        canonical(
            &["day", "revenue", "orders"],
            &[&["2026-11-01", "15", "2"], &["2026-11-02", "7", "1"]]
        )
    );

    // The log tells what happened, in order.
    let log: Vec<String> = client
        .job_log(job.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        log,
        [
            "job.created",
            "job.started",
            "job.inputLoaded",
            "job.codeDone",
            "job.outputWritten",
            "job.succeeded"
        ]
    );
    // Listed, and found by its configuration.
    let listed = client
        .list_jobs(&JobQuery {
            config: Some(config.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [job.id]);
    // The workspace is gone.
    let leftovers = std::fs::read_dir(app.dir.join("jobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "the job's workspace was deleted");
}

#[tokio::test]
async fn an_incremental_output_with_a_primary_key_upserts() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    let table = orders(&client).await;
    let config = sql_transformation(
        &client,
        "Revenue",
        json!([{"source": "in.c-shop.orders", "destination": "orders", "changed_since": "-1 days"}]),
        json!([{"source": "daily", "destination": "out.c-reporting.daily", "incremental": true, "primary_key": ["day"]}]),
        &revenue_script(),
    )
    .await;
    assert_eq!(run(&client, SQL, &config).await.status, JobStatus::Success);

    // A day changes and a new one arrives; the old day's row is replaced, not repeated.
    import_incremental(
        &client,
        &table,
        &canonical(
            &["id", "day", "total", "status"],
            &[
                &["3", "2026-11-02", "9", "paid"],
                &["5", "2026-11-03", "1", "paid"],
            ],
        ),
    )
    .await;
    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Success, "{:?}", job.result);
    let out = table_id("out.c-reporting.daily");
    let mut rows: Vec<String> = export_csv(&client, &out)
        .await
        .lines()
        .skip(1)
        .map(String::from)
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            "\"2026-11-01\",\"15\",\"2\"",
            "\"2026-11-02\",\"109\",\"2\"",
            "\"2026-11-03\",\"1\",\"1\"",
        ]
    );
}

#[tokio::test]
async fn a_failing_statement_fails_the_job_and_writes_nothing() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    orders(&client).await;
    let config = sql_transformation(
        &client,
        "Broken",
        json!([{"source": "in.c-shop.orders", "destination": "orders"}]),
        json!([{"source": "daily", "destination": "out.c-reporting.daily"}]),
        &[
            "CREATE TABLE \"daily\" AS SELECT \"day\" FROM \"orders\";",
            "SELECT \"no_such_column\" FROM \"orders\";",
        ],
    )
    .await;
    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Error);
    let message = job.result["message"].as_str().unwrap();
    assert!(
        message.contains("statement 2") && message.contains("no_such_column"),
        "{message}"
    );
    assert_eq!(
        job.result["error"]["statement"],
        "SELECT \"no_such_column\" FROM \"orders\";"
    );
    expect_status(
        client.get_table(&table_id("out.c-reporting.daily")).await,
        404,
    );
    let log = client.job_log(job.id).await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.event.as_str(), last.kind.as_str()),
        ("job.failed", "error")
    );
}

#[tokio::test]
async fn a_missing_output_or_a_bad_target_is_named() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    orders(&client).await;
    let config = sql_transformation(
        &client,
        "No output",
        json!([{"source": "in.c-shop.orders", "destination": "orders"}]),
        json!([{"source": "forgotten", "destination": "out.c-reporting.daily"}]),
        &["SELECT 1;"],
    )
    .await;
    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Error);
    assert!(
        job.result["message"]
            .as_str()
            .unwrap()
            .contains("'forgotten'"),
        "{}",
        job.result
    );

    // What cannot run is refused before it is queued.
    let refused = client
        .create_job(&NewJob {
            component: component(SQL),
            config: "nope".into(),
            config_row_ids: vec![],
            mode: Default::default(),
        })
        .await;
    expect_error(refused, 404, "components.configurations.notFound");
    let writer = client
        .create_config(
            &component("keboola.wr-google-sheets"),
            &NewConfiguration {
                name: "Sheets".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let refused = client
        .create_job(&NewJob {
            component: component("keboola.wr-google-sheets"),
            config: writer.id.to_string(),
            config_row_ids: vec![],
            mode: Default::default(),
        })
        .await;
    expect_error(refused, 400, "queue.jobs.cannotRun");
}

/// A statement that runs until it is interrupted.
const ENDLESS: &str =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;";

async fn wait_for_status(client: &Client, job: &Job, status: JobStatus) {
    let started = std::time::Instant::now();
    while client.get_job(job.id).await.unwrap().status != status {
        assert!(
            started.elapsed() < WAIT,
            "job {} never became {status:?}",
            job.id
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The default settings, but with `per_project` jobs of one project running at once (the tests
/// of one project's concurrent jobs), or a time limit of `seconds`.
fn settings(per_project: usize, seconds: u64) -> stackport_stack::StackSettings {
    let mut settings = stackport_stack::StackSettings::local_default("127.0.0.1:0");
    settings.jobs.max_running_per_project = per_project;
    settings.jobs.time_limit_seconds = seconds;
    settings
}

#[tokio::test]
async fn a_killed_job_is_cancelled_running_or_waiting() {
    let app = spawn_app_with(settings(2, 3_600)).await;
    let client = app.new_project("Jobs").await;
    create_bucket(&client, Stage::In, "empty").await;
    let config = sql_transformation(&client, "Endless", json!([]), json!([]), &[ENDLESS]).await;
    let new = NewJob {
        component: component(SQL),
        config: config.clone(),
        config_row_ids: vec![],
        mode: Default::default(),
    };
    // Two workers: two endless jobs keep both busy, so the third waits.
    let first = client.create_job(&new).await.unwrap();
    let second = client.create_job(&new).await.unwrap();
    wait_for_status(&client, &first, JobStatus::Processing).await;
    wait_for_status(&client, &second, JobStatus::Processing).await;
    let third = client.create_job(&new).await.unwrap();

    let killed = client.kill_job(third.id).await.unwrap();
    assert_eq!(
        killed.status,
        JobStatus::Cancelled,
        "a waiting job is cancelled at once"
    );
    let killed = client.kill_job(first.id).await.unwrap();
    assert_eq!(killed.desired_status, "terminating");
    let first = client.wait_for_job(first.id, WAIT).await.unwrap();
    assert_eq!(first.status, JobStatus::Cancelled);
    client.kill_job(second.id).await.unwrap();
    assert_eq!(
        client.wait_for_job(second.id, WAIT).await.unwrap().status,
        JobStatus::Cancelled
    );
    expect_error(client.kill_job(second.id).await, 409, "queue.jobs.finished");
}

#[tokio::test]
async fn a_stack_stopped_mid_job_fails_the_job_and_keeps_the_queue() {
    let mut app = spawn_app_with(settings(2, 3_600)).await;
    let (project, client) = app.new_project_full("Jobs").await;
    orders(&client).await;
    let endless = sql_transformation(&client, "Endless", json!([]), json!([]), &[ENDLESS]).await;
    let quick = sql_transformation(
        &client,
        "Revenue",
        json!([{"source": "in.c-shop.orders", "destination": "orders"}]),
        json!([{"source": "daily", "destination": "out.c-reporting.daily"}]),
        &revenue_script(),
    )
    .await;
    let new = |config: &str| NewJob {
        component: component(SQL),
        config: config.into(),
        config_row_ids: vec![],
        mode: Default::default(),
    };
    let a = client.create_job(&new(&endless)).await.unwrap();
    let b = client.create_job(&new(&endless)).await.unwrap();
    wait_for_status(&client, &a, JobStatus::Processing).await;
    wait_for_status(&client, &b, JobStatus::Processing).await;
    let waiting = client.create_job(&new(&quick)).await.unwrap();
    // A provisioned workspace is the project's, not a job's: a start must keep it.
    client
        .create_workspace(&stackport_model::api::NewWorkspace {
            component_id: None,
            configuration_id: None,
            ..Default::default()
        })
        .await
        .unwrap();
    let provisioned = app
        .dir
        .join("workspaces")
        .join(project.project.id.to_string());
    let files = |dir: &std::path::Path| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files(&provisioned), 1);

    app.stop().await;
    app.start().await;
    assert_eq!(
        files(&provisioned),
        1,
        "the provisioned workspace survived the restart"
    );
    let client = app.client(&project.token);
    for id in [a.id, b.id] {
        let job = client.get_job(id).await.unwrap();
        assert_eq!(job.status, JobStatus::Error, "job {id}");
        assert!(
            job.result["message"]
                .as_str()
                .unwrap()
                .contains("stack stopped"),
            "{}",
            job.result
        );
    }
    // The waiting job survived the restart and runs now.
    let done = client.wait_for_job(waiting.id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Success, "{:?}", done.result);
}

#[tokio::test]
async fn one_projects_endless_jobs_neither_hold_every_worker_nor_run_forever() {
    // Two workers, one running job per project, and a short time limit for every job.
    let app = spawn_app_with(settings(1, 3)).await;
    let a = app.new_project("A").await;
    let b = app.new_project("B").await;
    create_bucket(&a, Stage::In, "empty").await;
    let endless = sql_transformation(&a, "Endless", json!([]), json!([]), &[ENDLESS]).await;
    let quick = sql_transformation(&b, "Quick", json!([]), json!([]), &["SELECT 1;"]).await;
    let new = |config: &str| NewJob {
        component: component(SQL),
        config: config.into(),
        config_row_ids: vec![],
        mode: Default::default(),
    };
    let first = a.create_job(&new(&endless)).await.unwrap();
    let second = a.create_job(&new(&endless)).await.unwrap();
    wait_for_status(&a, &first, JobStatus::Processing).await;

    // B's job, queued after both of A's, runs while A's first one does.
    let other = run(&b, SQL, &quick).await;
    assert_eq!(other.status, JobStatus::Success, "{}", other.result);

    let first = a.wait_for_job(first.id, WAIT).await.unwrap();
    let second = a.wait_for_job(second.id, WAIT).await.unwrap();
    for job in [&first, &second] {
        assert_eq!(job.status, JobStatus::Error, "{}", job.result);
        let message = job.result["message"].as_str().unwrap();
        assert!(
            message.contains("time limit of 3 s")
                && message.contains("jobs.timeLimitSeconds")
                && message.contains("runner.timeoutSeconds"),
            "{message}"
        );
        assert_eq!(job.result["timeLimitSeconds"], 3);
    }
    // A's second job waited for its first, and B's job did not wait for either.
    assert!(second.start_time >= first.end_time, "{first:?} {second:?}");
    assert!(other.start_time < second.start_time, "{other:?} {second:?}");
    let log = a.job_log(first.id).await.unwrap();
    assert_eq!(log.last().unwrap().event, "job.failed");
}

#[tokio::test]
async fn a_registry_time_limit_overrides_the_stacks() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    let mut components = app.manage.manage_components().await.unwrap();
    let mut quick = components
        .iter()
        .find(|c| c.id.as_str() == SQL)
        .unwrap()
        .clone();
    quick.id = component("test.sql-one-second");
    quick.runner = Some(stackport_model::api::Runner::Sql {
        timeout_seconds: Some(1),
        backend: None,
    });
    components.push(quick);
    app.manage.replace_components(&components).await.unwrap();
    // What the registry now says is what it serves.
    let listed = app.manage.manage_components().await.unwrap();
    let entry = listed
        .iter()
        .find(|c| c.id.as_str() == "test.sql-one-second")
        .unwrap();
    assert_eq!(entry.runner.as_ref().unwrap().timeout_seconds(), Some(1));

    let doc = json!({
        "parameters": {"blocks": [{"name": "Main", "codes": [{"name": "main", "script": [ENDLESS]}]}]}
    });
    let config = client
        .create_config(
            &component("test.sql-one-second"),
            &NewConfiguration {
                name: "Endless".into(),
                configuration: Some(RawJson::from_string(doc.to_string()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .to_string();
    let job = run(&client, "test.sql-one-second", &config).await;
    assert_eq!(job.status, JobStatus::Error, "{}", job.result);
    let message = job.result["message"].as_str().unwrap();
    assert!(
        message.contains("time limit of 1 s")
            && message.contains("runner.timeoutSeconds of test.sql-one-second"),
        "{message}"
    );

    // A limit of zero seconds is no limit to run with: the registry refuses it.
    let mut components = listed;
    for c in &mut components {
        if c.id.as_str() == "test.sql-one-second" {
            c.runner = Some(stackport_model::api::Runner::Sql {
                timeout_seconds: Some(0),
                backend: None,
            });
        }
    }
    expect_error(
        app.manage.replace_components(&components).await,
        400,
        "components.invalidRegistry",
    );
}

/// Adds a component whose job runs `command` with `timeout_seconds`.
async fn add_program(app: &TestApp, id: &str, command: &[&str], timeout_seconds: u64) {
    let mut components = app.manage.manage_components().await.unwrap();
    components.push(stackport_model::api::Component {
        id: component(id),
        component_type: stackport_model::api::ComponentType::Application,
        name: id.into(),
        description: String::new(),
        flags: vec![],
        replaced_by: None,
        provisions: None,
        oauth: None,
        runner: Some(stackport_model::api::Runner::Program {
            command: command.iter().map(|s| s.to_string()).collect(),
            timeout_seconds: Some(timeout_seconds),
        }),
    });
    app.manage.replace_components(&components).await.unwrap();
}

#[tokio::test]
async fn a_program_is_stopped_at_its_time_limit_or_when_killed() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    add_program(&app, "test.slow", &["sleep", "30"], 1).await;
    add_program(&app, "test.patient", &["sleep", "30"], 600).await;
    let new_config = |id: &str| {
        let client = client.clone();
        let id = component(id);
        async move {
            client
                .create_config(
                    &id,
                    &NewConfiguration {
                        name: "Sleep".into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .id
                .to_string()
        }
    };
    let slow = new_config("test.slow").await;
    let started = std::time::Instant::now();
    let job = run(&client, "test.slow", &slow).await;
    assert_eq!(job.status, JobStatus::Error);
    assert!(
        job.result["message"]
            .as_str()
            .unwrap()
            .contains("limit of 1 s"),
        "{}",
        job.result
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "stopped at the limit, not at the end"
    );

    let patient = new_config("test.patient").await;
    let job = client
        .create_job(&NewJob {
            component: component("test.patient"),
            config: patient,
            config_row_ids: vec![],
            mode: Default::default(),
        })
        .await
        .unwrap();
    wait_for_status(&client, &job, JobStatus::Processing).await;
    client.kill_job(job.id).await.unwrap();
    let job = client
        .wait_for_job(job.id, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
}

#[tokio::test]
async fn the_input_mapping_takes_columns_changed_since_and_where_filters() {
    let app = spawn_app().await;
    let client = app.new_project("Jobs").await;
    let table = bucket_with_table(
        &client,
        "shop",
        "orders",
        &["id", "day", "total", "status"],
        &["id"],
    )
    .await;
    // Old rows, then recent ones.
    let old = stackport_client::ImportParams {
        timestamp: Some("2020-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    import_with(
        &client,
        &table,
        &old,
        &canonical(
            &["id", "day", "total", "status"],
            &[
                &["1", "2020-01-01", "10", "paid"],
                &["2", "2020-01-01", "20", "paid"],
            ],
        ),
    )
    .await
    .unwrap();
    import_incremental(
        &client,
        &table,
        &canonical(
            &["id", "day", "total", "status"],
            &[
                &["3", "2026-11-01", "30", "paid"],
                &["4", "2026-11-01", "40", "cancelled"],
                &["5", "2026-11-02", "50", "paid"],
            ],
        ),
    )
    .await;
    let config = sql_transformation(
        &client,
        "Recent paid",
        json!([{
            "source": "in.c-shop.orders",
            "destination": "recent",
            "columns": ["id", "total", "status"],
            "changed_since": "-7 days",
            "where_column": "status",
            "where_values": ["paid"]
        }]),
        json!([{"source": "out", "destination": "out.c-x.recent"}]),
        // Only the mapped columns, and only the recent paid rows, reach the workspace.
        &["CREATE TABLE \"out\" AS SELECT * FROM \"recent\" ORDER BY \"id\";"],
    )
    .await;
    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Success, "{}", job.result);
    assert_eq!(
        export_csv(&client, &table_id("out.c-x.recent")).await,
        canonical(
            &["id", "total", "status"],
            &[&["3", "30", "paid"], &["5", "50", "paid"]]
        )
    );
}

#[tokio::test]
async fn a_script_reaches_its_workspace_and_no_other_file() {
    let app = spawn_app().await;
    let (project, client) = app.new_project_full("Jobs").await;
    create_bucket(&client, Stage::In, "x").await;
    let tables = app
        .dir
        .join("tables")
        .join(format!("{}.sqlite", project.project.id));
    let outside = app.dir.join("copied.sqlite");
    for script in [
        format!("ATTACH '{}' AS other;", tables.display()),
        format!(
            "ATTACH '{}' AS meta;",
            app.dir.join("metadata.sqlite").display()
        ),
        format!("VACUUM INTO '{}';", outside.display()),
    ] {
        let config = sql_transformation(&client, "Escape", json!([]), json!([]), &[&script]).await;
        let job = run(&client, SQL, &config).await;
        assert_eq!(job.status, JobStatus::Error, "{script}: {}", job.result);
        assert!(!outside.exists(), "{script} wrote outside the workspace");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_cannot_grow_its_workspace_past_the_projects_quota() {
    let mut settings = stackport_stack::StackSettings::local_default("127.0.0.1:0");
    settings.quotas.workspace_bytes = 1 << 20;
    let app = spawn_app_with(settings).await;
    let client = app.new_project("Jobs").await;
    let fill = "CREATE TABLE big AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 100000) \
                SELECT i, printf('%.100c', 'x') AS v FROM r;";
    let config = sql_transformation(&client, "Fill", json!([]), json!([]), &[fill]).await;
    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Error, "{}", job.result);
    let message = job.result["message"].as_str().unwrap();
    assert!(message.contains("quotas.workspaceBytes"), "{message}");

    // Nor move the bound first.
    let raise = "PRAGMA max_page_count = 1000000000;";
    let config = sql_transformation(&client, "Raise", json!([]), json!([]), &[raise, fill]).await;
    let job = run(&client, SQL, &config).await;
    assert_eq!(job.status, JobStatus::Error, "{}", job.result);
    assert!(
        job.result["message"]
            .as_str()
            .unwrap()
            .contains("statement 1"),
        "{}",
        job.result
    );
}
