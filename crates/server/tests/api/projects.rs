//! Projects, administered with the manage token.

use stackport_client::ClientError;
use stackport_client::FileUpload;
use stackport_model::api::{CreatedProject, NewProject};
use stackport_model::ProjectId;
use stackport_stack::StackSettings;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_are_created_listed_and_got() {
    let app = spawn_app().await;
    let (a, _) = app.new_project_full("Alpha").await;
    let (b, _) = app.new_project_full("Beta").await;
    assert_ne!(a.project.id, b.project.id);
    assert_eq!(a.project.name, "Alpha");
    assert_eq!(a.project.backend, "sqlite");
    // The master token names its project.
    assert!(
        a.token.starts_with(&format!("{}-", a.project.id)),
        "{}",
        a.token
    );
    assert_eq!(
        app.manage.list_projects().await.unwrap(),
        vec![a.project.clone(), b.project.clone()]
    );
    assert_eq!(
        app.manage.get_project(b.project.id).await.unwrap(),
        b.project
    );
    expect_error(
        app.manage.get_project(ProjectId(999_999)).await,
        404,
        "manage.projects.notFound",
    );
    for name in ["", "   "] {
        expect_error(
            app.manage
                .create_project(&NewProject {
                    name: name.into(),
                    backend: None,
                })
                .await,
            400,
            "manage.projects.invalidName",
        );
    }
    expect_error(
        app.manage
            .create_project(&NewProject {
                name: "x".into(),
                backend: Some("snowflake".into()),
            })
            .await,
        400,
        "manage.projects.unknownBackend",
    );
}

both_backends!(deleted_project_takes_its_tokens_and_data_with_it);
async fn deleted_project_takes_its_tokens_and_data_with_it(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (doomed, client) = app.new_project_full("doomed").await;
    let (kept, other) = app.new_project_full("kept").await;
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    import_csv(&client, &t, "id\n1\n").await;
    client
        .upload_file(
            &FileUpload {
                name: "f".into(),
                is_permanent: true,
                ..Default::default()
            },
            b"x".to_vec(),
        )
        .await
        .unwrap();
    let kept_table = bucket_with_table(&other, "c", "t", &["id"], &[]).await;
    import_csv(&other, &kept_table, "id\n2\n").await;
    assert!(project_storage_exists(&app, doomed.project.id).await);

    app.manage.delete_project(doomed.project.id).await.unwrap();
    assert!(
        !project_storage_exists(&app, doomed.project.id).await,
        "its tables are gone from {:?}",
        app.backend
    );
    assert!(project_storage_exists(&app, kept.project.id).await);
    expect_error(client.verify_token().await, 401, "invalidToken");
    expect_error(
        app.manage.get_project(doomed.project.id).await,
        404,
        "manage.projects.notFound",
    );
    assert_eq!(
        app.manage.list_projects().await.unwrap(),
        vec![kept.project.clone()]
    );
    assert!(!app
        .dir
        .join("files")
        .join(doomed.project.id.to_string())
        .exists());
    // A new master token for a deleted project cannot be issued.
    expect_error(
        app.manage
            .create_master_token(doomed.project.id, "again")
            .await,
        404,
        "manage.projects.notFound",
    );
    // The other project is untouched.
    assert_eq!(export_csv(&other, &kept_table).await, "\"id\"\n\"2\"\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_admin_issues_a_new_master_token() {
    let app = spawn_app().await;
    let (created, first) = app.new_project_full("p").await;
    let token = app
        .manage
        .create_master_token(created.project.id, "second master")
        .await
        .unwrap();
    assert!(token.is_master_token);
    assert_eq!(token.description, "second master");
    let second = app.client(token.token.as_deref().expect("the secret is shown once"));
    let verified = second.verify_token().await.unwrap();
    assert_eq!(verified.owner.id, created.project.id);
    assert!(verified.token.is_master_token);
    // Both masters work; neither can be deleted through the Storage API.
    first.verify_token().await.unwrap();
    expect_error(
        first.delete_token(token.id).await,
        400,
        "storage.tokens.cannotDeleteMaster",
    );
}

/// A stack offering PostgreSQL beside SQLite, SQLite staying the default, so a project has to ask
/// for PostgreSQL; `accepts` is whether its one server (`pg1`) takes new projects.
async fn offering_postgresql(accepts: bool) -> TestApp {
    // Making the server's database blocks.
    let settings = tokio::task::spawn_blocking(move || {
        let mut settings = StackSettings::local_default("127.0.0.1:0");
        Backend::Postgresql.apply(&mut settings);
        settings.postgres[0].accepts_new_projects = accepts;
        settings
    })
    .await
    .unwrap();
    // SQLite's `apply` keeps the server and makes SQLite the default.
    spawn_app_with_on(Backend::Sqlite, settings).await
}

async fn create_on(app: &TestApp, backend: &str) -> Result<CreatedProject, ClientError> {
    app.manage
        .create_project(&NewProject {
            name: format!("on {backend}"),
            backend: Some(backend.into()),
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_asking_for_postgresql_is_placed_and_its_token_names_the_backend() {
    let app = offering_postgresql(true).await;
    let pg = create_on(&app, "postgresql").await.unwrap();
    assert_eq!(pg.project.backend, "postgresql");
    assert_eq!(pg.project.placement.as_deref(), Some("pg1"));
    assert_eq!(pg.project.default_backend, "postgresql");
    let (lite, lite_client) = app.new_project_full("default").await;
    assert_eq!(lite.project.backend, "sqlite");
    assert_eq!(
        lite.project.placement, None,
        "the embedded backend has one place"
    );
    assert_eq!(
        app.manage.get_project(pg.project.id).await.unwrap(),
        pg.project,
        "the placement is recorded"
    );

    // Clients choose a workspace's backend by what the index and token verify say.
    let pg_client = app.client(&pg.token);
    let index = pg_client.index().await.unwrap();
    assert_eq!(index.default_backend, "postgresql");
    assert_eq!(index.backends, strings(&["sqlite", "postgresql"]));
    let verified = pg_client.verify_token().await.unwrap();
    assert_eq!(verified.owner.id, pg.project.id);
    assert_eq!(verified.owner.default_backend, "postgresql");
    assert_eq!(lite_client.index().await.unwrap().default_backend, "sqlite");
    assert_eq!(
        lite_client
            .verify_token()
            .await
            .unwrap()
            .owner
            .default_backend,
        "sqlite"
    );

    // Its tables hold rows.
    let t = bucket_with_table(&pg_client, "c", "t", &["id", "v"], &["id"]).await;
    import_csv(&pg_client, &t, "id,v\n1,a\n").await;
    assert_eq!(
        export_csv(&pg_client, &t).await,
        canonical(&["id", "v"], &[&["1", "a"]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_backend_is_refused_naming_what_the_stack_offers() {
    let app = offering_postgresql(true).await;
    let err = expect_error(
        create_on(&app, "snowflake").await,
        400,
        "manage.projects.unknownBackend",
    );
    for named in ["'snowflake'", "\"sqlite\"", "\"postgresql\""] {
        assert!(err.error.contains(named), "{named}: {}", err.error);
    }
    // A stack without a PostgreSQL server does not offer it.
    let lite = spawn_app().await;
    let err = expect_error(
        create_on(&lite, "postgresql").await,
        400,
        "manage.projects.unknownBackend",
    );
    assert!(
        err.error.contains("'postgresql'") && err.error.contains("[\"sqlite\"]"),
        "{}",
        err.error
    );
    assert!(app.manage.list_projects().await.unwrap().is_empty());
    assert!(lite.manage.list_projects().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_project_on_a_stack_whose_only_server_is_drained_is_a_503() {
    let app = offering_postgresql(false).await;
    let err = expect_error(
        create_on(&app, "postgresql").await,
        503,
        "manage.projects.noServer",
    );
    assert!(
        err.error.contains("acceptsNewProjects") && err.error.contains("add-postgres"),
        "{}",
        err.error
    );
    assert!(
        app.manage.list_projects().await.unwrap().is_empty(),
        "nothing is created"
    );
    // SQLite projects are still made.
    assert_eq!(
        create_on(&app, "sqlite").await.unwrap().project.backend,
        "sqlite"
    );
}
