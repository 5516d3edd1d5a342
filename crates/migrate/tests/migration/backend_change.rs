//! `--allow-backend-change`: a SQLite project into a PostgreSQL project and back, between two
//! real stacks over HTTP (PostgreSQL projects on the test process's cluster). Refused by
//! default with nothing written; allowed, the rows move and compare equal by fingerprint, the
//! other dialect's SQL transformations are restored disabled and put on the checklist, typed
//! columns PostgreSQL may store differently are listed, and an interrupted run resumes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::json;
use stackport_client::{Client, ImportParams};
use stackport_demo::{
    eu_central_settings, us_east_settings, EmbeddedStack, EU_CENTRAL_MANAGE_TOKEN,
    US_EAST_MANAGE_TOKEN,
};
use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_migrate::{
    plan, plan_with, restore, run, verify, Endpoint, Event, Finding, Phase, Plan, PlanOptions,
    Progress, RestoreOptions, RunOptions, Severity,
};
use stackport_model::api::{
    BaseType, ColumnDefinition, NewBucket, NewConfiguration, NewProject, NewTable, RawJson,
    TableDefinition,
};
use stackport_model::{ComponentId, Stage};
use stackport_testkit::stack::Backend;

use crate::fingerprint::fingerprint;
use crate::world::*;

const SQLITE_SQL: &str = "keboola.sqlite-transformation";
const POSTGRESQL_SQL: &str = "keboola.postgresql-transformation";

/// Two stacks on loopback, each making its projects on the backend given, with a project on
/// each: the source filled by [`fill`], the destination empty.
struct Pair {
    dir: TempDir,
    src: EmbeddedStack,
    dst: EmbeddedStack,
    src_token: String,
    dst_token: String,
}

impl Pair {
    async fn new(label: &str, from: Backend, to: Backend) -> Pair {
        let dir = TempDir::new(label);
        // Registering a PostgreSQL server makes a database on the cluster: blocking work.
        let (src_settings, dst_settings) = tokio::task::spawn_blocking(move || {
            let mut src = eu_central_settings("127.0.0.1:0");
            from.apply(&mut src);
            let mut dst = us_east_settings("127.0.0.1:0");
            to.apply(&mut dst);
            (src, dst)
        })
        .await
        .unwrap();
        let (mut src_settings, mut dst_settings) = (src_settings, dst_settings);
        let src = EmbeddedStack::start(
            &dir.path().join("src"),
            move |listen| {
                src_settings.url = format!("http://{listen}");
                src_settings
            },
            EU_CENTRAL_MANAGE_TOKEN,
        )
        .await
        .unwrap();
        let dst = EmbeddedStack::start(
            &dir.path().join("dst"),
            move |listen| {
                dst_settings.url = format!("http://{listen}");
                dst_settings
            },
            US_EAST_MANAGE_TOKEN,
        )
        .await
        .unwrap();
        // Both registries know both dialects, as a stack offering both backends would.
        for stack in [&src, &dst] {
            offer_postgresql_transformations(&stack.manage_client()).await;
        }
        let src_token = project(&src, from, "Shop").await;
        let dst_token = project(&dst, to, "Shop (new)").await;
        fill(&src.storage_client(&src_token), from).await;
        Pair {
            dir,
            src,
            dst,
            src_token,
            dst_token,
        }
    }

    fn source(&self) -> Endpoint {
        Endpoint::new(&self.src.url, &self.src_token)
    }

    fn dest(&self) -> Endpoint {
        Endpoint::new(&self.dst.url, &self.dst_token)
    }

    fn source_client(&self) -> Client {
        self.src.storage_client(&self.src_token)
    }

    fn dest_client(&self) -> Client {
        self.dst.storage_client(&self.dst_token)
    }

    fn work(&self) -> std::path::PathBuf {
        self.dir.path().join("work")
    }

    async fn stop(self) {
        self.src.stop().await.unwrap();
        self.dst.stop().await.unwrap();
    }
}

/// Adds `keboola.postgresql-transformation` to a registry that does not have it yet (a copy of
/// the SQLite one under the other id), so PostgreSQL transformation configurations can exist.
async fn offer_postgresql_transformations(manage: &Client) {
    let mut components = manage.manage_components().await.unwrap();
    if components.iter().any(|c| c.id.as_str() == POSTGRESQL_SQL) {
        return;
    }
    let mut pg = components
        .iter()
        .find(|c| c.id.as_str() == SQLITE_SQL)
        .expect("the default registry has SQLite transformations")
        .clone();
    pg.id = POSTGRESQL_SQL.parse().unwrap();
    pg.name = "PostgreSQL SQL".into();
    pg.description = "SQL over Storage tables in a PostgreSQL schema".into();
    components.push(pg);
    manage.replace_components(&components).await.unwrap();
}

async fn project(stack: &EmbeddedStack, backend: Backend, name: &str) -> String {
    let created = stack
        .manage_client()
        .create_project(&NewProject {
            name: name.into(),
            backend: Some(backend.name().to_string()),
        })
        .await
        .unwrap();
    assert_eq!(created.project.backend, backend.name().to_string());
    created.token
}

fn definition_column(name: &str, basetype: BaseType, length: Option<&str>) -> ColumnDefinition {
    ColumnDefinition {
        name: name.parse().unwrap(),
        basetype,
        nullable: name != "id",
        length: length.map(str::to_string),
    }
}

fn sql(input: &str, output: &str, script: &str) -> RawJson {
    RawJson::from(&json!({
        "storage": {
            "input": {"tables": [{"source": input, "destination": "orders"}]},
            "output": {"tables": [{"source": "result", "destination": output}]}
        },
        "parameters": {"blocks": [{"name": "main", "codes": [{"name": "c", "script": [script]}]}]}
    }))
}

/// A bucket, a plain table with awkward values, a typed table of every type, an extractor, and
/// two SQL transformations of the source's dialect (one disabled already).
async fn fill(client: &Client, backend: Backend) {
    let bucket = client
        .create_bucket(&NewBucket {
            name: "shop".into(),
            stage: Stage::In,
            display_name: None,
            description: None,
            backend: None,
        })
        .await
        .unwrap()
        .id;
    let orders = client
        .create_table(
            &bucket,
            &NewTable {
                name: "orders".into(),
                columns: vec![
                    "id".parse().unwrap(),
                    "customer".parse().unwrap(),
                    "note".parse().unwrap(),
                ],
                primary_key: vec!["id".parse().unwrap()],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let long = "x".repeat(100_000);
    let csv = format!(
        "id,customer,note\n1,\"Acme, Inc.\",\"line one\nline two\"\n2,Žluťoučký kůň,\"say \"\"hi\"\"\"\n3,,{long}\n4,  spaced  ,007\n"
    );
    client
        .import_table(&orders, &ImportParams::default(), csv.into_bytes())
        .await
        .unwrap();
    // Values in the one form PostgreSQL's native types take, so the restore into PostgreSQL
    // loads them; the columns are listed either way.
    let typed = client
        .create_table(
            &bucket,
            &NewTable {
                name: "typed".into(),
                definition: Some(TableDefinition {
                    columns: vec![
                        definition_column("id", BaseType::Integer, None),
                        definition_column("amount", BaseType::Numeric, Some("12,2")),
                        definition_column("ratio", BaseType::Float, None),
                        definition_column("ok", BaseType::Boolean, None),
                        definition_column("at", BaseType::Timestamp, None),
                        definition_column("day", BaseType::Date, None),
                        definition_column("label", BaseType::String, Some("20")),
                    ],
                    primary_keys_names: vec!["id".parse().unwrap()],
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    client
        .import_table(
            &typed,
            &ImportParams::default(),
            "id,amount,ratio,ok,at,day,label\n1,12.50,0.25,true,,2026-03-01,first\n2,,,,,,\n"
                .as_bytes()
                .to_vec(),
        )
        .await
        .unwrap();
    let dialect: ComponentId = match backend {
        Backend::Sqlite => SQLITE_SQL,
        Backend::Postgresql => POSTGRESQL_SQL,
    }
    .parse()
    .unwrap();
    for (id, name, disabled) in [("revenue", "Revenue", false), ("old", "Old report", true)] {
        client
            .create_config(
                &dialect,
                &NewConfiguration {
                    name: name.into(),
                    configuration_id: Some(id.parse().unwrap()),
                    configuration: Some(sql(
                        "in.c-shop.orders",
                        &format!("out.c-reports.{id}"),
                        "CREATE TABLE \"result\" AS SELECT \"customer\", COUNT(*) AS \"n\" FROM \"orders\" GROUP BY 1",
                    )),
                    is_disabled: Some(disabled),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    client
        .create_config(
            &"keboola.ex-db-mysql".parse().unwrap(),
            &NewConfiguration {
                name: "Orders DB".into(),
                configuration_id: Some("orders-db".parse().unwrap()),
                configuration: Some(RawJson::from(
                    &json!({"parameters": {"db": {"host": "db.example.com", "user": "reader"}}}),
                )),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

fn options(work: &Path, allow_backend_change: bool) -> RunOptions {
    RunOptions {
        work_dir: work.to_path_buf(),
        snapshot: SnapshotOptions::default(),
        restore: RestoreOptions {
            allow_backend_change,
            ..Default::default()
        },
        run_transformations: false,
    }
}

fn with_code<'a>(plan: &'a Plan, code: &str) -> Vec<&'a Finding> {
    plan.findings.iter().filter(|f| f.code == code).collect()
}

fn objects(findings: &[&Finding]) -> Vec<String> {
    let mut o: Vec<String> = findings.iter().map(|f| f.object.clone()).collect();
    o.sort();
    o
}

/// The transformations of `component` as findings and the checklist name them.
fn transformations(component: &str) -> Vec<String> {
    vec![
        format!("configuration {component}/old (Old report)"),
        format!("configuration {component}/revenue (Revenue)"),
    ]
}

/// Without the flag: a blocking `backend.mismatch` that names the flag; `run` and `snapshot
/// restore` refuse and neither project changes.
async fn assert_refused_by_default(pair: &Pair, from: &str, to: &str) {
    let src_before = fingerprint(&pair.source_client()).await;
    let dst_before = fingerprint(&pair.dest_client()).await;
    let planned = plan(&pair.source(), &pair.dest()).await.unwrap();
    let mismatch = with_code(&planned, "backend.mismatch");
    assert_eq!(mismatch.len(), 1, "{:#?}", planned.findings);
    assert_eq!(mismatch[0].severity, Severity::Blocking);
    assert_eq!(
        mismatch[0].object,
        format!("project backends: {from} → {to}")
    );
    assert!(
        mismatch[0].action.contains("--allow-backend-change"),
        "the refusal names the flag: {}",
        mismatch[0].action
    );
    assert!(with_code(&planned, "backend.transformationRewrite").is_empty());

    let work = pair.work();
    let outcome = run(
        &pair.source(),
        &pair.dest(),
        &options(&work, false),
        quiet(),
    )
    .await
    .unwrap();
    assert!(outcome.report.is_none(), "the run refuses");
    assert!(
        !work.exists() || std::fs::read_dir(&work).unwrap().next().is_none(),
        "a refused run writes nothing into its work dir"
    );

    // A snapshot restored without the flag is refused before its first write.
    let snap_dir = pair.dir.path().join("snapshot");
    snapshot::create(
        &pair.source(),
        &snap_dir,
        &SnapshotOptions::default(),
        quiet(),
    )
    .await
    .unwrap();
    let snap = snapshot::open(&snap_dir).unwrap();
    let refused = restore(&snap, &pair.dest(), &RestoreOptions::default(), quiet())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("nothing was written") && refused.contains("--allow-backend-change"),
        "{refused}"
    );
    std::fs::remove_dir_all(&snap_dir).unwrap();

    assert_eq!(
        dst_before,
        fingerprint(&pair.dest_client()).await,
        "the destination changed"
    );
    assert_eq!(
        src_before,
        fingerprint(&pair.source_client()).await,
        "the source changed"
    );
}

/// The destination's configuration as the API shows it.
async fn is_disabled(client: &Client, component: &str, id: &str) -> bool {
    client
        .get_config(&component.parse().unwrap(), &id.parse().unwrap())
        .await
        .unwrap()
        .is_disabled
}

/// After a migration with the flag: the rows match, the other dialect's transformations are
/// disabled on the destination only, and the report and checklist name each item.
async fn assert_migrated(
    pair: &Pair,
    report: &stackport_migrate::Report,
    component: &str,
    to: &str,
) {
    let v = report.verification.as_ref().expect("the run verifies");
    assert!(v.matches(), "{:#?}", v.differences);
    assert_eq!(v.tables, 2);
    assert_eq!(v.rows, 6);
    assert_eq!(
        v.disabled_for_rewrite,
        vec![format!("configuration {component}/revenue (Revenue)")]
    );
    // Compared again on its own, as `migrate verify` does.
    let again = verify(&pair.source(), &pair.dest(), Some(&pair.work()))
        .await
        .unwrap();
    assert!(again.matches(), "{:#?}", again.differences);
    assert_eq!(again.disabled_for_rewrite, v.disabled_for_rewrite);

    let dst = pair.dest_client();
    assert_eq!(dst.verify_token().await.unwrap().owner.backend, to);
    assert!(is_disabled(&dst, component, "revenue").await);
    assert!(is_disabled(&dst, component, "old").await);
    assert!(!is_disabled(&dst, "keboola.ex-db-mysql", "orders-db").await);
    assert!(
        !is_disabled(&pair.source_client(), component, "revenue").await,
        "the source is as it was"
    );

    let rewrite_for = match to {
        "postgresql" => "rewrite for PostgreSQL",
        _ => "rewrite for SQLite",
    };
    let mut rewrite: Vec<_> = report
        .checklist
        .iter()
        .filter(|c| c.task == "rewriteTransformation")
        .collect();
    rewrite.sort_by(|a, b| a.object.cmp(&b.object));
    assert_eq!(
        rewrite.iter().map(|c| c.object.clone()).collect::<Vec<_>>(),
        transformations(component)
    );
    for c in &rewrite {
        assert!(c.action.starts_with(rewrite_for), "{}", c.action);
    }
    assert!(
        rewrite[0].action.contains("disabled on the source too"),
        "{}",
        rewrite[0].action
    );
    let markdown = std::fs::read_to_string(pair.work().join("report.md")).unwrap();
    for c in &report.checklist {
        assert!(markdown.contains(&c.object), "report.md lists {}", c.object);
    }
    let journal = std::fs::read_to_string(pair.work().join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"backendChangeAllowed\""), "{journal}");
    assert!(journal.contains("\"backendChanged\""), "{journal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_into_postgresql_is_refused_by_default_and_allowed_with_the_flag() {
    let pair = Pair::new("backend-sqlite-pg", Backend::Sqlite, Backend::Postgresql).await;
    assert_refused_by_default(&pair, "sqlite", "postgresql").await;

    let allowed = plan_with(
        &pair.source(),
        &pair.dest(),
        &PlanOptions {
            allow_backend_change: true,
        },
    )
    .await
    .unwrap();
    assert!(
        !allowed.is_blocked(),
        "{:#?}",
        allowed.blocking().collect::<Vec<_>>()
    );
    assert_eq!(
        with_code(&allowed, "backend.mismatch")[0].severity,
        Severity::Warning
    );
    assert_eq!(
        objects(&with_code(&allowed, "backend.transformationRewrite")),
        transformations(SQLITE_SQL)
    );
    let typed = [
        "column amount of table in.c-shop.typed (NUMERIC(12,2))",
        "column at of table in.c-shop.typed (TIMESTAMP)",
        "column day of table in.c-shop.typed (DATE)",
        "column id of table in.c-shop.typed (INTEGER)",
        "column ok of table in.c-shop.typed (BOOLEAN)",
        "column ratio of table in.c-shop.typed (FLOAT)",
    ];
    assert_eq!(objects(&with_code(&allowed, "backend.typedColumn")), typed);

    let outcome = run(
        &pair.source(),
        &pair.dest(),
        &options(&pair.work(), true),
        quiet(),
    )
    .await
    .unwrap();
    let report = outcome.report.expect("the migration ran");
    assert_migrated(&pair, &report, SQLITE_SQL, "postgresql").await;
    let mut checked: Vec<String> = report
        .checklist
        .iter()
        .filter(|c| c.task == "checkTypedColumn")
        .map(|c| c.object.clone())
        .collect();
    checked.sort();
    assert_eq!(checked, typed);
    let change = report.backend_change.as_ref().unwrap();
    assert_eq!(
        (change.from.as_str(), change.to.as_str()),
        ("sqlite", "postgresql")
    );
    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_into_sqlite_restores_postgresql_transformations_disabled() {
    let pair = Pair::new("backend-pg-sqlite", Backend::Postgresql, Backend::Sqlite).await;
    assert_refused_by_default(&pair, "postgresql", "sqlite").await;
    let outcome = run(
        &pair.source(),
        &pair.dest(),
        &options(&pair.work(), true),
        quiet(),
    )
    .await
    .unwrap();
    assert!(!outcome.plan.is_blocked());
    assert_eq!(
        objects(&with_code(&outcome.plan, "backend.transformationRewrite")),
        transformations(POSTGRESQL_SQL)
    );
    // SQLite keeps every value as it was given: no typed column changes on the way there.
    assert!(with_code(&outcome.plan, "backend.typedColumn").is_empty());
    let report = outcome.report.expect("the migration ran");
    assert_migrated(&pair, &report, POSTGRESQL_SQL, "sqlite").await;
    assert!(!report
        .checklist
        .iter()
        .any(|c| c.task == "checkTypedColumn"));
    pair.stop().await;
}

/// Stops the run, as a crash would, once the first configuration has been restored.
struct StopAtFirstConfiguration(AtomicBool);

impl Progress for StopAtFirstConfiguration {
    fn event(&self, event: Event) {
        if let Event::ItemDone {
            phase: Phase::Restore,
            object,
        } = &event
        {
            if object.starts_with("configuration ") && !self.0.swap(true, Ordering::SeqCst) {
                panic!("interrupting the migration on purpose after {object}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_backend_change_resumes_with_the_flag() {
    let pair = Pair::new("backend-resume", Backend::Sqlite, Backend::Postgresql).await;
    let work = pair.work();
    let (source, dest) = (pair.source(), pair.dest());
    // Stopped inside the restore, its futures dropped mid-request, as a killed process's are.
    let interrupted = std::panic::AssertUnwindSafe(run(
        &source,
        &dest,
        &options(&work, true),
        Arc::new(StopAtFirstConfiguration(AtomicBool::new(false))),
    ))
    .catch_unwind()
    .await;
    assert!(interrupted.is_err(), "the run was interrupted");
    let restored = pair
        .dest_client()
        .list_components("", false)
        .await
        .unwrap()
        .iter()
        .map(|c| c.configurations.len())
        .sum::<usize>();
    assert!(
        restored >= 1,
        "the run stopped after a configuration: {restored}"
    );

    // Run again without the flag: still refused, and nothing more is written.
    let before = fingerprint(&pair.dest_client()).await;
    let refused = run(
        &pair.source(),
        &pair.dest(),
        &options(&work, false),
        quiet(),
    )
    .await
    .unwrap();
    assert!(refused.report.is_none());
    assert_eq!(
        with_code(&refused.plan, "backend.mismatch")[0].severity,
        Severity::Blocking
    );
    assert_eq!(before, fingerprint(&pair.dest_client()).await);

    // With it, the run goes on where it stopped.
    let resumed = run(&pair.source(), &pair.dest(), &options(&work, true), quiet())
        .await
        .unwrap();
    let report = resumed.report.expect("the migration ran");
    assert!(report.resumed, "the restore was resumed");
    assert_migrated(&pair, &report, SQLITE_SQL, "postgresql").await;
    pair.stop().await;
}
