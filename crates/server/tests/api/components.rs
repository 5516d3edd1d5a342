//! The component registry of a stack (`GET /v2/storage`, `/manage/components`) and the project's
//! components with configurations (`GET /v2/storage/components`).

use stackport_client::Client;
use stackport_model::api::{
    Component, ComponentConfigurations, ComponentType, NewConfiguration, DEPRECATED,
};
use stackport_model::ComponentId;

use crate::helpers::*;

const MYSQL: &str = "keboola.ex-db-mysql";
const MYSQL_CUSTOM: &str = "keboola.ex-db-mysql-custom";
const SNOWFLAKE_WRITER: &str = "keboola.wr-db-snowflake";

fn component_id(s: &str) -> ComponentId {
    s.parse().expect("a valid component id")
}

fn component(id: &str, component_type: ComponentType, name: &str) -> Component {
    Component {
        id: component_id(id),
        component_type,
        name: name.into(),
        description: String::new(),
        flags: Vec::new(),
        replaced_by: None,
        provisions: None,
        oauth: None,
        runner: None,
    }
}

/// A small registry of three components, one of them deprecated.
fn small_registry() -> Vec<Component> {
    vec![
        component("acme.ex-one", ComponentType::Extractor, "Acme One"),
        Component {
            flags: vec![DEPRECATED.to_string()],
            replaced_by: Some(component_id("acme.ex-one")),
            ..component("acme.ex-old", ComponentType::Extractor, "Acme Old")
        },
        component("acme.wr-two", ComponentType::Writer, "Acme Two"),
    ]
}

fn ids(components: &[Component]) -> Vec<String> {
    components.iter().map(|c| c.id.to_string()).collect()
}

/// The registry as stored in the data dir.
fn registry_file(app: &TestApp) -> Vec<Component> {
    let text = std::fs::read_to_string(app.dir.join("components.json"))
        .expect("the data dir holds components.json");
    serde_json::from_str(&text).expect("components.json is a list of components")
}

async fn create_config(client: &Client, component: &str, id: &str) {
    client
        .create_config(
            &component_id(component),
            &NewConfiguration {
                name: format!("config {id}"),
                configuration_id: Some(id.parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("configuration {id} of {component} is created: {e}"));
}

/// (component id, component type, configuration ids) of a listing.
fn summary(
    listed: &[ComponentConfigurations],
) -> Vec<(String, Option<ComponentType>, Vec<String>)> {
    listed
        .iter()
        .map(|c| {
            (
                c.id.to_string(),
                c.component_type,
                c.configurations.iter().map(|k| k.id.to_string()).collect(),
            )
        })
        .collect()
}

fn entry(
    id: &str,
    component_type: Option<ComponentType>,
    configs: &[&str],
) -> (String, Option<ComponentType>, Vec<String>) {
    (id.to_string(), component_type, strings(configs))
}

/// A GET with one header, as (status, body).
async fn raw_get(app: &TestApp, path: &str, header: &str, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .header(header, token)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_index_lists_the_registry() {
    let app = spawn_app().await;
    let index = app.anonymous().index().await.unwrap();
    let components = index.components;
    assert!(components.len() >= 30, "{:?}", ids(&components));
    assert_eq!(components, app.manage.manage_components().await.unwrap());

    let mysql = components
        .iter()
        .find(|c| c.id.as_str() == MYSQL)
        .expect("the MySQL extractor is in the default registry");
    assert_eq!(mysql.component_type, ComponentType::Extractor);
    assert!(!mysql.is_deprecated());

    let custom = components
        .iter()
        .find(|c| c.id.as_str() == MYSQL_CUSTOM)
        .expect("the deprecated MySQL extractor is in the default registry");
    assert!(custom.is_deprecated());
    assert_eq!(custom.replaced_by, Some(component_id(MYSQL)));

    // Every replacement is itself in the registry, and ids are unique.
    for c in &components {
        if let Some(to) = &c.replaced_by {
            assert!(components.iter().any(|k| &k.id == to), "{} → {to}", c.id);
        }
    }
    let mut unique = ids(&components);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), components.len());

    // The file in the data dir holds the same registry.
    assert_eq!(registry_file(&app), components);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_is_replaced_and_survives_a_restart() {
    let mut app = spawn_app().await;
    let registry = small_registry();
    let answered = app.manage.replace_components(&registry).await.unwrap();
    assert_eq!(answered, registry);
    assert_eq!(app.manage.manage_components().await.unwrap(), registry);
    assert_eq!(app.anonymous().index().await.unwrap().components, registry);
    assert_eq!(registry_file(&app), registry, "components.json is updated");

    app.stop().await;
    assert_eq!(registry_file(&app), registry);
    app.start().await;
    assert_eq!(app.manage.manage_components().await.unwrap(), registry);
    assert_eq!(app.anonymous().index().await.unwrap().components, registry);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_registry_is_refused_and_the_old_one_stays() {
    let app = spawn_app().await;
    let before = app.manage.manage_components().await.unwrap();
    let file_before = std::fs::read(app.dir.join("components.json")).unwrap();

    let duplicate = {
        let mut r = small_registry();
        r.push(component("acme.ex-one", ComponentType::Writer, "Again"));
        r
    };
    let body = expect_error(
        app.manage.replace_components(&duplicate).await,
        400,
        "components.invalidRegistry",
    );
    assert!(body.error.contains("acme.ex-one"), "{}", body.error);

    let dangling = vec![Component {
        replaced_by: Some(component_id("acme.missing")),
        ..component("acme.ex-one", ComponentType::Extractor, "One")
    }];
    let body = expect_error(
        app.manage.replace_components(&dangling).await,
        400,
        "components.invalidRegistry",
    );
    assert!(body.error.contains("acme.missing"), "{}", body.error);

    let self_replacing = vec![Component {
        replaced_by: Some(component_id("acme.ex-one")),
        ..component("acme.ex-one", ComponentType::Extractor, "One")
    }];
    expect_error(
        app.manage.replace_components(&self_replacing).await,
        400,
        "components.invalidRegistry",
    );

    let nameless = vec![component("acme.ex-one", ComponentType::Extractor, " ")];
    expect_error(
        app.manage.replace_components(&nameless).await,
        400,
        "components.invalidRegistry",
    );

    assert_eq!(app.manage.manage_components().await.unwrap(), before);
    assert_eq!(app.anonymous().index().await.unwrap().components, before);
    assert_eq!(
        std::fs::read(app.dir.join("components.json")).unwrap(),
        file_before,
        "components.json is untouched"
    );
    // Configurations of the old registry's components can still be made.
    let client = app.new_project("p").await;
    create_config(&client, MYSQL, "still-works").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_token_cannot_manage_components() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let before = app.manage.manage_components().await.unwrap();

    // The typed client sends a Storage token only to /v2 paths: no manage token at all.
    expect_error(client.manage_components().await, 401, "invalidToken");
    expect_error(
        client.replace_components(&small_registry()).await,
        401,
        "invalidToken",
    );

    // A Storage token in either header does not open /manage either.
    for header in ["X-StorageApi-Token", "X-KBC-ManageApiToken"] {
        let (status, body) = raw_get(&app, "/manage/components", header, &created.token).await;
        assert_eq!(status, 401, "{header}: {body}");
    }
    let response = reqwest::Client::new()
        .put(format!("{}/manage/components", app.url))
        .header("X-StorageApi-Token", &created.token)
        .json(&small_registry())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    assert_eq!(app.manage.manage_components().await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stacks_can_have_different_registries() {
    let one = spawn_app().await;
    let two = spawn_app().await;
    let on_one = one.new_project("p").await;
    let on_two = two.new_project("p").await;

    // A configuration made before the component leaves the registry stays.
    create_config(&on_one, SNOWFLAKE_WRITER, "before").await;

    let without: Vec<Component> = one
        .manage
        .manage_components()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.id.as_str() != SNOWFLAKE_WRITER)
        .collect();
    one.manage.replace_components(&without).await.unwrap();
    assert!(!ids(&one.anonymous().index().await.unwrap().components)
        .contains(&SNOWFLAKE_WRITER.to_string()));
    assert!(ids(&two.anonymous().index().await.unwrap().components)
        .contains(&SNOWFLAKE_WRITER.to_string()));

    let body = expect_error(
        on_one
            .create_config(
                &component_id(SNOWFLAKE_WRITER),
                &NewConfiguration {
                    name: "after".into(),
                    ..Default::default()
                },
            )
            .await,
        400,
        "components.unknown",
    );
    assert!(body.error.contains(SNOWFLAKE_WRITER), "{}", body.error);
    create_config(&on_two, SNOWFLAKE_WRITER, "after").await;

    // The old configuration is still there, listed with no type and its id for a name.
    let kept = on_one
        .get_config(&component_id(SNOWFLAKE_WRITER), &"before".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(kept.name, "config before");
    let listed = on_one.list_components("", false).await.unwrap();
    assert_eq!(
        summary(&listed),
        vec![entry(SNOWFLAKE_WRITER, None, &["before"])]
    );
    assert_eq!(listed[0].name, SNOWFLAKE_WRITER);

    // Put back, it can be configured again.
    let mut back = without;
    back.push(component(
        SNOWFLAKE_WRITER,
        ComponentType::Writer,
        "Snowflake",
    ));
    one.manage.replace_components(&back).await.unwrap();
    create_config(&on_one, SNOWFLAKE_WRITER, "again").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_with_configurations_are_listed() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    assert!(client.list_components("", false).await.unwrap().is_empty());

    create_config(&client, MYSQL, "m1").await;
    create_config(&client, MYSQL, "m2").await;
    create_config(&client, SNOWFLAKE_WRITER, "w1").await;
    // Another project's configurations are not listed.
    create_config(&app.new_project("other").await, MYSQL_CUSTOM, "x").await;

    let listed = client.list_components("", false).await.unwrap();
    assert_eq!(
        summary(&listed),
        vec![
            entry(MYSQL, Some(ComponentType::Extractor), &["m1", "m2"]),
            entry(SNOWFLAKE_WRITER, Some(ComponentType::Writer), &["w1"]),
        ]
    );
    let registry = app.manage.manage_components().await.unwrap();
    let mysql_name = &registry
        .iter()
        .find(|c| c.id.as_str() == MYSQL)
        .unwrap()
        .name;
    assert_eq!(&listed[0].name, mysql_name);
    // Without include, the documents are left out; with it, they are there.
    assert!(listed[0].configurations[0].configuration.is_none());
    let full = client
        .list_components("configuration,state,rows", false)
        .await
        .unwrap();
    let first = &full[0].configurations[0];
    assert_eq!(first.configuration.as_ref().map(|c| c.get()), Some("{}"));
    assert_eq!(first.state.as_ref().map(|c| c.get()), Some("{}"));
    assert_eq!(first.rows.as_ref().map(Vec::len), Some(0));

    // The trash.
    client
        .delete_config(&component_id(MYSQL), &"m2".parse().unwrap())
        .await
        .unwrap();
    client
        .delete_config(&component_id(SNOWFLAKE_WRITER), &"w1".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        summary(&client.list_components("", false).await.unwrap()),
        vec![entry(MYSQL, Some(ComponentType::Extractor), &["m1"])]
    );
    let trashed = client.list_components("", true).await.unwrap();
    assert_eq!(
        summary(&trashed),
        vec![
            entry(MYSQL, Some(ComponentType::Extractor), &["m2"]),
            entry(SNOWFLAKE_WRITER, Some(ComponentType::Writer), &["w1"]),
        ]
    );
    assert!(trashed
        .iter()
        .flat_map(|c| &c.configurations)
        .all(|c| c.is_deleted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_are_filtered_by_type() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    create_config(&client, MYSQL, "m1").await;
    create_config(&client, SNOWFLAKE_WRITER, "w1").await;
    create_config(&client, "keboola.orchestrator", "o1").await;

    let by_type = |t: &'static str| {
        let app = &app;
        let token = created.token.clone();
        async move {
            let (status, body) = raw_get(
                app,
                &format!("/v2/storage/components?componentType={t}"),
                "X-StorageApi-Token",
                &token,
            )
            .await;
            assert_eq!(status, 200, "{t}: {body}");
            let listed: Vec<ComponentConfigurations> = serde_json::from_str(&body).unwrap();
            summary(&listed)
        }
    };
    assert_eq!(
        by_type("extractor").await,
        vec![entry(MYSQL, Some(ComponentType::Extractor), &["m1"])]
    );
    assert_eq!(
        by_type("writer").await,
        vec![entry(
            SNOWFLAKE_WRITER,
            Some(ComponentType::Writer),
            &["w1"]
        )]
    );
    assert_eq!(
        by_type("orchestrator").await,
        vec![entry(
            "keboola.orchestrator",
            Some(ComponentType::Orchestrator),
            &["o1"]
        )]
    );
    assert_eq!(by_type("transformation").await, vec![]);

    let (status, body) = raw_get(
        &app,
        "/v2/storage/components?componentType=extractors",
        "X-StorageApi-Token",
        &created.token,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let error: stackport_model::api::ErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(error.code, "invalidQuery");
}
