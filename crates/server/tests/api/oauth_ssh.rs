//! OAuth credentials and SSH keys: secrets from outside, sealed on arrival, never shown again.

use serde_json::json;
use stackport_model::api::{
    NewConfiguration, NewOAuthCredentials, NewSshKey, RawJson, SecretState, SshKeyType,
};
use stackport_model::{ComponentId, ConfigId, CredentialsId, ProjectId};
use stackport_stack::StackSettings;

use crate::helpers::*;

fn component(id: &str) -> ComponentId {
    id.parse().unwrap()
}

const DRIVE: &str = "keboola.ex-google-drive";

fn credentials(id: &str, token: &str) -> NewOAuthCredentials {
    NewOAuthCredentials {
        id: id.parse().unwrap(),
        authorized_for: "ana@example.com".into(),
        data: json!({ "access_token": token, "refresh_token": format!("{token}-refresh") }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_credentials_are_stored_without_ever_showing_their_tokens() {
    let mut app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let drive = component(DRIVE);
    let stored = client
        .create_oauth_credentials(&drive, &credentials("main", "ya29.oauth-access-XYZ"))
        .await
        .unwrap();
    assert_eq!(stored.id.as_str(), "main");
    assert_eq!(stored.authorized_for, "ana@example.com");
    assert_eq!(stored.app_key, "google-drive.apps.googleusercontent.com");
    assert_eq!(stored.oauth_version, "2.0");
    let listed = client.list_oauth_credentials(&drive).await.unwrap();
    assert_eq!(listed, vec![stored.clone()]);
    let one = client
        .get_oauth_credentials(&drive, &"main".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(one, stored);
    // No answer carries the token, in any form.
    let raw = reqwest::Client::new()
        .get(format!("{}/v2/oauth/credentials/{DRIVE}", app.url))
        .header("X-StorageApi-Token", &created.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!raw.contains("ya29.oauth-access-XYZ"), "{raw}");
    // Same id again is a conflict; a component without an OAuth app is refused.
    expect_error(
        client
            .create_oauth_credentials(&drive, &credentials("main", "other"))
            .await,
        409,
        "oauth.credentialsExist",
    );
    expect_error(
        client
            .create_oauth_credentials(&component("keboola.ex-db-mysql"), &credentials("x", "t"))
            .await,
        400,
        "oauth.notSupported",
    );
    // Another project does not see them.
    let other = app.new_project("q").await;
    expect_error(
        other
            .get_oauth_credentials(&drive, &"main".parse().unwrap())
            .await,
        404,
        "oauth.credentialsNotFound",
    );
    // The stack itself can open them (for jobs), and the token is nowhere on disk.
    app.stop().await;
    assert_no_plaintext(&app.dir, "ya29.oauth-access-XYZ");
    let stack =
        stackport_stack_sqlite::open(&app.dir, || StackSettings::local_default("127.0.0.1:0"))
            .unwrap();
    let opened = stack
        .open_oauth_credentials(created.project.id, &drive, &"main".parse().unwrap())
        .unwrap();
    assert_eq!(opened["access_token"], "ya29.oauth-access-XYZ");
    drop(stack);
    app.start().await;
    let client = app.client(&created.token);
    client
        .delete_oauth_credentials(&drive, &"main".parse::<CredentialsId>().unwrap())
        .await
        .unwrap();
    assert!(client
        .list_oauth_credentials(&drive)
        .await
        .unwrap()
        .is_empty());
}

/// Opens the sealed private key the way a job would, from the stopped app's data dir.
fn open_private_key(app: &TestApp, project: ProjectId, sealed: &str) -> String {
    let stack =
        stackport_stack_sqlite::open(&app.dir, || StackSettings::local_default("127.0.0.1:0"))
            .unwrap();
    let doc = RawJson::from_string(json!({ "#private": sealed }).to_string()).unwrap();
    let opened = stack
        .open_secrets(
            project,
            &component("keboola.ex-db-pgsql"),
            &"any-config".parse::<ConfigId>().unwrap(),
            &doc,
        )
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&opened).unwrap();
    value["#private"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_keys_are_real_pairs_with_the_private_half_sealed_for_the_project() {
    let mut app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let mut pairs = Vec::new();
    for key_type in [SshKeyType::Ed25519, SshKeyType::Rsa] {
        let pair = client
            .generate_ssh_key(&NewSshKey {
                key_type,
                comment: Some("tunnel to db".into()),
            })
            .await
            .unwrap();
        assert_eq!(pair.key_type, key_type);
        assert!(
            pair.private_key.starts_with("KBC::ProjectWideSecure::"),
            "{}",
            pair.private_key
        );
        assert!(!pair.private_key.contains("PRIVATE KEY"));
        let public = ssh_key::PublicKey::from_openssh(&pair.public_key).unwrap();
        assert_eq!(public.comment(), "tunnel to db");
        assert_eq!(
            public.fingerprint(ssh_key::HashAlg::Sha256).to_string(),
            pair.fingerprint
        );
        pairs.push(pair);
    }
    assert!(pairs[0].public_key.starts_with("ssh-ed25519 "));
    assert!(pairs[1].public_key.starts_with("ssh-rsa "));

    // The key goes into a configuration as the tunnel settings; the stack shows it as sealed.
    let pg = component("keboola.ex-db-pgsql");
    let doc = json!({ "parameters": { "db": { "ssh": {
        "enabled": true, "sshHost": "bastion.example.com", "sshPort": 22, "user": "tunnel",
        "keys": { "public": pairs[0].public_key, "#private": pairs[0].private_key }
    }}}});
    let config = client
        .create_config(
            &pg,
            &NewConfiguration {
                name: "behind a bastion".into(),
                configuration: Some(RawJson::from(&doc)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let statuses = client.config_secrets(&pg, &config.id).await.unwrap();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(
        statuses[0].path,
        "configuration.parameters.db.ssh.keys.#private"
    );
    assert_eq!(statuses[0].status, SecretState::Ok);

    // Another project cannot use the sealed key.
    let other = app.new_project("q").await;
    let copied = other
        .create_config(
            &pg,
            &NewConfiguration {
                name: "copied".into(),
                configuration: Some(RawJson::from(&doc)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let statuses = other.config_secrets(&pg, &copied.id).await.unwrap();
    assert_eq!(statuses[0].status, SecretState::Undecryptable);

    // Opened inside the stack, the private half matches the public half.
    app.stop().await;
    for pair in &pairs {
        let private = open_private_key(&app, created.project.id, &pair.private_key);
        let key = ssh_key::PrivateKey::from_openssh(&private).unwrap();
        assert_eq!(
            key.public_key().key_data(),
            ssh_key::PublicKey::from_openssh(&pair.public_key)
                .unwrap()
                .key_data()
        );
        assert_no_plaintext(&app.dir, private.lines().nth(1).unwrap());
    }
}
