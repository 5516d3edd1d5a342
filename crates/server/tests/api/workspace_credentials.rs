//! kbcstorage's `workspaces.create` with every argument it may send, `reset_password`,
//! `set_public_key`, and `configurations.list_config_workspaces`.

use serde_json::json;
use stackport_model::api::{NewConfiguration, RawJson};
use stackport_model::ComponentId;

use crate::helpers::*;
use crate::raw::{form, post_ok, send, Body};

const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_takes_every_argument_kbcstorage_sends_and_refuses_other_backends() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let token = &created.token;

    // kbcstorage reads owner.defaultBackend first: sqlite, so it makes no Snowflake key pair.
    let verified = client.verify_token().await.unwrap();
    assert_eq!(verified.owner.default_backend, "sqlite");
    let (_, raw) = send(
        &app,
        token,
        reqwest::Method::GET,
        "/v2/storage/tokens/verify",
        Body::None,
    )
    .await;
    assert_eq!(raw["owner"]["defaultBackend"], "sqlite");

    let ws = post_ok(
        &app,
        token,
        "/v2/storage/workspaces",
        form(&[
            ("backend", "sqlite"),
            ("statementTimeoutSeconds", "3600"),
            ("loginType", "default"),
            ("publicKey", PUBLIC_KEY),
            ("readOnlyStorageAccess", "true"),
        ]),
    )
    .await;
    assert_eq!(ws["statementTimeoutSeconds"], 3600);
    assert_eq!(ws["readOnlyStorageAccess"], true);
    assert_eq!(ws["connection"]["loginType"], "default");
    assert!(ws["connection"]["password"].is_string());

    for (pairs, status, says) in [
        (
            vec![("backend", "snowflake")],
            501,
            "only in the project's backend",
        ),
        (vec![("backend", "nosql")], 400, "accepted: 'sqlite'"),
        (
            vec![
                ("backend", "sqlite"),
                ("loginType", "snowflake-service-keypair"),
            ],
            501,
            "Snowflake login",
        ),
        (vec![("loginType", "kerberos")], 400, "accepted: 'default'"),
        (
            vec![("statementTimeoutSeconds", "99999999")],
            400,
            "over the limit",
        ),
        (
            vec![("publicKey", "ssh-rsa AAAA")],
            400,
            "not a PEM public key",
        ),
        (
            vec![("readOnlyStorageAccess", "maybe")],
            400,
            "accepted: true, false",
        ),
    ] {
        let (got, answer) = send(
            &app,
            token,
            reqwest::Method::POST,
            "/v2/storage/workspaces",
            form(&pairs),
        )
        .await;
        assert_eq!(got, status, "{pairs:?}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(says), "{pairs:?}: {message}");
    }
    assert_eq!(
        client.list_workspaces().await.unwrap().len(),
        1,
        "nothing refused was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_is_shown_once_and_a_provisioned_writer_keeps_connecting() {
    let mut app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let writer: ComponentId = "keboola.wr-db-snowflake".parse().unwrap();
    let config = client
        .create_config(
            &writer,
            &NewConfiguration {
                name: "w".into(),
                configuration: Some(RawJson::from_string("{}".into()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ws = post_ok(
        &app,
        &created.token,
        &format!(
            "/v2/storage/branch/default/components/{writer}/configs/{}/workspaces",
            config.id
        ),
        Body::Json(json!({})),
    )
    .await;
    let id = ws["id"].as_u64().unwrap();
    let first = ws["connection"]["password"].as_str().unwrap().to_string();

    // kbcstorage's reset_password: a POST without a body.
    let answer = post_ok(
        &app,
        &created.token,
        &format!("/v2/storage/workspaces/{id}/password"),
        Body::None,
    )
    .await;
    let second = answer["password"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let (_, detail) = send(
        &app,
        &created.token,
        reqwest::Method::GET,
        &format!("/v2/storage/workspaces/{id}"),
        Body::None,
    )
    .await;
    assert!(detail["connection"].get("password").is_none(), "{detail}");
    let sealed = detail["connection"]["#password"].as_str().unwrap();
    assert_ne!(sealed, ws["connection"]["#password"].as_str().unwrap());
    let after = client.get_config(&writer, &config.id).await.unwrap();
    let doc = after.configuration.unwrap().to_value();
    assert_eq!(doc["parameters"]["db"]["#password"], sealed);

    // The configuration's workspaces: this one.
    let listed = client
        .list_config_workspaces(&writer, &config.id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id.to_string(), id.to_string());
    expect_error(
        client
            .list_config_workspaces(&writer, &"missing".parse().unwrap())
            .await,
        404,
        "components.configurations.notFound",
    );

    // A public key: a PEM one is kept; anything else is refused.
    let (status, _) = send(
        &app,
        &created.token,
        reqwest::Method::POST,
        &format!("/v2/storage/workspaces/{id}/public-key"),
        Body::Json(json!({ "publicKey": PUBLIC_KEY })),
    )
    .await;
    assert_eq!(status, 200);
    for bad in [
        "",
        "-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----",
    ] {
        let (status, answer) = send(
            &app,
            &created.token,
            reqwest::Method::POST,
            &format!("/v2/storage/workspaces/{id}/public-key"),
            Body::Json(json!({ "publicKey": bad })),
        )
        .await;
        assert_eq!(status, 400, "{answer}");
    }
    let (status, _) = send(
        &app,
        &created.token,
        reqwest::Method::POST,
        "/v2/storage/workspaces/999/password",
        Body::None,
    )
    .await;
    assert_eq!(status, 404);

    app.stop().await;
    assert_no_plaintext(&app.dir, &first);
    assert_no_plaintext(&app.dir, &second);
}
