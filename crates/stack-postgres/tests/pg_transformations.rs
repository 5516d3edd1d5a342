//! `keboola.postgresql-transformation` over HTTP: inputs copied into a sandbox on the project's
//! server, blocks run as the sandbox's role under a statement timeout, outputs written back to
//! Storage, the sandbox gone afterwards whatever happened; and each SQL transformation refuses
//! a project on the other backend.

mod served;

use serde_json::{json, Value};
use served::*;
use stackport_client::{Client, ExportParams};
use stackport_model::api::{Job, JobStatus, NewConfiguration, NewJob, RawJson, Runner};
use stackport_model::ComponentId;

const PG: &str = "keboola.postgresql-transformation";
const SQLITE: &str = "keboola.sqlite-transformation";

fn component(id: &str) -> ComponentId {
    id.parse().unwrap()
}

/// Creates a transformation of `component` and runs it to its end.
async fn run(
    client: &Client,
    component_id: &str,
    input: Value,
    output: Value,
    script: &[&str],
) -> Job {
    let doc = json!({
        "storage": {"input": {"tables": input}, "output": {"tables": output}},
        "parameters": {"blocks": [{"name": "Main", "codes": [{"name": "main", "script": script}]}]}
    });
    let config = client
        .create_config(
            &component(component_id),
            &NewConfiguration {
                name: "t".into(),
                configuration: Some(RawJson::from_string(doc.to_string()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    start(client, component_id, &config.id.to_string()).await
}

/// Runs a transformation of one statement with `parameters` besides its blocks.
async fn run_with(client: &Client, mut parameters: Value, statement: &str) -> Job {
    parameters["blocks"] =
        json!([{"name": "Main", "codes": [{"name": "main", "script": [statement]}]}]);
    let doc = json!({"storage": {}, "parameters": parameters});
    let config = client
        .create_config(
            &component(PG),
            &NewConfiguration {
                name: "t".into(),
                configuration: Some(RawJson::from_string(doc.to_string()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    start(client, PG, &config.id.to_string()).await
}

async fn start(client: &Client, component_id: &str, config: &str) -> Job {
    let job = client
        .create_job(&NewJob {
            component: component(component_id),
            config: config.into(),
            config_row_ids: vec![],
            mode: Default::default(),
        })
        .await
        .unwrap();
    client.wait_for_job(job.id, WAIT).await.unwrap()
}

fn message(job: &Job) -> String {
    job.result
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

async fn sandboxes_of(app: &App) -> Vec<String> {
    let url = app.db_url.clone();
    blocking(move || sandboxes(&url)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transformation_reads_its_input_and_writes_its_output() {
    let app = spawn(|_| {}).await;
    let (_, client) = app.project("postgresql").await;
    table_with(&client, "orders", &[("1", "10"), ("2", "5"), ("3", "7")]).await;
    let job = run(
        &client,
        PG,
        json!([{"source": "in.c-main.orders", "destination": "orders"}]),
        json!([{"source": "big", "destination": "out.c-report.big", "primary_key": ["id"]}]),
        &["CREATE TABLE big AS SELECT id, (v::int * 2)::text AS doubled FROM orders WHERE v::int > 6"],
    )
    .await;
    assert_eq!(job.status, JobStatus::Success, "{:?}", job.result);
    let csv = client
        .export_table(
            &"out.c-report.big".parse().unwrap(),
            &ExportParams::default(),
        )
        .await
        .unwrap();
    let mut lines: Vec<&str> = std::str::from_utf8(&csv).unwrap().lines().collect();
    lines[1..].sort();
    assert_eq!(
        lines,
        ["\"id\",\"doubled\"", "\"1\",\"20\"", "\"3\",\"14\""]
    );
    assert_eq!(
        sandboxes_of(&app).await,
        Vec::<String>::new(),
        "dropped after success"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_past_the_timeout_fails_the_job_naming_it() {
    let app = spawn(|_| {}).await;
    let (_, client) = app.project("postgresql").await;
    // The configuration's own statement timeout, below the job's time limit.
    let job = run_with(
        &client,
        json!({"statementTimeoutSeconds": 1}),
        "SELECT pg_sleep(600)",
    )
    .await;
    assert_eq!(job.status, JobStatus::Error);
    let m = message(&job);
    assert!(
        m.contains("statement timeout of 1 s") && m.contains("parameters.statementTimeoutSeconds"),
        "{m}"
    );
    assert_eq!(
        sandboxes_of(&app).await,
        Vec::<String>::new(),
        "dropped after failure"
    );

    // A script that lifts its timeout is still stopped at the job's time limit.
    let mut components = app.manage.manage_components().await.unwrap();
    for c in &mut components {
        if c.id.as_str() == PG {
            c.runner = Some(Runner::Sql {
                timeout_seconds: Some(1),
                backend: Some("postgresql".into()),
            });
        }
    }
    app.manage.replace_components(&components).await.unwrap();
    let job = run_with(
        &client,
        json!({}),
        "SET statement_timeout = 0; SELECT pg_sleep(600)",
    )
    .await;
    assert_ne!(job.status, JobStatus::Success);
    let m = message(&job);
    assert!(m.contains("time limit of 1 s"), "{m}");
    assert_eq!(sandboxes_of(&app).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_cannot_take_the_stack_s_rights_back() {
    let app = spawn(|_| {}).await;
    let (project, client) = app.project("postgresql").await;
    table_with(&client, "orders", &[("1", "10")]).await;
    let script = format!(
        "RESET ROLE; CREATE TABLE stolen AS SELECT * FROM p{}._stackport_stats",
        project.0
    );
    let job = run(
        &client,
        PG,
        json!([]),
        json!([{"source": "stolen", "destination": "out.c-x.stolen"}]),
        &[&script],
    )
    .await;
    assert_eq!(job.status, JobStatus::Error);
    let m = message(&job);
    assert!(m.contains("permission denied"), "{m}");
    assert_eq!(sandboxes_of(&app).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn each_sql_transformation_refuses_the_other_backend_s_projects() {
    let app = spawn(|_| {}).await;
    let (_, on_pg) = app.project("postgresql").await;
    let job = run(&on_pg, SQLITE, json!([]), json!([]), &["SELECT 1"]).await;
    assert_eq!(job.status, JobStatus::Error);
    let m = message(&job);
    assert!(m.contains("backend is postgresql") && m.contains(PG), "{m}");

    let (_, on_sqlite) = app.project("sqlite").await;
    let job = run(&on_sqlite, PG, json!([]), json!([]), &["SELECT 1"]).await;
    assert_eq!(job.status, JobStatus::Error);
    let m = message(&job);
    assert!(m.contains("backend is sqlite") && m.contains(SQLITE), "{m}");
}

#[test]
fn a_sandbox_a_crash_left_is_dropped_at_the_next_start() {
    let dir = stackport_testkit::TempDir::new("pg-sweep");
    let db_url = stackport_testkit::postgres::Cluster::shared().fresh_database("sweep");
    let stack = open_stack(&dir, &db_url, |_| {});
    stack
        .create_project(&stackport_model::api::NewProject {
            name: "p".into(),
            backend: Some("postgresql".into()),
        })
        .unwrap();
    drop(stack);
    let mut su = superuser(&db_url);
    let role = format!("{}job_99", sandbox_prefix(&mut su));
    su.batch_execute(&format!(
        "CREATE ROLE \"{role}\" LOGIN; CREATE SCHEMA _sandbox_job_99 AUTHORIZATION \"{role}\";
         CREATE TABLE _sandbox_job_99.t AS SELECT 1 AS x; ALTER TABLE _sandbox_job_99.t OWNER TO \"{role}\""
    ))
    .unwrap();
    assert_eq!(sandboxes(&db_url), ["_sandbox_job_99".to_string(), role]);
    drop(open_stack(&dir, &db_url, |_| {}));
    assert_eq!(sandboxes(&db_url), Vec::<String>::new());
}
