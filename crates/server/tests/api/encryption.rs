//! Sealed secrets: the encrypt endpoint, `#` values sealed when configurations are saved, which
//! secrets a configuration can open (`…/secrets`), and that plaintext never reaches the disk.

use serde_json::Value;
use stackport_client::Client;
use stackport_model::api::{
    ConfigurationUpdate, EncryptFor, NewConfiguration, NewRow, RawJson, RowUpdate, SecretState,
    SecretStatus,
};
use stackport_model::{ComponentId, ConfigId, RowId};

use crate::helpers::*;

const MYSQL: &str = "keboola.ex-db-mysql";
const PROJECT_SECURE: &str = "KBC::ProjectSecure::";

fn mysql() -> ComponentId {
    MYSQL.parse().unwrap()
}

fn cfg(s: &str) -> ConfigId {
    s.parse().unwrap()
}

fn rid(s: &str) -> RowId {
    s.parse().unwrap()
}

fn json(s: &str) -> RawJson {
    RawJson::from_string(s.to_string()).expect("valid JSON")
}

fn target(component: Option<&str>, project: Option<u64>, config: Option<&str>) -> EncryptFor {
    EncryptFor {
        component_id: component.map(|c| c.parse().unwrap()),
        project_id: project,
        config_id: config.map(cfg),
    }
}

/// The string at a JSON pointer.
#[track_caller]
fn at<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} is a string in {doc}"))
}

/// `(path, status)` pairs, sorted by path.
fn statuses(list: Vec<SecretStatus>) -> Vec<(String, SecretState)> {
    let mut out: Vec<_> = list.into_iter().map(|s| (s.path, s.status)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn status(path: &str, state: SecretState) -> (String, SecretState) {
    (path.to_string(), state)
}

/// Creates configuration `id` of the MySQL extractor with `configuration`.
async fn save(
    client: &Client,
    id: &str,
    configuration: &str,
) -> stackport_model::api::Configuration {
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

/// The stored configuration document of `id`, parsed.
async fn stored(client: &Client, id: &str) -> (String, Value) {
    let config = client.get_config(&mysql(), &cfg(id)).await.unwrap();
    let text = config.configuration.unwrap().get().to_string();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

async fn secrets_of(client: &Client, id: &str) -> Vec<(String, SecretState)> {
    statuses(client.config_secrets(&mysql(), &cfg(id)).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_seals_every_hash_value_at_any_depth() {
    let app = spawn_app().await;
    // The endpoint is public, as on the reference platform.
    let client = app.anonymous();
    let to = target(Some(MYSQL), Some(7), None);
    let already = client.encrypt_text(&to, "sealed-before").await.unwrap();
    assert!(already.starts_with(PROJECT_SECURE), "{already}");

    let doc = format!(
        "{{ \"#top\": \"t0p-secret\", \"plain\":\"visible\", \"n\":1.50e3,\n \"nested\": {{\"db\": {{\"#password\":\"deep-secret\", \"host\":\"h\"}},\n \"list\": [{{\"#token\":\"in-array-secret\"}}, \"x\"]}},\n \"#many\": [\"arr-secret-1\", [\"arr-secret-2\"]], \"#done\": \"{already}\", \"#\": \"bare-hash-secret\" }}"
    );
    let sealed = client.encrypt_json(&to, &doc).await.unwrap();
    let v: Value = serde_json::from_str(&sealed).expect("the answer is JSON");

    let secrets = [
        ("/#top", "t0p-secret"),
        ("/nested/db/#password", "deep-secret"),
        ("/nested/list/0/#token", "in-array-secret"),
        ("/#many/0", "arr-secret-1"),
        ("/#many/1/0", "arr-secret-2"),
        ("/#", "bare-hash-secret"),
    ];
    let mut expected = doc.clone();
    for (pointer, plain) in secrets {
        let ciphertext = at(&v, pointer);
        assert!(
            ciphertext.starts_with(PROJECT_SECURE),
            "{pointer}: {ciphertext}"
        );
        assert!(!sealed.contains(plain), "{plain} is still in {sealed}");
        expected = expected.replace(&format!("\"{plain}\""), &format!("\"{ciphertext}\""));
    }
    // Every other value, and the document's spelling, is left as it was.
    assert_eq!(
        at(&v, "/#done"),
        already,
        "a ciphertext is not sealed again"
    );
    assert_eq!(at(&v, "/plain"), "visible");
    assert_eq!(at(&v, "/nested/db/host"), "h");
    assert_eq!(at(&v, "/nested/list/1"), "x");
    assert_eq!(sealed, expected, "only the secrets changed");

    // Each sealing is fresh: the same plaintext twice gives two ciphertexts.
    let again = client
        .encrypt_json(&to, "{\"#a\":\"same\",\"#b\":\"same\"}")
        .await
        .unwrap();
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_ne!(at(&again, "/#a"), at(&again, "/#b"));

    // A JSON body that is not JSON is refused.
    expect_error(
        client.encrypt_json(&to, "{\"#a\": \"open").await,
        400,
        "encryption.invalidJson",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_prefix_follows_the_scope() {
    let app = spawn_app().await;
    let client = app.anonymous();
    let cases = [
        (target(Some(MYSQL), None, None), "KBC::ComponentSecure::"),
        (target(Some(MYSQL), Some(3), None), "KBC::ProjectSecure::"),
        (
            target(Some(MYSQL), Some(3), Some("cfg")),
            "KBC::ConfigSecure::",
        ),
        (target(None, Some(3), None), "KBC::ProjectWideSecure::"),
    ];
    for (to, prefix) in &cases {
        let text = client.encrypt_text(to, "text-secret").await.unwrap();
        assert!(text.starts_with(prefix), "{to:?}: {text}");
        assert!(!text.contains("text-secret"));
        let doc = client
            .encrypt_json(to, "{\"#p\":\"json-secret\"}")
            .await
            .unwrap();
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert!(at(&v, "/#p").starts_with(prefix), "{to:?}: {doc}");
        // A ciphertext sent again comes back as it is.
        assert_eq!(client.encrypt_text(to, &text).await.unwrap(), text);
    }

    // A text body is sealed whole, even when it looks like JSON.
    let to = target(Some(MYSQL), Some(3), None);
    let whole = client
        .encrypt_text(&to, "{\"#p\":\"looks-like-json\"}")
        .await
        .unwrap();
    assert!(whole.starts_with(PROJECT_SECURE), "{whole}");
    assert!(!whole.contains("looks-like-json"));
    assert!(!whole.contains('{'));
    // The same text twice gives two ciphertexts.
    assert_ne!(
        client.encrypt_text(&to, "twice").await.unwrap(),
        client.encrypt_text(&to, "twice").await.unwrap()
    );

    // A configuration cannot be named without its project.
    for to in [
        target(Some(MYSQL), None, Some("cfg")),
        target(None, None, Some("cfg")),
        target(None, Some(3), Some("cfg")),
    ] {
        expect_error(
            client.encrypt_text(&to, "x").await,
            400,
            "encryption.invalidScope",
        );
        expect_error(
            client.encrypt_json(&to, "{\"#p\":\"x\"}").await,
            400,
            "encryption.invalidScope",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_secrets_are_sealed_in_configurations_rows_and_state() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let configuration = r##"{"parameters": {"db": {"host":"h", "#password":"config-pw"}}, "#ref": "{{ vault.db }}"}"##;
    let created = client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "with secrets".into(),
                configuration_id: Some(cfg("c")),
                configuration: Some(json(configuration)),
                state: Some(json(r##"{"#stateToken":"state-pw"}"##)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let row = client
        .create_row(
            &mysql(),
            &cfg("c"),
            &NewRow {
                row_id: Some(rid("r1")),
                configuration: Some(json(r##"{"#rowSecret":"row-pw"}"##)),
                state: Some(json(r##"{"#rowState":"row-state-pw"}"##)),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // The answers already carry ciphertexts, and only the secret changed in the document.
    let (text, v) = stored(&client, "c").await;
    let sealed = at(&v, "/parameters/db/#password");
    assert!(sealed.starts_with(PROJECT_SECURE), "{sealed}");
    assert_eq!(
        text,
        configuration.replace("\"config-pw\"", &format!("\"{sealed}\""))
    );
    assert_eq!(
        at(&v, "/#ref"),
        "{{ vault.db }}",
        "a placeholder is no plaintext"
    );
    assert_eq!(created.configuration.as_ref().unwrap().get(), text);
    let state: Value = serde_json::from_str(created.state.as_ref().unwrap().get()).unwrap();
    assert!(at(&state, "/#stateToken").starts_with(PROJECT_SECURE));
    let row_config: Value = serde_json::from_str(row.configuration.get()).unwrap();
    assert!(at(&row_config, "/#rowSecret").starts_with(PROJECT_SECURE));
    let row_state: Value = serde_json::from_str(row.state.get()).unwrap();
    assert!(at(&row_state, "/#rowState").starts_with(PROJECT_SECURE));

    // Changes are sealed too.
    client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                configuration: Some(json(r##"{"#password":"updated-pw"}"##)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .update_config_state(&mysql(), &cfg("c"), &json(r##"{"#s":"new-state-pw"}"##))
        .await
        .unwrap();
    client
        .update_row(
            &mysql(),
            &cfg("c"),
            &rid("r1"),
            &RowUpdate {
                configuration: Some(json(r##"{"#r":"updated-row-pw"}"##)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .update_row_state(
            &mysql(),
            &cfg("c"),
            &rid("r1"),
            &json(r##"{"#rs":"new-row-state-pw"}"##),
        )
        .await
        .unwrap();

    let config = client.get_config(&mysql(), &cfg("c")).await.unwrap();
    let versions = client
        .list_config_versions(&mysql(), &cfg("c"))
        .await
        .unwrap();
    let mut shown = vec![serde_json::to_string(&config).unwrap()];
    for v in &versions {
        let full = client
            .get_config_version(&mysql(), &cfg("c"), v.version)
            .await
            .unwrap();
        shown.push(serde_json::to_string(&full).unwrap());
    }
    for answer in &shown {
        for plain in [
            "config-pw",
            "state-pw",
            "row-pw",
            "row-state-pw",
            "updated-pw",
            "new-state-pw",
            "updated-row-pw",
            "new-row-state-pw",
        ] {
            assert!(!answer.contains(plain), "{plain} is shown: {answer}");
        }
    }
    assert!(shown[0].contains(PROJECT_SECURE));

    assert_eq!(
        secrets_of(&client, "c").await,
        vec![
            status("configuration.#password", SecretState::Ok),
            status("rows[r1].configuration.#r", SecretState::Ok),
            status("rows[r1].state.#rs", SecretState::Ok),
            status("state.#s", SecretState::Ok),
        ]
    );

    // A value sent back as it was read stays the same ciphertext.
    let (before, _) = stored(&client, "c").await;
    client
        .update_config(
            &mysql(),
            &cfg("c"),
            &ConfigurationUpdate {
                configuration: Some(json(&before)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(stored(&client, "c").await.0, before);

    // A placeholder is reported as a reference, a configuration without secrets has none.
    save(&client, "ref", r##"{"#password":"{{ vault.pw }}"}"##).await;
    assert_eq!(
        secrets_of(&client, "ref").await,
        vec![status("configuration.#password", SecretState::Reference)]
    );
    save(&client, "none", r#"{"password":"not a secret"}"#).await;
    assert_eq!(secrets_of(&client, "none").await, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ciphertext_opens_only_in_its_project_and_stack() {
    let app = spawn_app().await;
    let (project_a, a) = app.new_project_full("A").await;
    let (project_b, b) = app.new_project_full("B").await;
    save(&a, "cfg-1", r##"{"db":{"#password":"a-secret"}}"##).await;
    let (_, v) = stored(&a, "cfg-1").await;
    let ciphertext = at(&v, "/db/#password").to_string();
    let copied = format!("{{\"db\":{{\"#password\":\"{ciphertext}\"}}}}");
    assert_eq!(
        secrets_of(&a, "cfg-1").await,
        vec![status("configuration.db.#password", SecretState::Ok)]
    );

    // The same ciphertext in the same component and configuration id of project B.
    save(&b, "cfg-1", &copied).await;
    assert_eq!(stored(&b, "cfg-1").await.0, copied, "stored as it came");
    assert_eq!(
        secrets_of(&b, "cfg-1").await,
        vec![status(
            "configuration.db.#password",
            SecretState::Undecryptable
        )]
    );
    assert_eq!(
        secrets_of(&a, "cfg-1").await,
        vec![status("configuration.db.#password", SecretState::Ok)]
    );

    // The same project, component and configuration id on another stack, with its own key.
    let other_stack = spawn_app().await;
    let (project_other, other) = other_stack.new_project_full("A").await;
    assert_eq!(
        project_other.project.id, project_a.project.id,
        "both stacks number their first project alike"
    );
    save(&other, "cfg-1", &copied).await;
    assert_eq!(
        secrets_of(&other, "cfg-1").await,
        vec![status(
            "configuration.db.#password",
            SecretState::Undecryptable
        )]
    );

    // What the encrypt endpoint seals for a component opens in every project; what it seals for
    // one project's whole opens only there.
    let for_component = app
        .anonymous()
        .encrypt_text(&target(Some(MYSQL), None, None), "component-wide")
        .await
        .unwrap();
    let for_b = app
        .anonymous()
        .encrypt_text(&target(None, Some(project_b.project.id.0), None), "b-wide")
        .await
        .unwrap();
    let both = format!("{{\"#component\":\"{for_component}\",\"#projectWide\":\"{for_b}\"}}");
    save(&a, "mixed", &both).await;
    save(&b, "mixed", &both).await;
    assert_eq!(
        secrets_of(&a, "mixed").await,
        vec![
            status("configuration.#component", SecretState::Ok),
            status("configuration.#projectWide", SecretState::Undecryptable),
        ]
    );
    assert_eq!(
        secrets_of(&b, "mixed").await,
        vec![
            status("configuration.#component", SecretState::Ok),
            status("configuration.#projectWide", SecretState::Ok),
        ]
    );
    // A component ciphertext does not open in another component.
    b.create_config(
        &"keboola.ex-db-pgsql".parse().unwrap(),
        &NewConfiguration {
            name: "pg".into(),
            configuration_id: Some(cfg("mixed")),
            configuration: Some(json(&both)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        statuses(
            b.config_secrets(&"keboola.ex-db-pgsql".parse().unwrap(), &cfg("mixed"))
                .await
                .unwrap()
        ),
        vec![
            status("configuration.#component", SecretState::Undecryptable),
            status("configuration.#projectWide", SecretState::Ok),
        ]
    );
    // Garbage with a ciphertext's prefix does not open either.
    save(
        &a,
        "garbage",
        r##"{"#p":"KBC::ProjectSecure::bm90IG91cnM="}"##,
    )
    .await;
    assert_eq!(
        secrets_of(&a, "garbage").await,
        vec![status("configuration.#p", SecretState::Undecryptable)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_secure_ciphertext_opens_only_in_its_configuration() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let project = created.project.id.0;
    let for_x = app
        .anonymous()
        .encrypt_json(
            &target(Some(MYSQL), Some(project), Some("x")),
            "{\"#password\":\"only-for-x\"}",
        )
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&for_x).unwrap();
    assert!(at(&v, "/#password").starts_with("KBC::ConfigSecure::"));

    save(&client, "x", &for_x).await;
    save(&client, "y", &for_x).await;
    assert_eq!(stored(&client, "y").await.0, for_x);
    assert_eq!(
        secrets_of(&client, "x").await,
        vec![status("configuration.#password", SecretState::Ok)]
    );
    assert_eq!(
        secrets_of(&client, "y").await,
        vec![status(
            "configuration.#password",
            SecretState::Undecryptable
        )]
    );
    // In a row of configuration x it opens; in a row of y it does not.
    for config in ["x", "y"] {
        client
            .create_row(
                &mysql(),
                &cfg(config),
                &NewRow {
                    row_id: Some(rid("r")),
                    configuration: Some(json(&for_x)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let row_status = |list: Vec<(String, SecretState)>| {
        list.into_iter()
            .find(|(p, _)| p == "rows[r].configuration.#password")
            .map(|(_, s)| s)
    };
    assert_eq!(
        row_status(secrets_of(&client, "x").await),
        Some(SecretState::Ok)
    );
    assert_eq!(
        row_status(secrets_of(&client, "y").await),
        Some(SecretState::Undecryptable)
    );
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Panics naming every file under `dir` that holds `plaintext`; returns how many files were read.
#[track_caller]
fn assert_nowhere_on_disk(dir: &std::path::Path, plaintext: &str) -> Vec<std::path::PathBuf> {
    let files = files_under(dir);
    let leaks: Vec<String> = files
        .iter()
        .filter(|f| match std::fs::read(f) {
            Ok(bytes) => contains(&bytes, plaintext.as_bytes()),
            // A file may disappear between listing and reading (a journal being removed).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => panic!("{} cannot be read: {e}", f.display()),
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        leaks.is_empty(),
        "the plaintext secret is written in {leaks:?}"
    );
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_secrets_never_reach_the_data_dir() {
    const SECRET: &str = "pl41nt3xt-s3cr3t-XYZ";
    let mut app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let doc = |extra: &str| {
        json(&format!(
            "{{\"db\":{{\"#password\":\"{SECRET}\"}},\"#list\":[\"{SECRET}\"],\"\\u0023escaped\":\"{SECRET}\",\"n\":\"{extra}\"}}"
        ))
    };
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "c".into(),
                configuration_id: Some(cfg("c")),
                configuration: Some(doc("1")),
                state: Some(doc("state")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .create_row(
            &mysql(),
            &cfg("c"),
            &NewRow {
                row_id: Some(rid("r")),
                configuration: Some(doc("row")),
                state: Some(doc("row state")),
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
                configuration: Some(doc("2")),
                state: Some(doc("state 2")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .update_row(
            &mysql(),
            &cfg("c"),
            &rid("r"),
            &RowUpdate {
                configuration: Some(doc("row 2")),
                state: Some(doc("row state 2")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .update_config_state(&mysql(), &cfg("c"), &doc("state 3"))
        .await
        .unwrap();
    client
        .update_row_state(&mysql(), &cfg("c"), &rid("r"), &doc("row state 3"))
        .await
        .unwrap();
    client
        .rollback_config(&mysql(), &cfg("c"), 1, None)
        .await
        .unwrap();
    client.delete_config(&mysql(), &cfg("c")).await.unwrap();
    client.restore_config(&mysql(), &cfg("c")).await.unwrap();
    assert_eq!(
        client
            .list_config_versions(&mysql(), &cfg("c"))
            .await
            .unwrap()
            .len(),
        7
    );
    let secrets = client.config_secrets(&mysql(), &cfg("c")).await.unwrap();
    assert!(!secrets.is_empty());
    assert!(
        secrets.iter().all(|s| s.status == SecretState::Ok),
        "{secrets:?}"
    );

    // The encrypt endpoint, every way.
    let encrypt = app.anonymous();
    let project = created.project.id.0;
    for to in [
        target(Some(MYSQL), None, None),
        target(Some(MYSQL), Some(project), None),
        target(Some(MYSQL), Some(project), Some("c")),
        target(None, Some(project), None),
    ] {
        let sealed = encrypt
            .encrypt_json(&to, doc("encrypted").get())
            .await
            .unwrap();
        assert!(!sealed.contains(SECRET), "{sealed}");
        let sealed = encrypt.encrypt_text(&to, SECRET).await.unwrap();
        assert!(!sealed.contains(SECRET), "{sealed}");
    }

    // While running (the WAL holds the latest writes), and after a clean stop.
    let files = assert_nowhere_on_disk(&app.dir, SECRET);
    assert!(
        files.iter().any(|f| f.ends_with("metadata.sqlite")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with("metadata.sqlite-wal")),
        "the running stack's write-ahead log is among the files read: {files:?}"
    );
    app.stop().await;
    let files = assert_nowhere_on_disk(&app.dir, SECRET);
    // The scan reads where the configurations are: their ciphertexts are on disk.
    assert!(
        files.iter().any(
            |f| std::fs::read(f).is_ok_and(|bytes| contains(&bytes, PROJECT_SECURE.as_bytes()))
        ),
        "no ciphertext found in {files:?}"
    );

    // The stack's key is kept too: after a restart the secrets still open.
    app.start().await;
    let after = app
        .client(&created.token)
        .config_secrets(&mysql(), &cfg("c"))
        .await
        .unwrap();
    assert_eq!(after, secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_inside_objects_under_a_hash_key_are_sealed_too() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let configuration = r##"{"#credentials": {"user": "object-user", "pass": "object-pass", "port": 3306, "tls": true}}"##;
    client
        .create_config(
            &mysql(),
            &NewConfiguration {
                name: "object secret".into(),
                configuration_id: Some(cfg("c")),
                configuration: Some(json(configuration)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (_, v) = stored(&client, "c").await;
    for path in [
        "/#credentials/user",
        "/#credentials/pass",
        "/#credentials/port",
    ] {
        assert!(at(&v, path).starts_with(PROJECT_SECURE), "{path}: {v}");
    }
    assert_eq!(v["#credentials"]["tls"], serde_json::json!(true));
    assert_no_plaintext(&app.dir, "object-user");
    assert_no_plaintext(&app.dir, "object-pass");
}
