//! Workspaces of a PostgreSQL project, over HTTP: `POST /v2/storage/workspaces` answers a real
//! database account, and a PostgreSQL client logging in with it reaches its own schema and
//! nothing else; loads copy rows into it; a new password replaces the old; delete (of the
//! workspace or of its project) drops the login.

mod served;

use served::*;
use stackport_model::api::{NewWorkspace, StorageJobStatus, WorkspaceLoadRequest};

/// The tables of the project's schema (`p<id>`) as the superuser sees them.
fn project_tables(db_url: &str, project: u64) -> Vec<String> {
    superuser(db_url)
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
            &[&format!("p{project}")],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_is_a_login_that_reaches_its_own_schema_only() {
    let app = spawn(|_| {}).await;
    let (project, client) = app.project("postgresql").await;
    let table = table_with(&client, "orders", &[("1", "a"), ("2", "b")]).await;
    let ws = client
        .create_workspace(&NewWorkspace::default())
        .await
        .unwrap();
    let other = client
        .create_workspace(&NewWorkspace::default())
        .await
        .unwrap();
    let c = ws.connection.clone();
    assert_eq!(c.backend, "postgresql");
    assert_eq!(c.schema, format!("workspace_{}", ws.id));
    let password = c
        .password
        .clone()
        .expect("the create answer shows the password");
    let listed = client.get_workspace(ws.id).await.unwrap();
    assert_eq!(listed.connection.password, None, "shown once");
    assert_eq!(listed.connection.port, c.port);

    // The other workspace keeps a table of its own.
    let o = other.connection.clone();
    blocking(move || {
        let mut s = login(&o, o.password.as_deref().unwrap()).unwrap();
        s.batch_execute("CREATE TABLE secret AS SELECT 'theirs' AS v")
            .unwrap();
    })
    .await;

    let (db_url, other_schema) = (app.db_url.clone(), other.connection.schema.clone());
    let (c2, pw) = (c.clone(), password.clone());
    blocking(move || {
        let mut s = login(&c2, &pw).expect("the returned credentials log in");
        // Its own schema: create, write, read (unqualified: it is the search path).
        s.batch_execute("CREATE TABLE mine (x TEXT); INSERT INTO mine VALUES ('ok')")
            .unwrap();
        let x: String = s.query_one("SELECT x FROM mine", &[]).unwrap().get(0);
        assert_eq!(x, "ok");
        // Nothing else: the project's tables and bookkeeping, the other workspace, new schemas.
        let tables = project_tables(&db_url, project.0);
        assert!(tables.iter().any(|t| t == "_stackport_stats"), "{tables:?}");
        for t in &tables {
            let e = s
                .query(&format!("SELECT * FROM p{}.\"{t}\"", project.0), &[])
                .unwrap_err();
            assert_eq!(sqlstate(&e), "42501", "reading p{}.{t}: {e}", project.0);
        }
        for sql in [
            format!("SELECT * FROM {other_schema}.secret"),
            "CREATE SCHEMA mine_too".to_string(),
            "CREATE TABLE public.t (x TEXT)".to_string(),
            format!("CREATE TABLE {other_schema}.t (x TEXT)"),
        ] {
            let e = s.batch_execute(&sql).unwrap_err();
            assert_eq!(sqlstate(&e), "42501", "{sql}: {e}");
        }
    })
    .await;

    // A load copies the rows on the server.
    let job = client
        .load_workspace(
            ws.id,
            &serde_json::from_value::<WorkspaceLoadRequest>(serde_json::json!({
                "input": [{"source": table.to_string(), "destination": "orders"}]
            }))
            .unwrap(),
            false,
        )
        .await
        .unwrap();
    let job = client.wait_for_storage_job(job.id, WAIT).await.unwrap();
    assert_eq!(job.status, StorageJobStatus::Success, "{job:?}");
    let (c2, pw) = (c.clone(), password.clone());
    let rows = blocking(move || {
        let mut s = login(&c2, &pw).unwrap();
        s.query("SELECT id, v FROM orders ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
            .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(rows, [("1".into(), "a".into()), ("2".into(), "b".into())]);

    // A new password: the old one no longer logs in.
    let new = client
        .reset_workspace_password(ws.id)
        .await
        .unwrap()
        .password;
    let (c2, old, new2) = (c.clone(), password.clone(), new.clone());
    blocking(move || {
        let e = login(&c2, &old).err().expect("the old password is refused");
        assert_eq!(sqlstate(&e), "28P01", "{e}");
        login(&c2, &new2).expect("the new password logs in");
    })
    .await;

    // Deleting the workspace drops the login and the schema.
    client.delete_workspace(ws.id).await.unwrap();
    let (c2, db_url) = (c.clone(), app.db_url.clone());
    blocking(move || {
        assert!(
            login(&c2, &new).is_err(),
            "a deleted workspace cannot log in"
        );
        let mut su = superuser(&db_url);
        let role = su
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&c2.user])
            .unwrap();
        let schema = su
            .query_opt(
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                &[&c2.schema],
            )
            .unwrap();
        assert!(role.is_none() && schema.is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_project_drops_its_workspaces_logins_and_no_other() {
    let app = spawn(|_| {}).await;
    let (project, client) = app.project("postgresql").await;
    let (_, neighbour) = app.project("postgresql").await;
    let ws = client
        .create_workspace(&NewWorkspace::default())
        .await
        .unwrap();
    let kept = neighbour
        .create_workspace(&NewWorkspace {
            statement_timeout_seconds: Some(7),
            ..Default::default()
        })
        .await
        .unwrap();
    app.manage.delete_project(project).await.unwrap();
    let (c, k) = (ws.connection, kept.connection);
    blocking(move || {
        let e = login(&c, c.password.as_deref().unwrap())
            .err()
            .expect("the project's workspace login is gone");
        assert_eq!(sqlstate(&e), "28P01", "{e}");
        let mut s = login(&k, k.password.as_deref().unwrap()).expect("another project's stays");
        let timeout: String = s.query_one("SHOW statement_timeout", &[]).unwrap().get(0);
        assert_eq!(timeout, "7s", "statementTimeoutSeconds is the role's");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_project_keeps_its_file_workspaces() {
    let app = spawn(|_| {}).await;
    let (_, client) = app.project("sqlite").await;
    let ws = client
        .create_workspace(&NewWorkspace::default())
        .await
        .unwrap();
    assert_eq!(ws.connection.backend, "sqlite");
    assert_eq!(ws.connection.port, None);
    assert!(ws.connection.database.ends_with(".sqlite"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provisioned_writer_is_pointed_at_its_account() {
    let app = spawn(|_| {}).await;
    let (_, client) = app.project("postgresql").await;
    let writer: stackport_model::ComponentId = "keboola.wr-db-snowflake".parse().unwrap();
    let config = client
        .create_config(
            &writer,
            &stackport_model::api::NewConfiguration {
                name: "w".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ws = client
        .create_config_workspace(&writer, &config.id, &NewWorkspace::default())
        .await
        .unwrap();
    let stored = client.get_config(&writer, &config.id).await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(stored.configuration.as_ref().unwrap().get())
        .expect("a JSON document");
    let db = &doc["parameters"]["db"];
    assert_eq!(db["driver"], "postgresql");
    assert_eq!(db["user"], ws.connection.user.as_str());
    assert_eq!(db["port"], ws.connection.port.unwrap());
    assert_eq!(db["#password"], ws.connection.sealed_password.as_str());
    let c = ws.connection;
    blocking(move || login(&c, c.password.as_deref().unwrap()).map(drop))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_of_the_workspace_runs_a_load_with_the_workspace_s_rights_only() {
    let app = spawn(|_| {}).await;
    let (project, client) = app.project("postgresql").await;
    let table = table_with(&client, "orders", &[("1", "a")]).await;
    let ws = client
        .create_workspace(&NewWorkspace::default())
        .await
        .unwrap();
    let load = |incremental: bool| {
        serde_json::from_value::<WorkspaceLoadRequest>(serde_json::json!({
            "input": [{"source": table.to_string(), "destination": "orders",
                       "incremental": incremental}]
        }))
        .unwrap()
    };
    let job = client
        .load_workspace(ws.id, &load(false), false)
        .await
        .unwrap();
    let job = client.wait_for_storage_job(job.id, WAIT).await.unwrap();
    assert_eq!(job.status, StorageJobStatus::Success, "{job:?}");
    // The workspace's user plants a trigger that tries to take the loader's rights.
    let c = ws.connection.clone();
    blocking(move || {
        let mut s = login(&c, c.password.as_deref().unwrap()).unwrap();
        s.batch_execute(&format!(
            "CREATE FUNCTION steal() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               RESET ROLE;
               CREATE TABLE loot AS SELECT * FROM p{}._stackport_stats;
               RETURN NEW;
             END $$;
             CREATE TRIGGER steal BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION steal();",
            project.0
        ))
        .unwrap();
    })
    .await;
    let job = client
        .load_workspace(ws.id, &load(true), false)
        .await
        .unwrap();
    let job = client.wait_for_storage_job(job.id, WAIT).await.unwrap();
    assert_eq!(job.status, StorageJobStatus::Error, "{job:?}");
    let m = format!("{:?}", job.error);
    assert!(m.contains("permission denied"), "{m}");
    let (c, db_url) = (ws.connection.clone(), app.db_url.clone());
    blocking(move || {
        let mut su = superuser(&db_url);
        let loot = su
            .query("SELECT 1 FROM pg_tables WHERE tablename = 'loot'", &[])
            .unwrap();
        assert!(loot.is_empty(), "the trigger took nothing");
        let n: i64 = su
            .query_one(&format!("SELECT count(*) FROM {}.orders", c.schema), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "the failed load kept the table as it was");
        let staged = su
            .query(
                "SELECT 1 FROM pg_tables WHERE tablename LIKE '\\_stackport\\_load\\_%'",
                &[],
            )
            .unwrap();
        assert!(staged.is_empty(), "no staging table is left");
    })
    .await;
}

#[tokio::test]
async fn a_load_blocked_by_the_users_open_transaction_fails_naming_it_instead_of_waiting() {
    let app = spawn(|_| {}).await;
    let (_, client) = app.project("postgresql").await;
    let table = table_with(&client, "orders", &[("1", "a")]).await;
    let ws = client
        .create_workspace(
            &serde_json::from_value(serde_json::json!({"statementTimeoutSeconds": 0})).unwrap(),
        )
        .await
        .unwrap();
    let load = serde_json::from_value::<WorkspaceLoadRequest>(serde_json::json!({
        "input": [{"source": table.to_string(), "destination": "orders"}]
    }))
    .unwrap();
    let job = client.load_workspace(ws.id, &load, false).await.unwrap();
    let job = client.wait_for_storage_job(job.id, WAIT).await.unwrap();
    assert_eq!(
        job.status,
        StorageJobStatus::Success,
        "a zero timeout is no limit: {job:?}"
    );
    // The user's session reads the table and leaves its transaction open.
    let c = ws.connection.clone();
    let (hold, release) = std::sync::mpsc::channel::<()>();
    let (ready, opened) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut s = login(&c, c.password.as_deref().unwrap()).unwrap();
        let mut tx = s.transaction().unwrap();
        tx.query("SELECT * FROM orders", &[]).unwrap();
        ready.send(()).unwrap();
        let _ = release.recv();
        drop(tx);
    });
    opened.recv().unwrap();
    let job = client.load_workspace(ws.id, &load, false).await.unwrap();
    let job = client.wait_for_storage_job(job.id, WAIT).await.unwrap();
    drop(hold);
    holder.join().unwrap();
    assert_eq!(job.status, StorageJobStatus::Error, "{job:?}");
    let m = format!("{:?}", job.error);
    assert!(m.contains("waited 30 s for a lock"), "{m}");
    // Once the user's transaction ended, the same load goes through.
    let job = client.load_workspace(ws.id, &load, false).await.unwrap();
    let job = client.wait_for_storage_job(job.id, WAIT).await.unwrap();
    assert_eq!(job.status, StorageJobStatus::Success, "{job:?}");
}
