//! Projects, administered with the manage token.

use stackport_client::FileUpload;
use stackport_model::api::NewProject;
use stackport_model::ProjectId;

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

    app.manage.delete_project(doomed.project.id).await.unwrap();
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
