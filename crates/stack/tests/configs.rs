//! The rules of component configurations on a real stack (SQLite files in a temporary dir),
//! without HTTP: what a document must be, that secrets are sealed before anything is written,
//! the stack's clock on every time recorded, and versions, rollback and the trash.

use std::sync::Arc;

use stackport_model::api::{ConfigurationUpdate, NewConfiguration, NewRow, RawJson, RowUpdate};
use stackport_model::{ComponentId, ConfigId, RowId};
use stackport_stack::{ManualClock, Stack, TokenAuth};
use stackport_testkit::stack::{new_project, open_with};
use stackport_testkit::TempDir;

/// 2030-01-01T00:00:00Z: far from the wall clock, so a time taken from it shows.
const NOW: i64 = 1_893_456_000_000_000;

/// A stack whose every recorded time must read NOW, and the master token of its one project.
fn open(dir: &TempDir) -> (Stack, TokenAuth) {
    let stack = open_with(dir, Some(Arc::new(ManualClock::at(NOW))), |_| {});
    let (_, auth, _) = new_project(&stack, "configs");
    (stack, auth)
}

fn doc(text: &str) -> RawJson {
    RawJson::from_string(text.to_string()).unwrap()
}

fn mysql() -> ComponentId {
    "keboola.ex-db-mysql".parse().unwrap()
}

fn new_config(id: &str, configuration: &str) -> NewConfiguration {
    NewConfiguration {
        name: id.into(),
        configuration_id: Some(id.parse().unwrap()),
        configuration: Some(doc(configuration)),
        ..Default::default()
    }
}

#[test]
fn documents_are_checked_and_sealed_before_anything_is_stored() {
    let dir = TempDir::new("configs-documents");
    let (stack, auth) = open(&dir);
    let plaintext = "pl41n-t3xt-p4ssw0rd";
    let made = stack
        .create_config(
            &auth,
            &mysql(),
            &new_config(
                "c",
                &format!("{{\"db\": {{\"#password\": \"{plaintext}\"}}}}"),
            ),
        )
        .unwrap();
    let stored = made.configuration.as_ref().unwrap().to_value();
    let sealed = stored["db"]["#password"].as_str().unwrap();
    assert!(sealed.starts_with("KBC::ProjectSecure::"), "{sealed}");
    assert_eq!(made.created.timestamp_micros(), NOW, "the stack's clock");
    assert_eq!(made.current_version.created.timestamp_micros(), NOW);
    let row = stack
        .create_row(
            &auth,
            &mysql(),
            &made.id,
            &NewRow {
                row_id: Some("r1".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(row.created.timestamp_micros(), NOW);

    let too_deep = format!("{}1{}", "{\"a\":".repeat(101), "}".repeat(101));
    let refused = [
        (too_deep.as_str(), "invalidBody.tooDeep"),
        ("[]", "components.documentNotObject"),
    ];
    for (text, code) in refused {
        let e = stack
            .create_config(&auth, &mysql(), &new_config("bad", text))
            .unwrap_err();
        assert_eq!(e.code(), code);
        let update = ConfigurationUpdate {
            state: Some(doc(text)),
            ..Default::default()
        };
        let e = stack
            .update_config(&auth, &mysql(), &made.id, &update)
            .unwrap_err();
        assert_eq!(e.code(), code);
    }
    let all = stack
        .list_configs(&auth, &mysql(), false, stackport_stack::ConfigInclude::ALL)
        .unwrap();
    assert_eq!(all.len(), 1, "nothing of the refused documents was stored");
    assert_eq!(all[0], stack.get_config(&auth, &mysql(), &made.id).unwrap());
    assert_eq!(all[0].version, 2, "a refused update makes no version");
    drop(stack);
    let files = stackport_testkit::files_under(dir.path());
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes
                .windows(plaintext.len())
                .any(|w| w == plaintext.as_bytes()),
            "{} holds the plaintext",
            file.display()
        );
    }
}

#[test]
fn a_rollback_brings_back_settings_and_rows_but_not_state() {
    let dir = TempDir::new("configs-versions");
    let (stack, auth) = open(&dir);
    let (c, r1, r2): (ConfigId, RowId, RowId) = (
        "c".parse().unwrap(),
        "r1".parse().unwrap(),
        "r2".parse().unwrap(),
    );
    let row = |id: &RowId, configuration: &str| NewRow {
        row_id: Some(id.clone()),
        configuration: Some(doc(configuration)),
        ..Default::default()
    };
    stack
        .create_config(&auth, &mysql(), &new_config("c", r#"{"v": 1}"#))
        .unwrap();
    stack
        .create_row(&auth, &mysql(), &c, &row(&r1, r#"{"q": "first"}"#))
        .unwrap();
    stack
        .update_row_state(&auth, &mysql(), &c, &r1, &doc(r#"{"cursor": 7}"#))
        .unwrap();
    let update = RowUpdate {
        configuration: Some(doc(r#"{"q": "second"}"#)),
        ..Default::default()
    };
    stack.update_row(&auth, &mysql(), &c, &r1, &update).unwrap();
    stack
        .create_row(&auth, &mysql(), &c, &row(&r2, r#"{"q": "other"}"#))
        .unwrap();
    let ordered = ConfigurationUpdate {
        configuration: Some(doc(r#"{"v": 2}"#)),
        state: Some(doc(r#"{"run": 3}"#)),
        rows_sort_order: Some(vec![r2.clone(), r1.clone()]),
        ..Default::default()
    };
    let now = stack.update_config(&auth, &mysql(), &c, &ordered).unwrap();
    assert_eq!(now.version, 5);
    let rows = now.rows.as_ref().unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r2", "r1"]
    );
    assert_eq!(rows[1].version, 2, "a row's own version went up once");

    let back = stack.rollback_config(&auth, &mysql(), &c, 2, None).unwrap();
    assert_eq!(back.version, 6);
    assert_eq!(back.change_description, "Rollback to version 2");
    assert_eq!(back.configuration.as_ref().unwrap().get(), r#"{"v": 1}"#);
    assert_eq!(
        back.state.as_ref().unwrap().get(),
        r#"{"run": 3}"#,
        "state stays"
    );
    assert!(back.rows_sort_order.is_empty());
    let rows = back.rows.as_ref().unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1"]
    );
    assert_eq!(rows[0].configuration.get(), r#"{"q": "first"}"#);
    assert_eq!(
        rows[0].state.get(),
        r#"{"cursor": 7}"#,
        "r1 keeps its state"
    );
    let versions = stack.list_config_versions(&auth, &mysql(), &c).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [6, 5, 4, 3, 2, 1]
    );
    let e = stack
        .rollback_config(&auth, &mysql(), &c, 7, None)
        .unwrap_err();
    assert_eq!(e.code(), "components.configurations.versionNotFound");

    stack.delete_config(&auth, &mysql(), &c).unwrap();
    let e = stack.get_config(&auth, &mysql(), &c).unwrap_err();
    assert_eq!(e.code(), "components.configurations.deleted");
    let e = stack
        .rollback_config(&auth, &mysql(), &c, 1, None)
        .unwrap_err();
    assert_eq!(
        e.code(),
        "components.configurations.deleted",
        "no rollback in the trash"
    );
    let restored = stack.restore_config(&auth, &mysql(), &c).unwrap();
    assert_eq!(
        restored.version, 8,
        "the trash and the way back are versions"
    );
    assert_eq!(restored.rows, back.rows);
    stack.delete_config(&auth, &mysql(), &c).unwrap();
    stack.delete_config(&auth, &mysql(), &c).unwrap();
    let e = stack.list_config_versions(&auth, &mysql(), &c).unwrap_err();
    assert_eq!(e.code(), "components.configurations.notFound", "purged");
    let again = stack
        .create_config(&auth, &mysql(), &new_config("c", "{}"))
        .unwrap();
    assert_eq!(again.version, 1, "a purged id starts afresh");
    assert_eq!(again.rows, Some(Vec::new()));
}
