//! Triggers as `kbcstorage.triggers` drives them: CRUD in the reference's shapes (the update a
//! form with `tableIds` repeated), refusals naming the field, and the behaviour: the
//! configuration's job is queued with the trigger's token once every watched table has been
//! imported into, not before, and no sooner than the cool-down after the last run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stackport_client::{Client, EventQuery, JobQuery};
use stackport_model::api::{Job, NewToken, NewTrigger, TriggerUpdate};
use stackport_model::{TableId, TokenId};
use stackport_stack::ManualClock;

use crate::helpers::*;
use crate::jobs::sql_transformation;

const SQL: &str = "keboola.sqlite-transformation";
const DEADLINE: Duration = Duration::from_secs(60);

/// Two tables and a transformation that succeeds without reading them.
async fn project(client: &Client) -> (TableId, TableId, String) {
    let a = bucket_with_table(client, "src", "a", &["n"], &[]).await;
    let b = create_table(client, &bucket_id("in.c-src"), "b", &["n"], &[])
        .await
        .id;
    let config = sql_transformation(client, "noop", json!([]), json!([]), &["SELECT 1;"]).await;
    (a, b, config)
}

/// A token of the project that may run everything, for the trigger to run with.
async fn run_token(client: &Client) -> TokenId {
    client
        .create_token(&NewToken {
            description: "trigger runner".into(),
            can_manage_buckets: true,
            ..Default::default()
        })
        .await
        .expect("the token is created")
        .id
}

fn new_trigger(token: TokenId, config: &str, tables: &[&TableId]) -> NewTrigger {
    NewTrigger {
        run_with_token_id: token,
        component: SQL.parse().unwrap(),
        configuration_id: config.parse().unwrap(),
        cool_down_period_minutes: 5,
        table_ids: tables.iter().map(|t| (*t).clone()).collect(),
        is_active: None,
    }
}

async fn triggered_jobs(client: &Client, config: &str) -> Vec<Job> {
    client
        .list_jobs(&JobQuery {
            config: Some(config.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.triggered_by == "trigger")
        .collect()
}

async fn wait_for_jobs(client: &Client, config: &str, n: usize) -> Vec<Job> {
    let start = Instant::now();
    loop {
        let jobs = triggered_jobs(client, config).await;
        if jobs.len() >= n {
            return jobs;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{n} triggered job(s) expected, {} seen",
            jobs.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn raw(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token)
}

#[tokio::test]
async fn triggers_are_created_read_changed_and_deleted_in_the_reference_shape() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("Triggers").await;
    let (a, b, config) = project(&client).await;
    let token = run_token(&client).await;
    let me = client.verify_token().await.unwrap().token;

    // As kbcstorage's create sends it: JSON.
    let response = raw(
        &app,
        &created.token,
        reqwest::Method::POST,
        "/v2/storage/triggers",
    )
    .json(&json!({
        "runWithTokenId": token.0,
        "component": SQL,
        "configurationId": config,
        "coolDownPeriodMinutes": 5,
        "tableIds": [a.to_string()],
    }))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().expect("the id is a string").to_string();
    assert_eq!(body["runWithTokenId"], json!(token.0));
    assert_eq!(body["component"], json!(SQL));
    assert_eq!(body["configurationId"], json!(config));
    assert_eq!(body["lastRun"], Value::Null);
    assert_eq!(body["coolDownPeriodMinutes"], json!(5));
    assert_eq!(
        body["creatorToken"],
        json!({"id": me.id.0, "description": me.description})
    );
    assert_eq!(body["tables"], json!([{"tableId": a.to_string()}]));
    assert_eq!(body["isActive"], json!(true));

    let path = format!("/v2/storage/triggers/{id}");
    let detail: Value = raw(&app, &created.token, reqwest::Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail, body);
    let listed = client.list_triggers().await.unwrap();
    assert_eq!(listed.len(), 1);
    for (query, n) in [
        (format!("component={SQL}"), 1),
        ("component=keboola.ex-db-mysql".to_string(), 0),
        (format!("configurationId={config}"), 1),
        ("configurationId=other".to_string(), 0),
    ] {
        let list: Vec<Value> = raw(
            &app,
            &created.token,
            reqwest::Method::GET,
            &format!("/v2/storage/triggers?{query}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(list.len(), n, "{query}");
    }
    let unknown = raw(
        &app,
        &created.token,
        reqwest::Method::GET,
        "/v2/storage/triggers?tableId=x",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400, "an unknown filter is refused");

    // As kbcstorage's update sends it: a form, the list as `tableIds` repeated.
    let response = raw(&app, &created.token, reqwest::Method::PUT, &path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "coolDownPeriodMinutes=10&tableIds={b}&tableIds={a}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["coolDownPeriodMinutes"], json!(10));
    assert_eq!(
        changed["tables"],
        json!([{"tableId": b.to_string()}, {"tableId": a.to_string()}])
    );
    assert_eq!(
        changed["runWithTokenId"],
        json!(token.0),
        "left out, it stays"
    );

    let response = raw(&app, &created.token, reqwest::Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let id = id.parse().unwrap();
    expect_error(
        client.get_trigger(id).await,
        404,
        "storage.triggers.notFound",
    );
    expect_error(
        client.delete_trigger(id).await,
        404,
        "storage.triggers.notFound",
    );
    let response = raw(
        &app,
        &created.token,
        reqwest::Method::GET,
        "/v2/storage/triggers/abc",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 404);

    // Another project does not see it.
    let other = app.new_project("Other").await;
    let (_, _, other_config) = project(&other).await;
    let other_token = run_token(&other).await;
    let t = other
        .create_trigger(&new_trigger(other_token, &other_config, &[&a]))
        .await
        .unwrap();
    expect_error(
        client.get_trigger(t.id).await,
        404,
        "storage.triggers.notFound",
    );
}

#[tokio::test]
async fn bad_triggers_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("Triggers").await;
    let (a, _, config) = project(&client).await;
    let token = run_token(&client).await;
    let good = new_trigger(token, &config, &[&a]);

    let cases: Vec<(NewTrigger, &str, &str)> = vec![
        (
            NewTrigger {
                cool_down_period_minutes: 0,
                ..good.clone()
            },
            "storage.triggers.invalidCoolDown",
            "coolDownPeriodMinutes",
        ),
        (
            NewTrigger {
                table_ids: vec![],
                ..good.clone()
            },
            "storage.triggers.invalidTables",
            "tableIds",
        ),
        (
            NewTrigger {
                table_ids: vec![table_id("in.c-src.missing")],
                ..good.clone()
            },
            "storage.triggers.invalidTables",
            "in.c-src.missing",
        ),
        (
            NewTrigger {
                table_ids: vec![a.clone(), a.clone()],
                ..good.clone()
            },
            "storage.triggers.invalidTables",
            "twice",
        ),
        (
            NewTrigger {
                run_with_token_id: TokenId(999_999),
                ..good.clone()
            },
            "storage.triggers.invalidRunWithToken",
            "runWithTokenId",
        ),
        (
            NewTrigger {
                configuration_id: "missing".parse().unwrap(),
                ..good.clone()
            },
            "storage.triggers.invalidConfiguration",
            "missing",
        ),
        (
            NewTrigger {
                component: "keboola.no-such-component".parse().unwrap(),
                ..good.clone()
            },
            "storage.triggers.invalidConfiguration",
            "keboola.no-such-component",
        ),
    ];
    for (body, code, named) in cases {
        let e = expect_error(client.create_trigger(&body).await, 400, code);
        assert!(e.error.contains(named), "{named}: {}", e.error);
    }
    // A token of another project is not a token of this one.
    let other = app.new_project("Other").await;
    let foreign = run_token(&other).await;
    expect_error(
        client
            .create_trigger(&NewTrigger {
                run_with_token_id: foreign,
                ..good.clone()
            })
            .await,
        400,
        "storage.triggers.invalidRunWithToken",
    );
    let unknown = raw(
        &app,
        &created.token,
        reqwest::Method::POST,
        "/v2/storage/triggers",
    )
    .json(&json!({
        "runWithTokenId": token.0, "component": SQL, "configurationId": config,
        "coolDownPeriodMinutes": 5, "tableIds": [a.to_string()], "tablesIds": []
    }))
    .send()
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(
        client.list_triggers().await.unwrap().is_empty(),
        "nothing was stored"
    );

    // An update is checked the same way and changes nothing when refused.
    let t = client.create_trigger(&good).await.unwrap();
    let e = expect_error(
        client
            .update_trigger(
                t.id,
                &TriggerUpdate {
                    cool_down_period_minutes: Some(0),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.triggers.invalidCoolDown",
    );
    assert!(e.error.contains("coolDownPeriodMinutes"), "{}", e.error);
    expect_error(
        client
            .update_trigger(
                t.id,
                &TriggerUpdate {
                    run_with_token_id: Some(TokenId(999_999)),
                    table_ids: Some(vec![]),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.triggers.invalidRunWithToken",
    );
    assert_eq!(client.get_trigger(t.id).await.unwrap(), t);
}

both_backends!(a_trigger_fires_when_all_its_tables_changed_and_not_within_its_cool_down);
async fn a_trigger_fires_when_all_its_tables_changed_and_not_within_its_cool_down(
    backend: Backend,
) {
    let clock = Arc::new(ManualClock::at(1_900_000_000_000_000));
    let app = spawn_app_with_clock_on(backend, clock.clone()).await;
    let client = app.new_project("Triggers").await;
    let (a, b, config) = project(&client).await;
    let token = run_token(&client).await;
    let csv = canonical(&["n"], &[&["1"]]);
    let t = client
        .create_trigger(&new_trigger(token, &config, &[&a, &b]))
        .await
        .unwrap();

    import_csv(&client, &a, &csv).await;
    import_csv(&client, &a, &csv).await;
    assert!(
        triggered_jobs(&client, &config).await.is_empty(),
        "one table of two changed"
    );
    import_csv(&client, &b, &csv).await;
    let jobs = wait_for_jobs(&client, &config, 1).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].token.id, token, "it runs with the trigger's token");
    assert_eq!(jobs[0].component.as_str(), SQL);
    let fired = client.get_trigger(t.id).await.unwrap();
    assert_eq!(
        fired.last_run.map(|l| l.timestamp_micros()),
        Some(1_900_000_000_000_000)
    );

    // Both changed again within the cool-down: nothing until it has passed, then once.
    import_csv(&client, &b, &csv).await;
    import_csv(&client, &a, &csv).await;
    clock.set(1_900_000_000_000_000 + 4 * 60_000_000);
    import_csv(&client, &a, &csv).await;
    assert_eq!(
        triggered_jobs(&client, &config).await.len(),
        1,
        "cooling down"
    );
    clock.set(1_900_000_000_000_000 + 5 * 60_000_000);
    let jobs = wait_for_jobs(&client, &config, 2).await;
    assert_eq!(jobs.len(), 2);

    // Switched off, it marks nothing.
    client
        .update_trigger(
            t.id,
            &TriggerUpdate {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    clock.set(1_900_000_000_000_000 + 60 * 60_000_000);
    import_csv(&client, &a, &csv).await;
    import_csv(&client, &b, &csv).await;
    assert_eq!(triggered_jobs(&client, &config).await.len(), 2, "inactive");
    for job in jobs {
        client.wait_for_job(job.id, DEADLINE).await.unwrap();
    }
}

both_backends!(a_trigger_whose_token_or_table_is_gone_tells_it);
async fn a_trigger_whose_token_or_table_is_gone_tells_it(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("Triggers").await;
    let (a, b, config) = project(&client).await;
    let token = run_token(&client).await;
    let csv = canonical(&["n"], &[&["1"]]);
    let t = client
        .create_trigger(&new_trigger(token, &config, &[&a, &b]))
        .await
        .unwrap();

    // A deleted table leaves the trigger; the rest still fires it.
    client.delete_table(&b).await.unwrap();
    let left = client.get_trigger(t.id).await.unwrap();
    assert_eq!(left.tables.len(), 1);
    assert_eq!(left.tables[0].table_id, a);

    // A deleted token: the trigger cannot run, and an error event says why.
    client.delete_token(token).await.unwrap();
    import_csv(&client, &a, &csv).await;
    let events = client
        .list_events(&EventQuery {
            object_type: Some("trigger".into()),
            object_id: Some(t.id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    let failed = events
        .iter()
        .find(|e| e.event == "storage.triggerFailed")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(
        failed.message.contains("runWithTokenId"),
        "{}",
        failed.message
    );
    assert!(triggered_jobs(&client, &config).await.is_empty());
}

both_backends!(a_trigger_cooling_down_across_a_restart_fires_once_after_it);
async fn a_trigger_cooling_down_across_a_restart_fires_once_after_it(backend: Backend) {
    let clock = Arc::new(ManualClock::at(1_900_000_000_000_000));
    let mut app = spawn_app_with_clock_on(backend, clock.clone()).await;
    let (created, client) = app.new_project_full("Triggers").await;
    let (a, b, config) = project(&client).await;
    let token = run_token(&client).await;
    let csv = canonical(&["n"], &[&["1"]]);
    client
        .create_trigger(&new_trigger(token, &config, &[&a, &b]))
        .await
        .unwrap();
    import_csv(&client, &a, &csv).await;
    import_csv(&client, &b, &csv).await;
    wait_for_jobs(&client, &config, 1).await;
    // Changed again within the cool-down; the stack stops before it passes.
    import_csv(&client, &a, &csv).await;
    import_csv(&client, &b, &csv).await;
    app.stop().await;
    clock.set(1_900_000_000_000_000 + 6 * 60_000_000);
    app.start().await;
    let client = app.client(&created.token);
    wait_for_jobs(&client, &config, 2).await;
    let t = &client.list_triggers().await.unwrap()[0];
    assert_eq!(
        t.last_run.map(|l| l.timestamp_micros()),
        Some(1_900_000_000_000_000 + 6 * 60_000_000),
        "it ran at the first tick after the restart"
    );
}

#[tokio::test]
async fn a_trigger_runs_with_another_token_only_when_its_creator_may_manage_tokens() {
    let app = spawn_app().await;
    let (_, master) = app.new_project_full("Triggers").await;
    let (a, _, config) = project(&master).await;
    let master_id = master.verify_token().await.unwrap().token.id;
    let loader = master
        .create_token(&NewToken {
            description: "loader".into(),
            can_manage_buckets: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let client = app.client(loader.token.as_deref().unwrap());

    // Naming the master token would run the configuration with the master's rights.
    let e = expect_error(
        client
            .create_trigger(&new_trigger(master_id, &config, &[&a]))
            .await,
        403,
        "storage.triggers.invalidRunWithToken",
    );
    assert!(e.error.contains("runWithTokenId"), "{}", e.error);
    assert!(client.list_triggers().await.unwrap().is_empty());

    // Its own token it may name; it may not switch the trigger to the master's afterwards.
    let own = client
        .create_trigger(&new_trigger(loader.id, &config, &[&a]))
        .await
        .expect("a trigger that runs with the creator's own token");
    expect_error(
        client
            .update_trigger(
                own.id,
                &TriggerUpdate {
                    run_with_token_id: Some(master_id),
                    ..Default::default()
                },
            )
            .await,
        403,
        "storage.triggers.invalidRunWithToken",
    );
    // The master token may name any token of the project.
    master
        .create_trigger(&new_trigger(loader.id, &config, &[&a]))
        .await
        .expect("a master token names another token");
}
