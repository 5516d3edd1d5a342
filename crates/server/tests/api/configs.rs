//! Configurations of components: create, read, list, update, trash, restore and purge; rows,
//! state, the run order of rows, versions and rollbacks, metadata, and who may see them.

use stackport_client::Client;
use stackport_model::api::{
    ConfigRow, Configuration, ConfigurationUpdate, MetadataKeyValue, MetadataWrite,
    NewConfiguration, NewRow, NewToken, RawJson, RowUpdate,
};
use stackport_model::{ComponentId, ConfigId, RowId};

use crate::helpers::*;

const MYSQL: &str = "keboola.ex-db-mysql";
const SNOWFLAKE_WRITER: &str = "keboola.wr-db-snowflake";

/// A document with odd spacing, key order and number spellings, none of which may change.
const ODD: &str = "{ \"z\": 1.50e3,\n  \"a\" : [1, 2.0, -0, 1E-7, 12345678901234567890123],\t\"m\":{\"y\":null,\"b\":true}, \"u\":\"\\u00e9 é \\/\" }";
/// Another one, for states and rows.
const ODD_STATE: &str = "{\"last\" :\"2024-01-01\" , \"cursor\":0.10,\"b\":{ }}";

fn mysql() -> ComponentId {
    MYSQL.parse().unwrap()
}

fn writer() -> ComponentId {
    SNOWFLAKE_WRITER.parse().unwrap()
}

fn cfg(s: &str) -> ConfigId {
    s.parse().expect("a valid configuration id")
}

fn rid(s: &str) -> RowId {
    s.parse().expect("a valid row id")
}

fn json(s: &str) -> RawJson {
    RawJson::from_string(s.to_string()).expect("valid JSON")
}

fn text(doc: &Option<RawJson>) -> Option<&str> {
    doc.as_ref().map(RawJson::get)
}

/// Creates configuration `id` of the MySQL extractor with `configuration`.
async fn new_config(client: &Client, id: &str, configuration: &str) -> Configuration {
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: format!("config {id}"),
                configuration_id: Some(cfg(id)),
                configuration: Some(json(configuration)),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("configuration {id} is created: {e}"))
}

/// Adds row `id` with `configuration` to a MySQL configuration.
async fn new_row(client: &Client, config: &str, id: &str, configuration: &str) -> ConfigRow {
    client
        .create_row(
            &mysql(),
            &cfg(config),
            &NewRow {
                row_id: Some(rid(id)),
                name: Some(format!("row {id}")),
                configuration: Some(json(configuration)),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("row {id} is created: {e}"))
}

fn row_ids(rows: &[ConfigRow]) -> Vec<String> {
    rows.iter().map(|r| r.id.to_string()).collect()
}

fn config_rows(config: &Configuration) -> Vec<String> {
    row_ids(config.rows.as_ref().expect("the rows are included"))
}

fn order(config: &Configuration) -> Vec<String> {
    config
        .rows_sort_order
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn rows_order(ids: &[&str]) -> Option<Vec<RowId>> {
    Some(ids.iter().map(|i| rid(i)).collect())
}

/// Sends a request with a Storage token; returns the status and the body.
async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let response = req.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_is_created_with_or_without_a_given_id() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let me = client.verify_token().await.unwrap().token;

    let given = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "Orders DB".into(),
                configuration_id: Some(cfg("orders-db")),
                description: Some("the shop".into()),
                change_description: Some("first cut".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(given.id.as_str(), "orders-db");
    assert_eq!(given.name, "Orders DB");
    assert_eq!(given.description, "the shop");
    assert_eq!(given.version, 1);
    assert_eq!(given.change_description, "first cut");
    assert_eq!(given.current_version.change_description, "first cut");
    assert_eq!(given.creator_token.id, me.id);
    assert_eq!(given.current_version.creator_token.id, me.id);
    assert!(!given.is_disabled);
    assert!(!given.is_deleted);
    assert_eq!(text(&given.configuration), Some("{}"));
    assert_eq!(text(&given.state), Some("{}"));
    assert_eq!(given.rows, Some(vec![]));
    assert!(given.rows_sort_order.is_empty());

    let generated = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "Generated".into(),
                is_disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!generated.id.as_str().is_empty());
    assert_ne!(generated.id, given.id);
    assert!(generated.is_disabled);
    let another = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "Generated too".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(another.id, generated.id);

    // An id that looks like a number stays a string on the wire.
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "Numeric".into(),
                configuration_id: Some(cfg("12345")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, body) = raw(
        &app,
        reqwest::Method::GET,
        &format!("/v2/storage/components/{MYSQL}/configs/12345"),
        &created.token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(value["id"], serde_json::json!("12345"));

    let mut listed: Vec<String> = client
        .list_configs(&mysql())
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    listed.sort();
    let mut expected = vec![
        "orders-db".to_string(),
        generated.id.to_string(),
        another.id.to_string(),
        "12345".to_string(),
    ];
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(
        client
            .get_config(&mysql(), &cfg("orders-db"))
            .await
            .unwrap(),
        given
    );

    // The same id again is a conflict, also while the first one is in the trash.
    let again = NewConfiguration {
        name: "Again".into(),
        configuration_id: Some(cfg("orders-db")),
        ..Default::default()
    };
    expect_error(
        client.create_config(&mysql(), &again).await,
        409,
        "components.configurations.alreadyExists",
    );
    client
        .delete_config(&mysql(), &cfg("orders-db"))
        .await
        .unwrap();
    expect_error(
        client.create_config(&mysql(), &again).await,
        409,
        "components.configurations.alreadyExists",
    );
    // Another component may use the id.
    let other = client.create_config(&writer(), &again).await.unwrap();
    assert_eq!(other.id.as_str(), "orders-db");

    // A name is required.
    expect_error(
        client
            .create_config(
                &mysql(),
                &NewConfiguration {
                    name: " ".into(),
                    ..Default::default()
                },
            )
            .await,
        400,
        "components.configurations.nameRequired",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configurations_are_listed_with_the_parts_asked_for() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "first".into(),
                configuration_id: Some(cfg("a")),
                configuration: Some(json(r#"{"a":1}"#)),
                state: Some(json(r#"{"s":1}"#)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    new_row(&client, "a", "r1", r#"{"t":"x"}"#).await;
    new_config(&client, "b", r#"{"b":2}"#).await;

    let full = client.list_configs(&mysql()).await.unwrap();
    assert_eq!(
        full.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        strings(&["a", "b"]),
        "in the order they were created"
    );
    assert_eq!(text(&full[0].configuration), Some(r#"{"a":1}"#));
    assert_eq!(text(&full[0].state), Some(r#"{"s":1}"#));
    assert_eq!(config_rows(&full[0]), strings(&["r1"]));
    assert_eq!(text(&full[1].configuration), Some(r#"{"b":2}"#));
    assert_eq!(text(&full[1].state), Some("{}"));
    assert_eq!(config_rows(&full[1]), Vec::<String>::new());
    assert_eq!(
        full[0],
        client.get_config(&mysql(), &cfg("a")).await.unwrap()
    );

    let rows_only = client.list_configs_with(&mysql(), "rows").await.unwrap();
    assert_eq!(rows_only.len(), 2);
    assert_eq!(rows_only[0].configuration, None);
    assert_eq!(rows_only[0].state, None);
    assert_eq!(config_rows(&rows_only[0]), strings(&["r1"]));
    assert_eq!(
        rows_only[0].rows.as_ref().unwrap()[0].configuration.get(),
        r#"{"t":"x"}"#
    );
    // What is not a document is the same either way.
    assert_eq!(rows_only[0].version, full[0].version);
    assert_eq!(rows_only[0].name, full[0].name);

    let documents = client
        .list_configs_with(&mysql(), "configuration,state")
        .await
        .unwrap();
    assert_eq!(text(&documents[0].configuration), Some(r#"{"a":1}"#));
    assert_eq!(text(&documents[0].state), Some(r#"{"s":1}"#));
    assert_eq!(documents[0].rows, None);

    let configuration_only = client
        .list_configs_with(&mysql(), "configuration")
        .await
        .unwrap();
    assert_eq!(
        text(&configuration_only[1].configuration),
        Some(r#"{"b":2}"#)
    );
    assert_eq!(configuration_only[1].state, None);
    assert_eq!(configuration_only[1].rows, None);

    // Other components' lists are empty.
    assert!(client.list_configs(&writer()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let created = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "original".into(),
                configuration_id: Some(cfg("c")),
                description: Some("first".into()),
                configuration: Some(json(ODD)),
                state: Some(json(ODD_STATE)),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let described = client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                description: Some("second".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(described.description, "second");
    assert_eq!(described.name, "original");
    assert_eq!(text(&described.configuration), Some(ODD));
    assert_eq!(text(&described.state), Some(ODD_STATE));
    assert!(!described.is_disabled);
    assert_eq!(described.version, created.version + 1);
    assert_eq!(described.created, created.created);
    assert_eq!(described.creator_token, created.creator_token);

    let disabled = client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                is_disabled: Some(true),
                change_description: Some("pause it".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(disabled.is_disabled);
    assert_eq!(disabled.description, "second");
    assert_eq!(disabled.change_description, "pause it");
    assert_eq!(text(&disabled.configuration), Some(ODD));

    let reconfigured = client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                name: Some("renamed".into()),
                configuration: Some(json(r#"{"b":2}"#)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reconfigured.name, "renamed");
    assert_eq!(text(&reconfigured.configuration), Some(r#"{"b":2}"#));
    assert_eq!(text(&reconfigured.state), Some(ODD_STATE));
    assert!(reconfigured.is_disabled);
    assert_eq!(reconfigured.description, "second");
    assert_eq!(reconfigured.version, created.version + 3);
    assert_eq!(
        client.get_config(&mysql(), &cfg("c")).await.unwrap(),
        reconfigured
    );

    expect_error(
        client
            .update_config(
                &mysql(),
                &cfg("c"),
                &ConfigurationUpdate {
                    name: Some("".into()),
                    ..Default::default()
                },
            )
            .await,
        400,
        "components.configurations.nameRequired",
    );
    expect_error(
        client
            .update_config(&mysql(), &cfg("missing"), &ConfigurationUpdate::default())
            .await,
        404,
        "components.configurations.notFound",
    );
    assert_eq!(
        client.get_config(&mysql(), &cfg("c")).await.unwrap(),
        reconfigured,
        "a refused update changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_goes_to_the_trash_is_restored_and_purged() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    new_config(&client, "keep", "{}").await;
    let doomed = new_config(&client, "c1", r#"{"x":1}"#).await;
    new_row(&client, "c1", "r1", "{}").await;
    client
        .write_config_metadata(
            &mysql(),
            &cfg("c1"),
            &MetadataWrite {
                provider: "user".into(),
                metadata: vec![MetadataKeyValue {
                    key: "owner".into(),
                    value: "me".into(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();

    client.delete_config(&mysql(), &cfg("c1")).await.unwrap();
    expect_status(client.get_config(&mysql(), &cfg("c1")).await, 404);
    expect_status(client.list_rows(&mysql(), &cfg("c1")).await, 404);
    expect_status(
        client
            .update_config(
                &mysql(),
                &cfg("c1"),
                &ConfigurationUpdate {
                    name: Some("x".into()),
                    ..Default::default()
                },
            )
            .await,
        404,
    );
    let live: Vec<String> = client
        .list_configs(&mysql())
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(live, strings(&["keep"]));
    let trash = client.list_deleted_configs(&mysql()).await.unwrap();
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[0].id.as_str(), "c1");
    assert!(trash[0].is_deleted);
    assert_eq!(text(&trash[0].configuration), Some(r#"{"x":1}"#));

    let restored = client.restore_config(&mysql(), &cfg("c1")).await.unwrap();
    assert!(!restored.is_deleted);
    assert_eq!(text(&restored.configuration), Some(r#"{"x":1}"#));
    assert_eq!(config_rows(&restored), strings(&["r1"]));
    assert!(restored.version > doomed.version);
    assert_eq!(
        client.get_config(&mysql(), &cfg("c1")).await.unwrap(),
        restored
    );
    assert!(client
        .list_deleted_configs(&mysql())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        client.config_metadata(&mysql(), &cfg("c1")).await.unwrap()[0].value,
        "me",
        "metadata survives the trash"
    );
    expect_error(
        client.restore_config(&mysql(), &cfg("c1")).await,
        400,
        "components.configurations.notDeleted",
    );

    // Trash, then purge.
    client.delete_config(&mysql(), &cfg("c1")).await.unwrap();
    client.delete_config(&mysql(), &cfg("c1")).await.unwrap();
    assert!(client
        .list_deleted_configs(&mysql())
        .await
        .unwrap()
        .is_empty());
    expect_error(
        client.get_config(&mysql(), &cfg("c1")).await,
        404,
        "components.configurations.notFound",
    );
    expect_error(
        client.restore_config(&mysql(), &cfg("c1")).await,
        404,
        "components.configurations.notFound",
    );
    expect_error(
        client.list_config_versions(&mysql(), &cfg("c1")).await,
        404,
        "components.configurations.notFound",
    );
    expect_error(
        client.delete_config(&mysql(), &cfg("c1")).await,
        404,
        "components.configurations.notFound",
    );

    // The id is free again, and nothing of the purged configuration comes back with it.
    let fresh = new_config(&client, "c1", "{}").await;
    assert_eq!(fresh.version, 1);
    assert_eq!(config_rows(&fresh), Vec::<String>::new());
    assert_eq!(
        client
            .list_config_versions(&mysql(), &cfg("c1"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(client
        .config_metadata(&mysql(), &cfg("c1"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        client.list_configs(&mysql()).await.unwrap().len(),
        2,
        "keep and the new c1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_master_token_purges() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let manager = master
        .create_token(&NewToken {
            description: "bucket manager".into(),
            can_manage_buckets: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let manager = app.client(manager.token.as_deref().unwrap());
    new_config(&manager, "c", "{}").await;

    // It may move the configuration to the trash, not purge it.
    manager.delete_config(&mysql(), &cfg("c")).await.unwrap();
    expect_error(
        manager.delete_config(&mysql(), &cfg("c")).await,
        403,
        "accessDenied",
    );
    let trash = master.list_deleted_configs(&mysql()).await.unwrap();
    assert_eq!(trash.len(), 1, "still in the trash");
    assert_eq!(trash[0].id.as_str(), "c");

    master.delete_config(&mysql(), &cfg("c")).await.unwrap();
    assert!(master
        .list_deleted_configs(&mysql())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_of_an_unknown_component_is_refused() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let unknown: ComponentId = "acme.ex-nowhere".parse().unwrap();
    let body = expect_error(
        client
            .create_config(
                &unknown,
                &NewConfiguration {
                    name: "x".into(),
                    configuration_id: Some(cfg("x")),
                    ..Default::default()
                },
            )
            .await,
        400,
        "components.unknown",
    );
    assert!(body.error.contains("acme.ex-nowhere"), "{}", body.error);
    expect_status(client.get_config(&unknown, &cfg("x")).await, 404);
    assert!(client.list_components("", false).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_kept_byte_exact() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;

    // `{}` stays `{}`, whether sent or left out; `{ }` stays `{ }`.
    let empty = new_config(&client, "empty", "{}").await;
    assert_eq!(text(&empty.configuration), Some("{}"));
    let spaced = new_config(&client, "spaced", "{ }").await;
    assert_eq!(text(&spaced.configuration), Some("{ }"));
    let unset = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "unset".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(text(&unset.configuration), Some("{}"));
    assert_eq!(text(&unset.state), Some("{}"));

    let created = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "odd".into(),
                configuration_id: Some(cfg("odd")),
                configuration: Some(json(ODD)),
                state: Some(json(ODD_STATE)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(text(&created.configuration), Some(ODD));
    assert_eq!(text(&created.state), Some(ODD_STATE));
    let got = client.get_config(&mysql(), &cfg("odd")).await.unwrap();
    assert_eq!(text(&got.configuration), Some(ODD));
    assert_eq!(text(&got.state), Some(ODD_STATE));
    let listed = client.list_configs(&mysql()).await.unwrap();
    let listed = listed.iter().find(|c| c.id.as_str() == "odd").unwrap();
    assert_eq!(text(&listed.configuration), Some(ODD));
    let v1 = client
        .get_config_version(&mysql(), &cfg("odd"), 1)
        .await
        .unwrap();
    assert_eq!(text(&v1.configuration), Some(ODD));
    assert_eq!(text(&v1.state), Some(ODD_STATE));

    // Rows and states too.
    let row = client
        .create_row(
            &mysql(),
            &cfg("odd"),
            &NewRow {
                row_id: Some(rid("r")),
                configuration: Some(json(ODD_STATE)),
                state: Some(json(ODD)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(row.configuration.get(), ODD_STATE);
    assert_eq!(row.state.get(), ODD);
    let changed = client
        .update_row(
            &mysql(),
            &cfg("odd"),
            &rid("r"),
            &RowUpdate {
                configuration: Some(json(ODD)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.configuration.get(), ODD);
    assert_eq!(
        client
            .update_row_state(&mysql(), &cfg("odd"), &rid("r"), &json(ODD_STATE))
            .await
            .unwrap()
            .state
            .get(),
        ODD_STATE
    );
    let state = client
        .update_config_state(&mysql(), &cfg("odd"), &json(ODD))
        .await
        .unwrap();
    assert_eq!(text(&state.state), Some(ODD));

    let latest = client
        .get_config(&mysql(), &cfg("odd"))
        .await
        .unwrap()
        .version;
    let version = client
        .get_config_version(&mysql(), &cfg("odd"), latest)
        .await
        .unwrap();
    assert_eq!(version.rows.as_ref().unwrap()[0].configuration.get(), ODD);

    // After an update and a rollback, the document is still the same bytes.
    client
        .update_config(
            &mysql(),
            &cfg("odd"),
            &ConfigurationUpdate {
                configuration: Some(json("{}")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let rolled = client
        .rollback_config(&mysql(), &cfg("odd"), 1, None)
        .await
        .unwrap();
    assert_eq!(text(&rolled.configuration), Some(ODD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_must_be_json_objects() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let base = new_config(&client, "c", r#"{"ok":true}"#).await;
    new_row(&client, "c", "r", "{}").await;
    let version = client
        .get_config(&mysql(), &cfg("c"))
        .await
        .unwrap()
        .version;

    for doc in ["[]", "[{\"a\":1}]", "\"text\"", "42", "true"] {
        let bad = json(doc);
        expect_error(
            client
                .create_config(
                    &mysql(),
                    &NewConfiguration {
                        name: "bad".into(),
                        configuration: Some(bad.clone()),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "components.documentNotObject",
        );
        expect_error(
            client
                .create_config(
                    &mysql(),
                    &NewConfiguration {
                        name: "bad state".into(),
                        state: Some(bad.clone()),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "components.documentNotObject",
        );
        expect_error(
            client
                .update_config(
                    &mysql(),
                    &cfg("c"),
                    &ConfigurationUpdate {
                        configuration: Some(bad.clone()),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "components.documentNotObject",
        );
        expect_error(
            client.update_config_state(&mysql(), &cfg("c"), &bad).await,
            400,
            "components.documentNotObject",
        );
        expect_error(
            client
                .create_row(
                    &mysql(),
                    &cfg("c"),
                    &NewRow {
                        configuration: Some(bad.clone()),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "components.documentNotObject",
        );
        expect_error(
            client
                .update_row(
                    &mysql(),
                    &cfg("c"),
                    &rid("r"),
                    &RowUpdate {
                        configuration: Some(bad.clone()),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "components.documentNotObject",
        );
        expect_error(
            client
                .update_row_state(&mysql(), &cfg("c"), &rid("r"), &bad)
                .await,
            400,
            "components.documentNotObject",
        );
    }
    let after = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(after.version, version);
    assert_eq!(after.configuration, base.configuration);
    assert_eq!(client.list_configs(&mysql()).await.unwrap().len(), 1);
}

/// `{"x":"aaa…"}` of exactly `len` bytes.
fn document_of(len: usize) -> RawJson {
    let doc = format!("{{\"x\":\"{}\"}}", "a".repeat(len - 8));
    assert_eq!(doc.len(), len);
    json(&doc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_over_4_mb_are_refused() {
    const LIMIT: usize = 4 * 1024 * 1024;
    let app = spawn_app().await;
    let client = app.new_project("p").await;

    let too_big = document_of(LIMIT + 1);
    let body = expect_error(
        client
            .create_config(
                &mysql(),
                &NewConfiguration {
                    name: "big".into(),
                    configuration_id: Some(cfg("big")),
                    configuration: Some(too_big.clone()),
                    ..Default::default()
                },
            )
            .await,
        413,
        "components.documentTooLarge",
    );
    assert!(body.error.contains("configuration"), "{}", body.error);
    expect_status(client.get_config(&mysql(), &cfg("big")).await, 404);

    // Exactly 4 MB is fine.
    let at_limit = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "at the limit".into(),
                configuration_id: Some(cfg("c")),
                configuration: Some(document_of(LIMIT)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(at_limit.configuration.unwrap().get().len(), LIMIT);

    expect_error(
        client
            .update_config_state(&mysql(), &cfg("c"), &too_big)
            .await,
        413,
        "components.documentTooLarge",
    );
    expect_error(
        client
            .create_row(
                &mysql(),
                &cfg("c"),
                &NewRow {
                    configuration: Some(too_big.clone()),
                    ..Default::default()
                },
            )
            .await,
        413,
        "components.documentTooLarge",
    );
    let after = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(after.version, 1);
    assert_eq!(text(&after.state), Some("{}"));
    assert_eq!(config_rows(&after), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_created_updated_and_deleted() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let me = client.verify_token().await.unwrap().token;
    new_config(&client, "c", "{}").await;

    let given = client
        .create_row(
            &mysql(),
            &cfg("c"),
            &NewRow {
                row_id: Some(rid("orders")),
                name: Some("Orders".into()),
                description: Some("the orders table".into()),
                configuration: Some(json(r#"{"table":"orders"}"#)),
                is_disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(given.id.as_str(), "orders");
    assert_eq!(given.name, "Orders");
    assert_eq!(given.description, "the orders table");
    assert_eq!(given.configuration.get(), r#"{"table":"orders"}"#);
    assert_eq!(given.state.get(), "{}");
    assert!(given.is_disabled);
    assert_eq!(given.version, 1);
    assert_eq!(given.creator_token.id, me.id);

    let generated = client
        .create_row(&mysql(), &cfg("c"), &NewRow::default())
        .await
        .unwrap();
    assert!(!generated.id.as_str().is_empty());
    assert_ne!(generated.id, given.id);
    assert_eq!(generated.configuration.get(), "{}");
    assert!(!generated.is_disabled);

    expect_error(
        client
            .create_row(
                &mysql(),
                &cfg("c"),
                &NewRow {
                    row_id: Some(rid("orders")),
                    ..Default::default()
                },
            )
            .await,
        409,
        "components.configurations.rowAlreadyExists",
    );

    assert_eq!(
        client
            .get_row(&mysql(), &cfg("c"), &rid("orders"))
            .await
            .unwrap(),
        given
    );
    let listed = client.list_rows(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(
        row_ids(&listed),
        vec!["orders".to_string(), generated.id.to_string()]
    );
    assert_eq!(listed[0], given);

    let renamed = client
        .update_row(
            &mysql(),
            &cfg("c"),
            &rid("orders"),
            &RowUpdate {
                name: Some("Orders v2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Orders v2");
    assert_eq!(renamed.description, "the orders table");
    assert_eq!(renamed.configuration.get(), r#"{"table":"orders"}"#);
    assert!(renamed.is_disabled);
    assert_eq!(renamed.version, 2);
    let enabled = client
        .update_row(
            &mysql(),
            &cfg("c"),
            &rid("orders"),
            &RowUpdate {
                is_disabled: Some(false),
                change_description: Some("switch on".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!enabled.is_disabled);
    assert_eq!(enabled.name, "Orders v2");
    assert_eq!(enabled.change_description, "switch on");
    assert_eq!(enabled.version, 3);
    let config = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(config.rows.as_ref().unwrap()[0], enabled);
    assert_eq!(config.change_description, "switch on");

    client
        .delete_row(&mysql(), &cfg("c"), &rid("orders"))
        .await
        .unwrap();
    assert_eq!(
        row_ids(&client.list_rows(&mysql(), &cfg("c")).await.unwrap()),
        vec![generated.id.to_string()]
    );
    expect_error(
        client.get_row(&mysql(), &cfg("c"), &rid("orders")).await,
        404,
        "components.configurations.rowNotFound",
    );
    expect_error(
        client.delete_row(&mysql(), &cfg("c"), &rid("orders")).await,
        404,
        "components.configurations.rowNotFound",
    );
    expect_error(
        client
            .update_row(&mysql(), &cfg("c"), &rid("orders"), &RowUpdate::default())
            .await,
        404,
        "components.configurations.rowNotFound",
    );
    expect_error(
        client
            .create_row(&mysql(), &cfg("missing"), &NewRow::default())
            .await,
        404,
        "components.configurations.notFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_make_no_new_version() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    new_config(&client, "c", r#"{"p":1}"#).await;
    new_row(&client, "c", "r", r#"{"q":1}"#).await;
    let before = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    let versions_before = client
        .list_config_versions(&mysql(), &cfg("c"))
        .await
        .unwrap();

    let with_state = client
        .update_config_state(&mysql(), &cfg("c"), &json(r#"{"cursor":17}"#))
        .await
        .unwrap();
    assert_eq!(text(&with_state.state), Some(r#"{"cursor":17}"#));
    assert_eq!(with_state.version, before.version);
    assert_eq!(with_state.configuration, before.configuration);
    assert_eq!(
        with_state.current_version.version_identifier,
        before.current_version.version_identifier
    );

    let row = client
        .update_row_state(&mysql(), &cfg("c"), &rid("r"), &json(r#"{"cursor":"row"}"#))
        .await
        .unwrap();
    assert_eq!(row.state.get(), r#"{"cursor":"row"}"#);
    assert_eq!(row.version, 1, "the row keeps its version");
    assert_eq!(row.configuration.get(), r#"{"q":1}"#);

    let after = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(after.version, before.version);
    assert_eq!(text(&after.state), Some(r#"{"cursor":17}"#));
    assert_eq!(
        after.rows.as_ref().unwrap()[0].state.get(),
        r#"{"cursor":"row"}"#
    );
    assert_eq!(
        client
            .list_config_versions(&mysql(), &cfg("c"))
            .await
            .unwrap(),
        versions_before
    );
    expect_error(
        client
            .update_row_state(&mysql(), &cfg("c"), &rid("nope"), &json("{}"))
            .await,
        404,
        "components.configurations.rowNotFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_run_in_rows_sort_order_which_lists_every_row_once() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    new_config(&client, "c", "{}").await;
    for r in ["r1", "r2", "r3"] {
        new_row(&client, "c", r, "{}").await;
    }
    let initial = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert!(initial.rows_sort_order.is_empty());
    assert_eq!(config_rows(&initial), strings(&["r1", "r2", "r3"]));

    let ordered = client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                rows_sort_order: rows_order(&["r3", "r1", "r2"]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(order(&ordered), strings(&["r3", "r1", "r2"]));
    assert_eq!(config_rows(&ordered), strings(&["r3", "r1", "r2"]));
    assert_eq!(
        row_ids(&client.list_rows(&mysql(), &cfg("c")).await.unwrap()),
        strings(&["r3", "r1", "r2"])
    );
    assert_eq!(ordered.version, initial.version + 1);

    // A new row runs last.
    new_row(&client, "c", "r4", "{}").await;
    let grown = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(order(&grown), strings(&["r3", "r1", "r2", "r4"]));
    assert_eq!(config_rows(&grown), strings(&["r3", "r1", "r2", "r4"]));

    for bad in [
        &["r3", "r1", "r2"][..],
        &["r3", "r1", "r2", "r4", "r4"],
        &["r3", "r1", "r1", "r4"],
        &["r3", "r1", "r2", "r4", "r9"],
        &["r3", "r1", "r2", "r9"],
        &[],
    ] {
        let body = expect_error(
            client
                .update_config(
                    &mysql(),
                    &cfg("c"),
                    &ConfigurationUpdate {
                        rows_sort_order: rows_order(bad),
                        ..Default::default()
                    },
                )
                .await,
            400,
            "components.configurations.invalidRowsSortOrder",
        );
        assert!(
            body.error.contains("rowsSortOrder"),
            "{bad:?}: {}",
            body.error
        );
    }
    let unchanged = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(order(&unchanged), strings(&["r3", "r1", "r2", "r4"]));
    assert_eq!(unchanged.version, grown.version);

    // A deleted row leaves the order.
    client
        .delete_row(&mysql(), &cfg("c"), &rid("r1"))
        .await
        .unwrap();
    let shrunk = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(order(&shrunk), strings(&["r3", "r2", "r4"]));
    assert_eq!(config_rows(&shrunk), strings(&["r3", "r2", "r4"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_makes_a_version_listed_newest_first() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "v1".into(),
                configuration_id: Some(cfg("c")),
                configuration: Some(json(r#"{"v":1}"#)),
                change_description: Some("made".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                name: Some("v2".into()),
                configuration: Some(json(r#"{"v":2}"#)),
                ..Default::default()
            },
        )
        .await
        .unwrap(); // 2
    new_row(&client, "c", "r1", r#"{"r":1}"#).await; // 3
    client
        .update_row(
            &mysql(),
            &cfg("c"),
            &rid("r1"),
            &RowUpdate {
                configuration: Some(json(r#"{"r":2}"#)),
                ..Default::default()
            },
        )
        .await
        .unwrap(); // 4
    new_row(&client, "c", "r2", "{}").await; // 5
    client
        .delete_row(&mysql(), &cfg("c"), &rid("r2"))
        .await
        .unwrap(); // 6
    client.delete_config(&mysql(), &cfg("c")).await.unwrap(); // 7
    let restored = client.restore_config(&mysql(), &cfg("c")).await.unwrap(); // 8
    assert_eq!(restored.version, 8);

    let versions = client
        .list_config_versions(&mysql(), &cfg("c"))
        .await
        .unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![8, 7, 6, 5, 4, 3, 2, 1]
    );
    assert!(versions
        .iter()
        .all(|v| v.configuration.is_none() && v.rows.is_none() && v.state.is_none()));
    assert_eq!(versions[7].change_description, "made");
    assert_eq!(versions[7].name, "v1");
    assert_eq!(versions[6].name, "v2");
    assert!(versions[1].is_deleted, "version 7 is the move to the trash");
    assert!(!versions[0].is_deleted);
    let mut identifiers: Vec<&str> = versions
        .iter()
        .map(|v| v.version_identifier.as_str())
        .collect();
    identifiers.sort();
    identifiers.dedup();
    assert_eq!(identifiers.len(), 8, "version identifiers are unique");
    assert_eq!(
        restored.current_version.version_identifier,
        versions[0].version_identifier
    );

    let v1 = client
        .get_config_version(&mysql(), &cfg("c"), 1)
        .await
        .unwrap();
    assert_eq!(text(&v1.configuration), Some(r#"{"v":1}"#));
    assert_eq!(v1.rows.as_ref().map(Vec::len), Some(0));
    let v3 = client
        .get_config_version(&mysql(), &cfg("c"), 3)
        .await
        .unwrap();
    assert_eq!(text(&v3.configuration), Some(r#"{"v":2}"#));
    assert_eq!(row_ids(v3.rows.as_ref().unwrap()), strings(&["r1"]));
    assert_eq!(
        v3.rows.as_ref().unwrap()[0].configuration.get(),
        r#"{"r":1}"#
    );
    let v5 = client
        .get_config_version(&mysql(), &cfg("c"), 5)
        .await
        .unwrap();
    assert_eq!(row_ids(v5.rows.as_ref().unwrap()), strings(&["r1", "r2"]));
    assert_eq!(
        v5.rows.as_ref().unwrap()[0].configuration.get(),
        r#"{"r":2}"#
    );
    let v6 = client
        .get_config_version(&mysql(), &cfg("c"), 6)
        .await
        .unwrap();
    assert_eq!(row_ids(v6.rows.as_ref().unwrap()), strings(&["r1"]));
    assert_eq!(v6.version, 6);
    assert_eq!(v6.version_identifier, versions[2].version_identifier);

    expect_error(
        client.get_config_version(&mysql(), &cfg("c"), 9).await,
        404,
        "components.configurations.versionNotFound",
    );
    // No version 0 can exist: not found, as a path id that names nothing.
    expect_error(
        client.get_config_version(&mysql(), &cfg("c"), 0).await,
        404,
        "components.configurations.versionNotFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_restores_configuration_and_rows_as_a_new_version() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    new_config(&client, "c", r#"{"v":1}"#).await; // 1
    new_row(&client, "c", "r1", r#"{"r":1}"#).await; // 2
    client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                name: Some("changed".into()),
                configuration: Some(json(r#"{"v":2}"#)),
                is_disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap(); // 3
    client
        .update_row(
            &mysql(),
            &cfg("c"),
            &rid("r1"),
            &RowUpdate {
                configuration: Some(json(r#"{"r":2}"#)),
                ..Default::default()
            },
        )
        .await
        .unwrap(); // 4
    new_row(&client, "c", "r2", r#"{"r":"two"}"#).await; // 5
    client
        .delete_row(&mysql(), &cfg("c"), &rid("r1"))
        .await
        .unwrap(); // 6
    let now = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(now.version, 6);
    assert_eq!(config_rows(&now), strings(&["r2"]));

    let back_to_2 = client
        .rollback_config(&mysql(), &cfg("c"), 2, Some("undo everything"))
        .await
        .unwrap();
    assert_eq!(back_to_2.version, 7);
    assert_eq!(back_to_2.change_description, "undo everything");
    assert_eq!(back_to_2.name, "config c");
    assert!(!back_to_2.is_disabled);
    assert_eq!(text(&back_to_2.configuration), Some(r#"{"v":1}"#));
    assert_eq!(config_rows(&back_to_2), strings(&["r1"]));
    assert_eq!(
        back_to_2.rows.as_ref().unwrap()[0].configuration.get(),
        r#"{"r":1}"#
    );
    assert_eq!(
        client.get_config(&mysql(), &cfg("c")).await.unwrap(),
        back_to_2
    );
    assert_eq!(
        row_ids(&client.list_rows(&mysql(), &cfg("c")).await.unwrap()),
        strings(&["r1"])
    );
    expect_error(
        client.get_row(&mysql(), &cfg("c"), &rid("r2")).await,
        404,
        "components.configurations.rowNotFound",
    );

    let back_to_5 = client
        .rollback_config(&mysql(), &cfg("c"), 5, None)
        .await
        .unwrap();
    assert_eq!(back_to_5.version, 8);
    assert_eq!(back_to_5.name, "changed");
    assert!(back_to_5.is_disabled);
    assert_eq!(text(&back_to_5.configuration), Some(r#"{"v":2}"#));
    assert_eq!(config_rows(&back_to_5), strings(&["r1", "r2"]));
    let rows = back_to_5.rows.as_ref().unwrap();
    assert_eq!(rows[0].configuration.get(), r#"{"r":2}"#);
    assert_eq!(rows[1].configuration.get(), r#"{"r":"two"}"#);

    let versions = client
        .list_config_versions(&mysql(), &cfg("c"))
        .await
        .unwrap();
    assert_eq!(versions.len(), 8);
    assert_eq!(versions[1].change_description, "undo everything");
    // The new version holds what the rollback made.
    let v7 = client
        .get_config_version(&mysql(), &cfg("c"), 7)
        .await
        .unwrap();
    assert_eq!(text(&v7.configuration), Some(r#"{"v":1}"#));
    assert_eq!(row_ids(v7.rows.as_ref().unwrap()), strings(&["r1"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_a_missing_version_is_404() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    new_config(&client, "c", r#"{"v":1}"#).await;
    expect_error(
        client.rollback_config(&mysql(), &cfg("c"), 2, None).await,
        404,
        "components.configurations.versionNotFound",
    );
    expect_error(
        client.rollback_config(&mysql(), &cfg("c"), 99, None).await,
        404,
        "components.configurations.versionNotFound",
    );
    expect_error(
        client
            .rollback_config(&mysql(), &cfg("missing"), 1, None)
            .await,
        404,
        "components.configurations.notFound",
    );
    let after = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(after.version, 1);
    assert_eq!(
        client
            .list_config_versions(&mysql(), &cfg("c"))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_metadata_is_written_listed_and_deleted() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    new_config(&client, "c", "{}").await;
    let kv = |key: &str, value: &str| MetadataKeyValue {
        key: key.into(),
        value: value.into(),
    };
    let written = client
        .write_config_metadata(
            &mysql(),
            &cfg("c"),
            &MetadataWrite {
                provider: "user".into(),
                metadata: vec![
                    kv("KBC.configuration.folderName", "Sales"),
                    kv("owner", "ann"),
                ],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pairs = |entries: &[stackport_model::api::MetadataEntry]| {
        entries
            .iter()
            .map(|e| (e.provider.clone(), e.key.clone(), e.value.clone()))
            .collect::<Vec<_>>()
    };
    let expected = vec![
        (
            "user".to_string(),
            "KBC.configuration.folderName".to_string(),
            "Sales".to_string(),
        ),
        ("user".to_string(), "owner".to_string(), "ann".to_string()),
    ];
    assert_eq!(pairs(&written), expected);
    assert_eq!(
        pairs(&client.config_metadata(&mysql(), &cfg("c")).await.unwrap()),
        expected
    );

    // The same key again replaces the value.
    client
        .write_config_metadata(
            &mysql(),
            &cfg("c"),
            &MetadataWrite {
                provider: "user".into(),
                metadata: vec![kv("owner", "bob")],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let listed = client.config_metadata(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(
        pairs(&listed),
        vec![
            expected[0].clone(),
            ("user".to_string(), "owner".to_string(), "bob".to_string()),
        ]
    );

    let folder = listed[0].id;
    client
        .delete_config_metadata(&mysql(), &cfg("c"), folder)
        .await
        .unwrap();
    assert_eq!(
        pairs(&client.config_metadata(&mysql(), &cfg("c")).await.unwrap()),
        vec![("user".to_string(), "owner".to_string(), "bob".to_string())]
    );
    expect_status(
        client
            .delete_config_metadata(&mysql(), &cfg("c"), folder)
            .await,
        404,
    );
    expect_error(
        client.config_metadata(&mysql(), &cfg("missing")).await,
        404,
        "components.configurations.notFound",
    );
    // Metadata is not a change of the configuration.
    assert_eq!(
        client
            .get_config(&mysql(), &cfg("c"))
            .await
            .unwrap()
            .version,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_projects_configuration_is_404() {
    let app = spawn_app().await;
    let a = app.new_project("A").await;
    let b = app.new_project("B").await;
    let original = new_config(&a, "shared", r#"{"owner":"A"}"#).await;
    new_row(&a, "shared", "r1", "{}").await;
    let original = a
        .get_config(&mysql(), &original.id)
        .await
        .expect("A reads its configuration");
    let c = cfg("shared");
    let nf = "components.configurations.notFound";

    expect_error(b.get_config(&mysql(), &c).await, 404, nf);
    expect_error(
        b.update_config(
            &mysql(),
            &c,
            &ConfigurationUpdate {
                name: Some("stolen".into()),
                ..Default::default()
            },
        )
        .await,
        404,
        nf,
    );
    expect_error(
        b.update_config_state(&mysql(), &c, &json("{}")).await,
        404,
        nf,
    );
    expect_error(b.delete_config(&mysql(), &c).await, 404, nf);
    expect_error(b.restore_config(&mysql(), &c).await, 404, nf);
    expect_error(b.list_config_versions(&mysql(), &c).await, 404, nf);
    expect_error(b.get_config_version(&mysql(), &c, 1).await, 404, nf);
    expect_error(b.rollback_config(&mysql(), &c, 1, None).await, 404, nf);
    expect_error(b.list_rows(&mysql(), &c).await, 404, nf);
    expect_error(b.get_row(&mysql(), &c, &rid("r1")).await, 404, nf);
    expect_error(
        b.create_row(&mysql(), &c, &NewRow::default()).await,
        404,
        nf,
    );
    expect_error(b.delete_row(&mysql(), &c, &rid("r1")).await, 404, nf);
    expect_error(b.config_metadata(&mysql(), &c).await, 404, nf);
    expect_error(b.config_secrets(&mysql(), &c).await, 404, nf);
    assert!(b.list_configs(&mysql()).await.unwrap().is_empty());
    assert!(b.list_deleted_configs(&mysql()).await.unwrap().is_empty());
    assert!(b.list_components("", false).await.unwrap().is_empty());

    // A is untouched, and B has its own namespace of ids.
    assert_eq!(a.get_config(&mysql(), &c).await.unwrap(), original);
    let own = new_config(&b, "shared", r#"{"owner":"B"}"#).await;
    assert_eq!(own.version, 1);
    assert_eq!(text(&own.configuration), Some(r#"{"owner":"B"}"#));
    assert_eq!(a.get_config(&mysql(), &c).await.unwrap(), original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_access_decides_which_configurations_a_token_may_use() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    new_config(&master, "m1", "{}").await;
    master
        .create_config(
            &writer(),
            &NewConfiguration {
                name: "writer".into(),
                configuration_id: Some(cfg("w1")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let token = |description: &str, component_access: Option<Vec<String>>| {
        let master = master.clone();
        let description = description.to_string();
        async move {
            master
                .create_token(&NewToken {
                    description,
                    component_access,
                    ..Default::default()
                })
                .await
                .unwrap()
                .token
                .unwrap()
        }
    };

    let plain = app.client(&token("plain", None).await);
    expect_error(plain.list_configs(&mysql()).await, 403, "accessDenied");
    expect_error(
        plain.get_config(&mysql(), &cfg("m1")).await,
        403,
        "accessDenied",
    );
    expect_error(
        plain
            .create_config(
                &mysql(),
                &NewConfiguration {
                    name: "nope".into(),
                    ..Default::default()
                },
            )
            .await,
        403,
        "accessDenied",
    );
    expect_error(
        plain
            .update_config(
                &mysql(),
                &cfg("m1"),
                &ConfigurationUpdate {
                    name: Some("nope".into()),
                    ..Default::default()
                },
            )
            .await,
        403,
        "accessDenied",
    );
    expect_error(
        plain.delete_config(&mysql(), &cfg("m1")).await,
        403,
        "accessDenied",
    );
    expect_error(
        plain.list_config_versions(&mysql(), &cfg("m1")).await,
        403,
        "accessDenied",
    );
    assert!(plain.list_components("", false).await.unwrap().is_empty());

    let mysql_only = app.client(&token("mysql", Some(strings(&[MYSQL]))).await);
    let listed = mysql_only.list_configs(&mysql()).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        strings(&["m1"])
    );
    mysql_only.get_config(&mysql(), &cfg("m1")).await.unwrap();
    new_config(&mysql_only, "t1", r#"{"by":"token"}"#).await;
    new_row(&mysql_only, "t1", "r", "{}").await;
    let updated = mysql_only
        .update_config(
            &mysql(),
            &cfg("t1"),
            &ConfigurationUpdate {
                description: Some("by the limited token".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.version, 3);
    expect_error(
        mysql_only.get_config(&writer(), &cfg("w1")).await,
        403,
        "accessDenied",
    );
    expect_error(
        mysql_only
            .create_config(
                &writer(),
                &NewConfiguration {
                    name: "nope".into(),
                    ..Default::default()
                },
            )
            .await,
        403,
        "accessDenied",
    );
    let components: Vec<String> = mysql_only
        .list_components("", false)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(components, strings(&[MYSQL]));
    // What it made, the master sees.
    assert_eq!(
        text(
            &master
                .get_config(&mysql(), &cfg("t1"))
                .await
                .unwrap()
                .configuration
        ),
        Some(r#"{"by":"token"}"#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branch_default_paths_are_the_same_as_the_plain_ones() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let token = created.token.as_str();
    new_config(&client, "c1", ODD).await;
    new_row(&client, "c1", "r1", ODD_STATE).await;

    let plain = format!("/v2/storage/components/{MYSQL}/configs");
    let branch = format!("/v2/storage/branch/default/components/{MYSQL}/configs");
    for suffix in [
        "/c1",
        "",
        "/c1/rows",
        "/c1/rows/r1",
        "/c1/versions",
        "/c1/versions/2",
    ] {
        let (s1, b1) = raw(
            &app,
            reqwest::Method::GET,
            &format!("{plain}{suffix}"),
            token,
            None,
        )
        .await;
        let (s2, b2) = raw(
            &app,
            reqwest::Method::GET,
            &format!("{branch}{suffix}"),
            token,
            None,
        )
        .await;
        assert_eq!((s1, s2), (200, 200), "{suffix}: {b1} / {b2}");
        assert_eq!(b1, b2, "{suffix}");
    }
    let (_, body) = raw(
        &app,
        reqwest::Method::GET,
        &format!("{branch}/c1"),
        token,
        None,
    )
    .await;
    let via_branch: Configuration = serde_json::from_str(&body).unwrap();
    assert_eq!(
        via_branch,
        client.get_config(&mysql(), &cfg("c1")).await.unwrap()
    );
    assert_eq!(text(&via_branch.configuration), Some(ODD));

    // Components with configurations.
    let (s1, b1) = raw(
        &app,
        reqwest::Method::GET,
        "/v2/storage/components",
        token,
        None,
    )
    .await;
    let (s2, b2) = raw(
        &app,
        reqwest::Method::GET,
        "/v2/storage/branch/default/components",
        token,
        None,
    )
    .await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(b1, b2);

    // Writes through the branch path land in the same place.
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &branch,
        token,
        Some(serde_json::json!({"name": "via branch", "configurationId": "c2"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let c2 = client.get_config(&mysql(), &cfg("c2")).await.unwrap();
    assert_eq!(c2.name, "via branch");
    let (status, body) = raw(
        &app,
        reqwest::Method::PUT,
        &format!("{branch}/c2"),
        token,
        Some(serde_json::json!({"description": "changed via branch"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        client
            .get_config(&mysql(), &cfg("c2"))
            .await
            .unwrap()
            .description,
        "changed via branch"
    );
    let (status, body) = raw(
        &app,
        reqwest::Method::DELETE,
        &format!("{branch}/c2"),
        token,
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        client.list_deleted_configs(&mysql()).await.unwrap()[0]
            .id
            .as_str(),
        "c2"
    );
    // The plain path answers 201 to a create as well.
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &plain,
        token,
        Some(serde_json::json!({"name": "via plain", "configurationId": "c3"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // Another project's token gets 404 on the branch path too.
    let other = app.new_project_full("other").await.0;
    let (status, _) = raw(
        &app,
        reqwest::Method::GET,
        &format!("{branch}/c1"),
        &other.token,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_id_make_one_configuration() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let attempts = (0..8).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .create_config(
                    &mysql(),
                    &NewConfiguration {
                        name: format!("attempt {i}"),
                        configuration_id: Some(cfg("race")),
                        ..Default::default()
                    },
                )
                .await
        })
    });
    let mut created = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            result => {
                expect_error(result, 409, "components.configurations.alreadyExists");
            }
        }
    }
    assert_eq!(created, 1);
    let listed = client.list_configs(&mysql()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].version, 1);
    assert_eq!(
        client
            .list_config_versions(&mysql(), &cfg("race"))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transformations_are_configurations_with_mappings_and_code_blocks() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let sql: ComponentId = "keboola.snowflake-transformation".parse().unwrap();
    let doc = r#"{"storage":{"input":{"tables":[{"source":"in.c-sales.orders","destination":"orders","columns":["id","amount"],"changed_since":"-7 days","where_column":"country","where_values":["CZ","SK"]}]},"output":{"tables":[{"source":"totals","destination":"out.c-reports.totals","incremental":true,"primary_key":["country"]}]}},"parameters":{"blocks":[{"name":"Totals","codes":[{"name":"sum","script":["CREATE TABLE \"totals\" AS SELECT \"country\", SUM(\"amount\") FROM \"orders\" GROUP BY 1;"]}]}]}}"#;
    let created = client
        .create_config(
            &sql,
            &NewConfiguration {
                name: "Totals by country".into(),
                configuration: Some(json(doc)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(text(&created.configuration), Some(doc));
    let value = created.configuration.as_ref().unwrap().to_value();
    assert_eq!(
        value["storage"]["input"]["tables"][0]["source"],
        "in.c-sales.orders"
    );
    assert_eq!(
        value["storage"]["output"]["tables"][0]["primary_key"][0],
        "country"
    );
    let listed = client.list_components("", false).await.unwrap();
    let entry = listed.iter().find(|c| c.id == sql).unwrap();
    assert_eq!(
        entry.component_type,
        Some(stackport_model::api::ComponentType::Transformation)
    );
    assert_eq!(entry.configurations.len(), 1);
}
