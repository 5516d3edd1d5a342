//! `workspaces.load_tables` and `load-clone` as kbcstorage sends them: the rows stream into the
//! workspace's SQLite database, `preserve=false` drops what was there, and bad input is
//! refused before anything is written.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::raw::{failed_job, form, load_form, post_done, post_ok, send, send_job, Body};

/// A project with `in.c-main.orders` (2 rows) and `in.c-main.people` (1 row), and a workspace.
async fn project_with_workspace(app: &TestApp) -> (String, u64, std::path::PathBuf) {
    let (created, client) = app.new_project_full("p").await;
    let orders = bucket_with_table(&client, "main", "orders", &["id", "amount"], &["id"]).await;
    import_csv(
        &client,
        &orders,
        "id,amount\n1,10\n2,\"a \"\"quoted\"\" 20\"\n",
    )
    .await;
    let b = bucket_id("in.c-main");
    let people = create_table(&client, &b, "people", &["name"], &[]).await.id;
    import_csv(&client, &people, "name\nAda\n").await;
    let ws = post_ok(
        app,
        &created.token,
        "/v2/storage/workspaces",
        form(&[("readOnlyStorageAccess", "false")]),
    )
    .await;
    let id = ws["id"].as_u64().expect("a workspace id");
    let path = app.dir.join(ws["connection"]["database"].as_str().unwrap());
    (created.token, id, path)
}

/// The workspace's tables (not its marker) with their rows, sorted.
fn tables_of(path: &std::path::Path) -> Vec<(String, Vec<Vec<String>>)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names.retain(|n| !n.starts_with("_stackport"));
    names
        .into_iter()
        .map(|name| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY 1"))
                .unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| (0..n).map(|i| r.get::<_, String>(i)).collect())
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            (name, rows)
        })
        .collect()
}

fn row(values: &[&str]) -> Vec<String> {
    strings(values)
}

both_backends!(kbcstorage_loads_land_in_the_workspace_and_preserve_false_drops_the_rest);
async fn kbcstorage_loads_land_in_the_workspace_and_preserve_false_drops_the_rest(
    backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let (token, id, path) = project_with_workspace(&app).await;
    let load = format!("/v2/storage/workspaces/{id}/load");

    // The dict form: input[0][source], input[0][destination], preserve=true.
    let answer = post_done(
        &app,
        &token,
        &load,
        load_form(&[("in.c-main.orders", "orders")], true),
    )
    .await;
    assert_eq!(answer["status"], "success");
    assert_eq!(answer["operationName"], "workspaceLoad");
    assert_eq!(
        answer["results"]["tables"],
        json!([{"source": "in.c-main.orders", "destination": "orders", "rows": 2}])
    );
    // The list form, JSON, with columns: added beside what is there.
    post_done(
        &app,
        &token,
        &load,
        Body::Json(json!({
            "input": [{"source": "in.c-main.people", "destination": "people", "columns": ["name"]}],
            "preserve": "true",
        })),
    )
    .await;
    assert_eq!(
        tables_of(&path),
        vec![
            (
                "orders".to_string(),
                vec![row(&["1", "10"]), row(&["2", "a \"quoted\" 20"])]
            ),
            ("people".to_string(), vec![row(&["Ada"])]),
        ]
    );

    // preserve=false: only what this load brings is left; the marker table stays.
    post_done(
        &app,
        &token,
        &load,
        load_form(&[("in.c-main.people", "names")], false),
    )
    .await;
    assert_eq!(
        tables_of(&path),
        vec![("names".to_string(), vec![row(&["Ada"])])]
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let marker: u64 = conn
        .query_row("SELECT id FROM _stackport_workspace", [], |r| r.get(0))
        .unwrap();
    assert_eq!(marker, id);

    // load-clone copies whole tables the same way.
    let answer = post_done(
        &app,
        &token,
        &format!("/v2/storage/workspaces/{id}/load-clone"),
        Body::Json(json!({"input": [{"source": "in.c-main.orders", "destination": "orders"}]})),
    )
    .await;
    assert_eq!(answer["operationName"], "workspaceLoadClone");
    assert_eq!(tables_of(&path).len(), 2);
}

both_backends!(a_bad_load_is_refused_naming_what_is_wrong_and_writes_nothing);
async fn a_bad_load_is_refused_naming_what_is_wrong_and_writes_nothing(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (token, id, path) = project_with_workspace(&app).await;
    let load = format!("/v2/storage/workspaces/{id}/load");
    let cases: Vec<(Body, u16, &str)> = vec![
        (
            load_form(
                &[("in.c-main.orders", "ok"), ("in.c-main.missing", "m")],
                true,
            ),
            404,
            "in.c-main.missing",
        ),
        (
            load_form(
                &[
                    ("in.c-main.orders", "ok"),
                    ("in.c-main.people", "bad name!"),
                ],
                true,
            ),
            400,
            "input[1][destination]",
        ),
        (
            load_form(
                &[("in.c-main.orders", "x"), ("in.c-main.people", "X")],
                true,
            ),
            400,
            "earlier input",
        ),
        (
            load_form(&[("in.c-main.orders", "_stackport_workspace")], true),
            400,
            "keeps for itself",
        ),
        (
            load_form(&[("not a table", "t")], true),
            400,
            "input[0][source]",
        ),
        (form(&[("preserve", "false")]), 400, "input is empty"),
        (
            form(&[
                ("input[0][dataFileId]", "12"),
                ("input[0][destination]", "f"),
                ("preserve", "1"),
            ]),
            501,
            "file (ABS) workspace",
        ),
        (
            Body::Json(
                json!({"input": [{"source": "in.c-main.orders", "destination": "o", "rows": 1}]}),
            ),
            200,
            "",
        ),
    ];
    for (body, status, says) in cases {
        let (got, answer) = send_job(&app, &token, reqwest::Method::POST, &load, body).await;
        assert_eq!(got, status, "{answer}");
        if status != 200 {
            let message = answer["error"].as_str().unwrap();
            assert!(message.contains(says), "{message}");
        }
    }
    // Only the one good load wrote anything.
    assert_eq!(
        tables_of(&path),
        vec![("o".to_string(), vec![row(&["1", "10"])])]
    );

    // load-clone takes whole tables only; an unknown workspace is not found.
    let (status, answer) = send(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/v2/storage/workspaces/{id}/load-clone"),
        Body::Json(json!({"input": [{"source": "in.c-main.orders", "destination": "o", "columns": ["id"]}]})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer): (u16, Value) = send(
        &app,
        &token,
        reqwest::Method::POST,
        "/v2/storage/workspaces/999/load",
        load_form(&[("in.c-main.orders", "o")], true),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("workspaces.notFound"))
    );
}

both_backends!(what_the_workspaces_user_made_in_the_way_is_a_conflict_not_a_fault);
async fn what_the_workspaces_user_made_in_the_way_is_a_conflict_not_a_fault(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (token, id, path) = project_with_workspace(&app).await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE VIEW mine AS SELECT 1 AS one;
         CREATE TABLE strict_orders (id TEXT NOT NULL, amount TEXT CHECK (amount = 'never'));",
    )
    .unwrap();
    drop(conn);
    let load = format!("/v2/storage/workspaces/{id}/load");
    for body in [
        load_form(&[("in.c-main.orders", "mine")], true),
        Body::Json(
            json!({"input": [{"source": "in.c-main.orders", "destination": "strict_orders", "columns": ["id", "amount"], "incremental": true}]}),
        ),
    ] {
        // Found when the job writes: the job fails with the conflict.
        let (code, message) = failed_job(&app, &token, &load, body).await;
        assert_eq!(code, "workspaces.loadConflict", "{message}");
    }
    // The user's objects are as they were.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let one: i64 = conn
        .query_row("SELECT one FROM mine", [], |r| r.get(0))
        .unwrap();
    assert_eq!(one, 1);
}

both_backends!(a_load_past_the_workspace_quota_stops_and_leaves_the_workspace_as_it_was);
async fn a_load_past_the_workspace_quota_stops_and_leaves_the_workspace_as_it_was(
    backend: Backend,
) {
    let mut settings = stackport_stack::StackSettings::local_default("127.0.0.1:0");
    settings.quotas.workspace_bytes = 256 * 1024;
    let app = spawn_app_with_on(backend, settings).await;
    let (token, id, path) = project_with_workspace(&app).await;
    let client = app.client(&token);
    let big = create_table(&client, &bucket_id("in.c-main"), "big", &["v"], &[])
        .await
        .id;
    let row = "x".repeat(1000);
    let mut csv = String::from("v\n");
    for _ in 0..1000 {
        csv.push_str(&row);
        csv.push('\n');
    }
    import_csv(&client, &big, &csv).await;
    let load = format!("/v2/storage/workspaces/{id}/load");
    let (code, message) = failed_job(
        &app,
        &token,
        &load,
        load_form(
            &[("in.c-main.orders", "orders"), ("in.c-main.big", "big")],
            true,
        ),
    )
    .await;
    assert_eq!(code, "project.quotaExceeded", "{message}");
    assert!(tables_of(&path).is_empty(), "nothing of the load is kept");
    // What fits still loads.
    post_done(
        &app,
        &token,
        &load,
        load_form(&[("in.c-main.orders", "orders")], true),
    )
    .await;
}

both_backends!(a_workspace_whose_database_went_away_is_not_made_anew_by_a_load);
async fn a_workspace_whose_database_went_away_is_not_made_anew_by_a_load(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (token, id, path) = project_with_workspace(&app).await;
    // As when the workspace is deleted between the load's look-up and its write.
    std::fs::remove_file(&path).unwrap();
    let (code, message) = failed_job(
        &app,
        &token,
        &format!("/v2/storage/workspaces/{id}/load"),
        load_form(&[("in.c-main.orders", "orders")], true),
    )
    .await;
    assert_eq!(code, "workspaces.notFound", "{message}");
    assert!(!path.exists());
}
