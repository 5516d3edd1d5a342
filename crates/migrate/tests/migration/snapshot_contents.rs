//! What a snapshot of a real project holds: every configuration, whatever its id, and no
//! secret in any shape a user may have stored one.

use stackport_migrate::snapshot::{self, SnapshotOptions};
use stackport_model::api::{NewConfiguration, RawJson};
use stackport_model::{ComponentId, ConfigId};

use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_with_dots_and_secrets_in_any_shape_are_handled() {
    let world = World::new("snap-contents").await;
    let src = world.source_client();
    let mysql: ComponentId = "keboola.ex-db-mysql".parse().unwrap();
    let leaks = [
        "plain-in-an-object",
        "plain-in-an-array",
        "oops-real-password",
        "inline-app-secret",
    ];
    let doc = format!(
        r##"{{"parameters": {{"#creds": {{"pass": "{}"}}, "#list": [{{"k": "{}"}}], "#p": "{{{{{}}}}}", "host": "db.example.com"}},
            "authorization": {{"credentials": {{"appSecret": "{}"}}}}}}"##,
        leaks[0], leaks[1], leaks[2], leaks[3]
    );
    for id in ["orders", "orders.metadata", "v1.2.3"] {
        src.create_config(
            &mysql,
            &NewConfiguration {
                name: format!("Config {id}"),
                configuration_id: Some(id.parse::<ConfigId>().unwrap()),
                configuration: Some(RawJson::from_string(doc.clone()).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    // The stack seals what is under a # key at any depth; the inline OAuth secret is not
    // under one, so only the snapshot's own rule stands between it and the snapshot.
    let stored = src
        .get_config(&mysql, &"orders".parse().unwrap())
        .await
        .unwrap();
    let stored = stored.configuration.unwrap();
    assert!(!stored.get().contains(leaks[0]) && !stored.get().contains(leaks[1]));
    assert!(stored.get().contains(leaks[3]));

    let dir = world.work("snap");
    let made = snapshot::create(
        &world.source_endpoint(),
        &dir,
        &SnapshotOptions::default(),
        quiet(),
    )
    .await
    .unwrap();
    let opened = snapshot::open(&dir).unwrap();
    assert_eq!(
        opened.configurations.len() as u64,
        made.manifest.inventory.configurations
    );
    for id in ["orders", "orders.metadata", "v1.2.3"] {
        let c = opened
            .configurations
            .iter()
            .find(|c| c.component_id == mysql && c.configuration.id.as_str() == id)
            .unwrap_or_else(|| panic!("configuration {id} is in the snapshot"));
        let text = c.configuration.configuration.as_ref().unwrap().get();
        assert!(text.contains("db.example.com"), "the rest is kept: {text}");
        let paths: Vec<&str> = opened
            .secrets
            .iter()
            .filter(|s| s.config_id.as_str() == id)
            .map(|s| s.path.as_str())
            .collect();
        for p in [
            "parameters.#creds.pass",
            "parameters.#list[0].k",
            "parameters.#p",
            "authorization.credentials",
        ] {
            assert!(
                paths.contains(&p),
                "{id}: {p} is on the checklist: {paths:?}"
            );
        }
    }
    for file in files_under(&dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for leak in leaks {
            assert!(!text.contains(leak), "{} holds {leak}", file.display());
        }
    }
    world.stop().await;
}
