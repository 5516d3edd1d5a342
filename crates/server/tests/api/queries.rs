//! Query strings: parsed once per endpoint, the reference clients' spellings honoured (`x[]`,
//! `True`), and a parameter the endpoint does not know refused rather than ignored.

use reqwest::Method;
use stackport_client::FileUpload;
use stackport_model::api::FileInfo;
use stackport_model::TableId;

use crate::helpers::*;

/// A raw request with a Storage token (`None`: the manage token); the status and JSON body.
async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path_and_query: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let req = reqwest::Client::new()
        .request(method, format!("{}{path_and_query}", app.url))
        .body(body.to_string());
    let req = match token {
        Some(t) => req.header("X-StorageApi-Token", t),
        None => req.header("X-KBC-ManageApiToken", MANAGE_TOKEN),
    };
    let response = req.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Asserts a 400 `invalidQuery` that names `parameter` and lists `accepted`.
fn assert_refused(answer: &(u16, serde_json::Value), parameter: &str, accepted: &str, what: &str) {
    let (status, body) = answer;
    assert_eq!(*status, 400, "{what}: {body}");
    assert_eq!(body["code"], "invalidQuery", "{what}: {body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains(&format!("'{parameter}'")), "{what}: {error}");
    assert!(error.contains(accepted), "{what}: {error}");
}

async fn upload(client: &stackport_client::Client, name: &str, tags: &[&str]) -> FileInfo {
    client
        .upload_file(
            &FileUpload {
                name: name.into(),
                tags: strings(tags),
                ..FileUpload::default()
            },
            b"data".to_vec(),
        )
        .await
        .expect("the file is uploaded")
}

/// The data rows of a CSV export, sorted.
fn rows(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv.lines().skip(1).map(String::from).collect();
    rows.sort();
    rows
}

both_backends!(an_unknown_query_parameter_is_refused_naming_it_and_nothing_changes);
async fn an_unknown_query_parameter_is_refused_naming_it_and_nothing_changes(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("p").await;
    let token = Some(created.token.as_str());
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    import_csv(&client, &t, "id\n1\n").await;
    let file = upload(&client, "f.txt", &["x"]).await;
    let project = created.project.id;

    let reads = [
        ("/v2/storage/buckets?includ=metadata", "includ", "include"),
        ("/v2/storage/tables?includes=columns", "includes", "include"),
        ("/v2/storage/files?tag=x", "tag", "tags, limit, offset"),
        ("/v2/storage/events?type=table", "type", "objectType"),
        ("/v2/queue/jobs?state=error", "state", "status"),
        ("/v2/storage/components?deleted=1", "deleted", "isDeleted"),
        (
            "/v2/storage/components/ex-x/configs?deleted=1",
            "deleted",
            "isDeleted",
        ),
        (
            &*format!("/v2/storage/tables/{t}/export?where=id"),
            "where",
            "whereColumn",
        ),
    ];
    for (path, parameter, accepted) in reads {
        let answer = call(&app, token, Method::GET, path, "").await;
        assert_refused(&answer, parameter, accepted, path);
    }

    // Deletes: the object is still there afterwards.
    let answer = call(
        &app,
        token,
        Method::DELETE,
        "/v2/storage/buckets/in.c-c?forse=true",
        "",
    )
    .await;
    assert_refused(&answer, "forse", "force", "bucket delete");
    let answer = call(
        &app,
        token,
        Method::DELETE,
        &format!("/v2/storage/tables/{t}?force=1"),
        "",
    )
    .await;
    assert_refused(
        &answer,
        "force",
        "this endpoint accepts async",
        "table delete",
    );
    let answer = call(
        &app,
        token,
        Method::DELETE,
        &format!("/v2/storage/files/{}?tags[]=x", file.id),
        "",
    )
    .await;
    assert_refused(&answer, "tags", "takes no query parameters", "file delete");
    client
        .get_bucket(&bucket_id("in.c-c"))
        .await
        .expect("the bucket is kept");
    client.get_table(&t).await.expect("the table is kept");
    client.get_file(file.id).await.expect("the file is kept");

    // Writes: nothing is imported, uploaded, issued or sealed.
    let answer = call(
        &app,
        token,
        Method::POST,
        &format!("/v2/storage/tables/{t}/import?incrementl=1"),
        "id\n2\n",
    )
    .await;
    assert_refused(&answer, "incrementl", "incremental", "import");
    assert_eq!(export_csv(&client, &t).await, canonical(&["id"], &[&["1"]]));
    let answer = call(
        &app,
        token,
        Method::POST,
        "/v2/storage/files?name=g.txt&tag=y",
        "data",
    )
    .await;
    assert_refused(&answer, "tag", "tags", "upload");
    assert_eq!(client.list_files(&[], None).await.unwrap(), vec![file]);
    let answer = call(
        &app,
        None,
        Method::POST,
        &format!("/manage/projects/{project}/tokens?desc=x"),
        "",
    )
    .await;
    assert_refused(&answer, "desc", "description", "master token");
    let answer = call(
        &app,
        token,
        Method::POST,
        "/v2/encryption/encrypt?component=x",
        "secret",
    )
    .await;
    assert_refused(&answer, "component", "componentId", "encrypt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_in_brackets_list_only_the_files_with_all_of_them() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let token = Some(created.token.as_str());
    let _plain = upload(&client, "plain.txt", &[]).await;
    let tagged = upload(&client, "tagged.txt", &["x"]).await;
    let both = upload(&client, "both.txt", &["x", "y"]).await;

    // What `kbcstorage`'s `files.list(tags=['x'])` sends.
    let (status, body) = call(
        &app,
        token,
        Method::GET,
        "/v2/storage/files?limit=100&offset=0&tags%5B%5D=x",
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<u64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [both.id.0, tagged.id.0],
        "newest first, only the tagged ones"
    );

    let ids = file_ids(&app, token, "/v2/storage/files?tags[]=x&tags[]=y").await;
    assert_eq!(ids, [both.id.0], "several tags: files with all of them");

    let ids = file_ids(&app, token, "/v2/storage/files?tags[]=x&offset=1").await;
    assert_eq!(ids, [tagged.id.0], "offset skips matching files");
}

/// The ids of the files `GET path` lists, in its order.
async fn file_ids(app: &TestApp, token: Option<&str>, path: &str) -> Vec<u64> {
    let (_, body) = call(app, token, Method::GET, path, "").await;
    body.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect()
}

async fn people(client: &stackport_client::Client) -> TableId {
    let t = bucket_with_table(client, "c", "people", &["id", "name"], &["id"]).await;
    import_csv(client, &t, "id,name\n1,ann\n2,bob\n3,cid\n").await;
    t
}

both_backends!(export_takes_where_column_and_repeated_where_values);
async fn export_takes_where_column_and_repeated_where_values(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("p").await;
    let token = Some(created.token.as_str());
    let t = people(&client).await;
    let export = |query: &'static str| {
        let (app, t) = (&app, &t);
        async move {
            let (status, body) = call(
                app,
                token,
                Method::GET,
                &format!("/v2/storage/tables/{t}/export?{query}"),
                "",
            )
            .await;
            assert_eq!(status, 200, "{query}: {body}");
            rows(body.as_str().expect("CSV"))
        }
    };
    assert_eq!(
        export("whereColumn=id&whereValues[]=1").await,
        [csv_record(&["1", "ann"]).trim_end()]
    );
    assert_eq!(
        export("whereColumn=id&whereValues%5B%5D=1&whereValues%5B%5D=3").await,
        [
            csv_record(&["1", "ann"]).trim_end(),
            csv_record(&["3", "cid"]).trim_end()
        ]
    );
    for op in ["ne", "neq"] {
        let query: &'static str = if op == "ne" {
            "whereColumn=id&whereValues[]=1&whereOperator=ne"
        } else {
            "whereColumn=id&whereValues[]=1&whereOperator=neq"
        };
        assert_eq!(
            export(query).await,
            [
                csv_record(&["2", "bob"]).trim_end(),
                csv_record(&["3", "cid"]).trim_end()
            ],
            "{op}"
        );
    }
    // Repeated columns[] picks and orders columns.
    let (_, body) = call(&app, token, Method::GET, &format!("/v2/storage/tables/{t}/export?columns[]=name&columns[]=id&whereColumn=id&whereValues[]=2"), "").await;
    assert_eq!(
        body.as_str().unwrap(),
        canonical(&["name", "id"], &[&["bob", "2"]])
    );
    // Half a filter is refused, not dropped.
    let answer = call(
        &app,
        token,
        Method::GET,
        &format!("/v2/storage/tables/{t}/export?whereColumn=id"),
        "",
    )
    .await;
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert!(
        answer.1["error"].as_str().unwrap().contains("whereValues"),
        "{}",
        answer.1
    );
    let answer = call(
        &app,
        token,
        Method::GET,
        &format!("/v2/storage/tables/{t}/export?whereValues[]=1"),
        "",
    )
    .await;
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert!(
        answer.1["error"].as_str().unwrap().contains("whereColumn"),
        "{}",
        answer.1
    );
}

both_backends!(python_booleans_are_read);
async fn python_booleans_are_read(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("p").await;
    let token = Some(created.token.as_str());
    let t = people(&client).await;
    let (status, body) = call(
        &app,
        token,
        Method::POST,
        &format!("/v2/storage/tables/{t}/import?incremental=True"),
        "id,name\n4,dan\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        rows(&export_csv(&client, &t).await).len(),
        4,
        "True is incremental"
    );

    // `kbcstorage`'s `buckets.delete(id, force=False)` and `force=True`.
    let (status, body) = call(
        &app,
        token,
        Method::DELETE,
        "/v2/storage/buckets/in.c-c?force=False",
        "",
    )
    .await;
    assert_ne!(status, 204, "False does not force: {body}");
    client.get_table(&t).await.expect("the table is kept");
    let (status, body) = call(
        &app,
        token,
        Method::DELETE,
        "/v2/storage/buckets/in.c-c?force=True",
        "",
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(client.list_buckets(false).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_takes_no_query_refuses_one_and_keeps_the_object() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let token = Some(created.token.as_str());
    let component: stackport_model::ComponentId = "keboola.ex-db-mysql".parse().unwrap();
    let config: stackport_model::ConfigId = "orders".parse().unwrap();
    client
        .create_config(
            &component,
            &stackport_model::api::NewConfiguration {
                name: "Orders".into(),
                configuration_id: Some(config.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("the configuration is created");
    let path = format!("/v2/storage/components/{component}/configs/{config}?isDeleted=true");
    let answer = call(&app, token, Method::DELETE, &path, "").await;
    assert_refused(
        &answer,
        "isDeleted",
        "takes no query parameters",
        "config delete",
    );
    let kept = client
        .get_config(&component, &config)
        .await
        .expect("the configuration is kept");
    assert!(!kept.is_deleted, "it is not in the trash either");
}
