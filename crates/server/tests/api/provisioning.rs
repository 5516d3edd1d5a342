//! Resources the stack provisions in its own accounts: workspaces and BI projects.

use stackport_model::api::{
    NewBiProject, NewConfiguration, NewWorkspace, Provision, RawJson, SecretState, Workspace,
    WorkspaceConnection,
};
use stackport_model::ComponentId;
use stackport_stack::StackSettings;

use crate::helpers::*;

fn component(id: &str) -> ComponentId {
    id.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_writer_gets_a_real_workspace_and_points_at_it() {
    let mut app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let writer = component("keboola.wr-db-snowflake");
    let doc = r#"{"storage": {"input": {"tables": []}}, "parameters": {"tables": [1, 2]}}"#;
    let config = client
        .create_config(
            &writer,
            &NewConfiguration {
                name: "to the warehouse".into(),
                configuration: Some(RawJson::from_string(doc.into()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let workspace = client
        .create_workspace(&NewWorkspace {
            component_id: Some(writer.clone()),
            configuration_id: Some(config.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let c = &workspace.connection;
    assert_eq!(c.backend, "sqlite");
    assert_eq!(c.schema, format!("WORKSPACE_{}", workspace.id));
    assert_eq!(c.user, c.schema);
    assert!(
        c.sealed_password.starts_with("KBC::ConfigSecure::"),
        "{}",
        c.sealed_password
    );
    // The database exists and is a SQLite database.
    let path = app.dir.join(&c.database);
    let header = std::fs::read(&path).unwrap();
    assert!(
        header.starts_with(b"SQLite format 3\0"),
        "{}",
        path.display()
    );

    // The configuration now points at it, as a new version, its other keys in place.
    let after = client.get_config(&writer, &config.id).await.unwrap();
    assert_eq!(after.version, config.version + 1);
    let value = after.configuration.as_ref().unwrap().to_value();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["storage", "parameters"]);
    assert_eq!(value["parameters"]["tables"], serde_json::json!([1, 2]));
    assert_eq!(value["parameters"]["db"]["schema"], c.schema.as_str());
    assert_eq!(
        value["parameters"]["db"]["#password"],
        c.sealed_password.as_str()
    );
    let secrets = client.config_secrets(&writer, &config.id).await.unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].status, SecretState::Ok);

    let provisioned = client.list_provisioned().await.unwrap();
    assert_eq!(provisioned.len(), 1);
    assert_eq!(provisioned[0].kind, Provision::Workspace);
    assert_eq!(provisioned[0].id, workspace.id.to_string());
    assert_eq!(provisioned[0].configuration_id.as_ref(), Some(&config.id));
    assert_eq!(provisioned[0].account, "local/sqlite");

    // Listed, readable, survives a restart, and deleting drops the database; only the create
    // answer had the plaintext password.
    assert!(workspace.connection.password.is_some());
    let workspace = Workspace {
        connection: WorkspaceConnection {
            password: None,
            ..workspace.connection
        },
        ..workspace
    };
    assert_eq!(
        client.list_workspaces().await.unwrap(),
        vec![workspace.clone()]
    );
    app.stop().await;
    app.start().await;
    let client = app.client(&created.token);
    assert_eq!(client.get_workspace(workspace.id).await.unwrap(), workspace);
    client.delete_workspace(workspace.id).await.unwrap();
    assert!(!path.exists());
    assert!(client.list_provisioned().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_need_an_existing_configuration_when_they_name_one() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let plain = client
        .create_workspace(&NewWorkspace::default())
        .await
        .unwrap();
    assert!(plain.component_id.is_none());
    assert!(plain
        .connection
        .sealed_password
        .starts_with("KBC::ProjectWideSecure::"));
    expect_error(
        client
            .create_workspace(&NewWorkspace {
                component_id: Some(component("keboola.wr-db-snowflake")),
                configuration_id: Some("missing".parse().unwrap()),
                ..Default::default()
            })
            .await,
        404,
        "components.configurations.notFound",
    );
    expect_error(
        client
            .create_workspace(&NewWorkspace {
                component_id: Some(component("keboola.wr-db-snowflake")),
                configuration_id: None,
                ..Default::default()
            })
            .await,
        400,
        "workspaces.invalid",
    );
    let other = app.new_project("q").await;
    expect_error(
        other.get_workspace(plain.id).await,
        404,
        "workspaces.notFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bi_writer_gets_a_bi_project_in_the_stacks_account() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let bi = component("keboola.gooddata-writer");
    let config = client
        .create_config(
            &bi,
            &NewConfiguration {
                name: "Sales dashboard".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let project = client
        .create_bi_project(&NewBiProject {
            component_id: bi.clone(),
            configuration_id: config.id.clone(),
            name: None,
        })
        .await
        .unwrap();
    assert_eq!(project.name, "Sales dashboard");
    assert_eq!(project.account, "local-bi");
    assert_eq!(project.id.len(), 32);
    assert!(project.password.starts_with("KBC::ConfigSecure::"));
    let value = client
        .get_config(&bi, &config.id)
        .await
        .unwrap()
        .configuration
        .unwrap()
        .to_value();
    assert_eq!(value["parameters"]["project"]["pid"], project.id.as_str());
    assert_eq!(value["parameters"]["user"]["login"], project.login.as_str());
    // One per configuration.
    expect_error(
        client
            .create_bi_project(&NewBiProject {
                component_id: bi.clone(),
                configuration_id: config.id.clone(),
                name: None,
            })
            .await,
        409,
        "provisioning.biProjectExists",
    );
    // Only for components the stack provisions BI projects for.
    let mysql = component("keboola.wr-db-mysql");
    let other_config = client
        .create_config(
            &mysql,
            &NewConfiguration {
                name: "x".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    expect_error(
        client
            .create_bi_project(&NewBiProject {
                component_id: mysql,
                configuration_id: other_config.id,
                name: None,
            })
            .await,
        400,
        "provisioning.notProvisioned",
    );
    let listed = client.list_provisioned().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind, Provision::BiProject);
    assert_eq!(listed[0].account, "local-bi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_without_a_bi_account_refuses_bi_projects() {
    let app = spawn_app_with(StackSettings {
        bi_account: None,
        ..StackSettings::local_default("127.0.0.1:0")
    })
    .await;
    let client = app.new_project("p").await;
    let bi = component("keboola.gooddata-writer");
    let config = client
        .create_config(
            &bi,
            &NewConfiguration {
                name: "x".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    expect_error(
        client
            .create_bi_project(&NewBiProject {
                component_id: bi,
                configuration_id: config.id,
                name: None,
            })
            .await,
        400,
        "provisioning.noBiAccount",
    );
}
