//! Retries that race: concurrent imports under one idempotency key apply once and all answer as
//! that one did; a body whose row count is not what the sender declared is never committed.

use stackport_client::ImportParams;

use crate::helpers::*;

both_backends!(concurrent_retries_with_one_key_apply_once_and_replay);
async fn concurrent_retries_with_one_key_apply_once_and_replay(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &["id"]).await;
    let mut csv = String::from("id,v\n");
    for i in 0..20_000 {
        csv.push_str(&format!("{i},value-{i}\n"));
    }
    let params = ImportParams {
        incremental: true,
        idempotency_key: Some("chunk-1".into()),
        ..Default::default()
    };
    let attempts = (0..8).map(|_| import_with(&client, &t, &params, &csv));
    let answers = futures_util::future::join_all(attempts).await;
    let answers: Vec<_> = answers
        .into_iter()
        .map(|a| a.expect("every attempt answers 200"))
        .collect();
    assert_eq!(
        answers.iter().filter(|a| !a.replayed).count(),
        1,
        "{answers:?}"
    );
    assert!(answers.iter().all(|a| a.imported_rows == 20_000));
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 20_000);

    // A key used for another table stays a conflict.
    let u = create_table(&client, &bucket_id("in.c-c"), "u", &["id", "v"], &["id"])
        .await
        .id;
    expect_error(
        import_with(&client, &u, &params, &csv).await,
        409,
        "storage.import.keyUsedElsewhere",
    );
}

async fn import_expecting(
    app: &TestApp,
    token: &str,
    table: &str,
    expected: u64,
    csv: &str,
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v2/storage/tables/{table}/import?incremental=true&expectedRows={expected}",
            app.url
        ))
        .header("x-storageapi-token", token)
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

both_backends!(a_body_with_another_row_count_than_declared_commits_nothing);
async fn a_body_with_another_row_count_than_declared_commits_nothing(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (project, client) = app.new_project_full("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id", "v"], &[]).await;
    let mut csv = String::from("id,v\n");
    for i in 0..45 {
        csv.push_str(&format!("{i},v\n"));
    }
    for declared in [50, 44] {
        let (status, answer) =
            import_expecting(&app, &project.token, &t.to_string(), declared, &csv).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some("storage.import.rowCountMismatch")),
            "{answer}"
        );
        assert!(answer["error"].as_str().unwrap().contains(&format!(
            "holds 45 row(s), but expectedRows says {declared}"
        )));
        assert_eq!(client.get_table(&t).await.unwrap().rows_count, 0);
    }
    let (status, answer) = import_expecting(&app, &project.token, &t.to_string(), 45, &csv).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 45);
}
