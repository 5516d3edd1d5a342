//! Per-project quotas of stored bytes: a write that would go over is refused with the quota's
//! name, and what is stored stays as it was.

use stackport_client::{FileUpload, ImportParams};
use stackport_stack::StackSettings;

use crate::helpers::*;

fn small_quotas() -> StackSettings {
    let mut s = StackSettings::local_default("127.0.0.1:0");
    s.quotas.table_bytes = 1_000;
    s.quotas.file_bytes = 1_000;
    s.quotas.workspace_bytes = 1;
    s
}

fn rows(n: usize, width: usize) -> String {
    let mut csv = String::from("id,v\n");
    for i in 0..n {
        csv.push_str(&format!("{i:04},{}\n", "x".repeat(width)));
    }
    csv
}

both_backends!(table_data_stops_at_the_projects_quota);
async fn table_data_stops_at_the_projects_quota(backend: Backend) {
    let app = spawn_app_with_on(backend, small_quotas()).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    let u = create_table(&client, &bucket_id("in.c-c"), "u", &["id", "v"], &[])
        .await
        .id;
    import_csv(&client, &t, &rows(10, 46)).await; // 500 bytes of values
    let incremental = ImportParams {
        incremental: true,
        ..Default::default()
    };
    let body = expect_error(
        import_with(&client, &u, &incremental, &rows(12, 46)).await,
        413,
        "project.quotaExceeded",
    );
    assert!(body.error.contains("quotas.tableBytes"), "{}", body.error);
    assert_eq!(client.get_table(&u).await.unwrap().rows_count, 0);
    // Replacing a table's rows counts only what it will hold.
    import_csv(&client, &t, &rows(18, 46)).await;
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 18);
    expect_error(
        import_with(&client, &t, &incremental, &rows(3, 46)).await,
        413,
        "project.quotaExceeded",
    );
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 18);
    // Another project is not touched by this one's quota.
    let other = app.new_project("q").await;
    let o = bucket_with_table(&other, "c", "t", &["id", "v"], &[]).await;
    import_csv(&other, &o, &rows(18, 46)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_stop_at_the_projects_quota() {
    let app = spawn_app_with(small_quotas()).await;
    let client = app.new_project("p").await;
    let upload = |name: &str| FileUpload {
        name: name.into(),
        is_permanent: true,
        ..Default::default()
    };
    client
        .upload_file(&upload("a"), vec![b'a'; 600])
        .await
        .expect("within the quota");
    let body = expect_error(
        client.upload_file(&upload("b"), vec![b'b'; 600]).await,
        413,
        "project.quotaExceeded",
    );
    assert!(body.error.contains("quotas.fileBytes"), "{}", body.error);
    let files = client.list_files(&[], None).await.unwrap();
    assert_eq!(files.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_stop_at_the_projects_quota() {
    let app = spawn_app_with(small_quotas()).await;
    let client = app.new_project("p").await;
    let new = serde_json::from_value(serde_json::json!({})).unwrap();
    client.create_workspace(&new).await.expect("the first fits");
    let body = expect_error(
        client.create_workspace(&new).await,
        413,
        "project.quotaExceeded",
    );
    assert!(
        body.error.contains("quotas.workspaceBytes"),
        "{}",
        body.error
    );
    assert_eq!(client.list_workspaces().await.unwrap().len(), 1);
}
