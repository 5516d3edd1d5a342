//! Versions of configurations: list, read, roll back.

use stackport_model::api::{ConfigRow, ConfigVersion, RawJson};
use stackport_model::{ComponentId, ConfigId};

use super::{config_event, key, load_live_config};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::store::{ConfigRecord, ConfigSnapshot, ConfigVersionRecord};
use crate::Stack;

/// What a version keeps of a configuration as it is now, with its rows in run order.
pub(super) fn snapshot_of(record: &ConfigRecord, rows: Vec<ConfigRow>) -> ConfigSnapshot {
    ConfigSnapshot {
        name: record.name.clone(),
        description: record.description.clone(),
        configuration: RawJson::from_string(record.configuration.clone()).unwrap_or_default(),
        state: RawJson::from_string(record.state.clone()).unwrap_or_default(),
        is_disabled: record.is_disabled,
        is_deleted: record.is_deleted,
        rows_sort_order: record.rows_sort_order.clone(),
        rows,
    }
}

/// The configuration made what it was in `old`. Its state stays (it belongs to runs, not to
/// the settings), and so does whether it is in the trash.
fn rolled_back(mut current: ConfigRecord, old: &ConfigSnapshot) -> ConfigRecord {
    current.name = old.name.clone();
    current.description = old.description.clone();
    current.configuration = old.configuration.get().to_string();
    current.is_disabled = old.is_disabled;
    current.rows_sort_order = old.rows_sort_order.clone();
    current
}

/// The rows of `old`, in its order; a row that still exists keeps its current state.
fn rows_rolled_back(old: &[ConfigRow], current: &[ConfigRow]) -> Vec<ConfigRow> {
    old.iter()
        .map(|row| {
            let mut row = row.clone();
            if let Some(now) = current.iter().find(|c| c.id == row.id) {
                row.state = now.state.clone();
            }
            row
        })
        .collect()
}

fn to_api(v: ConfigVersionRecord, full: bool) -> ConfigVersion {
    let s = v.snapshot;
    ConfigVersion {
        version: v.head.version,
        version_identifier: v.head.identifier,
        created: crate::ops::time(v.head.created_micros),
        creator_token: v.head.creator,
        change_description: v.head.change_description,
        is_deleted: s.is_deleted,
        name: s.name,
        description: s.description,
        configuration: full.then_some(s.configuration),
        state: full.then_some(s.state),
        rows: full.then_some(s.rows),
        rows_sort_order: full.then_some(s.rows_sort_order),
        is_disabled: full.then_some(s.is_disabled),
    }
}

fn version_not_found(component: &ComponentId, id: &ConfigId, version: u64) -> Error {
    Error::not_found(
        "components.configurations.versionNotFound",
        format!("configuration {id} of component {component} has no version {version}"),
    )
}

impl Stack {
    /// The versions of a configuration, newest first, without their documents.
    pub fn list_config_versions(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<Vec<ConfigVersion>> {
        auth.require_component(component)?;
        self.store.read(|tx| {
            super::load_config(tx, auth.project(), component, id)?;
            Ok(tx
                .configs()
                .list_config_versions(key(auth.project(), component, id))?
                .into_iter()
                .map(|v| to_api(v, false))
                .collect())
        })
    }

    /// One version with its documents and rows.
    pub fn get_config_version(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
        version: u64,
    ) -> Result<ConfigVersion> {
        auth.require_component(component)?;
        self.store.read(|tx| {
            super::load_config(tx, auth.project(), component, id)?;
            tx.configs()
                .get_config_version(key(auth.project(), component, id), version)?
                .map(|v| to_api(v, true))
                .ok_or_else(|| version_not_found(component, id, version))
        })
    }

    /// Makes the configuration and its rows what they were in `version`, as a new version.
    /// The state stays as it is: it belongs to runs, not to the settings.
    pub fn rollback_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
        version: u64,
        change: Option<&str>,
    ) -> Result<stackport_model::api::Configuration> {
        auth.require_component(component)?;
        let project = auth.project();
        let by = auth.token_ref();
        let k = key(project, component, id);
        self.store.write(|tx| {
            let current = load_live_config(tx, project, component, id)?;
            let old = tx
                .configs()
                .get_config_version(k, version)?
                .ok_or_else(|| version_not_found(component, id, version))?
                .snapshot;
            tx.configs()
                .update_config(project, &rolled_back(current, &old))?;
            let rows_now = tx.configs().list_rows(k)?;
            tx.configs()
                .replace_rows(k, &rows_rolled_back(&old.rows, &rows_now))?;
            let change = change
                .map(str::to_string)
                .unwrap_or_else(|| format!("Rollback to version {version}"));
            self.new_config_version(tx, project, component, id, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationRolledBack",
                &format!("rolled back to version {version}"),
                component,
                id,
            )
        })?;
        self.get_config(auth, component, id)
    }
}

#[cfg(test)]
mod tests {
    use stackport_model::api::TokenRef;
    use stackport_model::TokenId;

    use super::*;

    fn doc(text: &str) -> RawJson {
        RawJson::from_string(text.to_string()).unwrap()
    }

    fn row(id: &str, configuration: &str, state: &str) -> ConfigRow {
        ConfigRow {
            id: id.parse().unwrap(),
            name: format!("row {id}"),
            description: String::new(),
            configuration: doc(configuration),
            state: doc(state),
            is_disabled: false,
            version: 1,
            created: crate::ops::time(5),
            creator_token: TokenRef {
                id: TokenId(1),
                description: "first".into(),
            },
            change_description: String::new(),
        }
    }

    fn record() -> ConfigRecord {
        ConfigRecord {
            component: "keboola.ex-db-mysql".parse().unwrap(),
            id: "c".parse().unwrap(),
            name: "now".into(),
            description: "now".into(),
            configuration: r#"{"v": 2}"#.into(),
            state: r#"{"cursor": 9}"#.into(),
            is_disabled: true,
            is_deleted: false,
            rows_sort_order: vec!["r2".parse().unwrap()],
            created: 7,
            creator: TokenRef {
                id: TokenId(3),
                description: "creator".into(),
            },
            version: 4,
        }
    }

    #[test]
    fn a_rollback_takes_the_settings_and_keeps_the_state() {
        let mut then = snapshot_of(&record(), Vec::new());
        then.name = "then".into();
        then.description = "then too".into();
        then.configuration = doc(r#"{ "v" : 1 }"#);
        then.state = doc(r#"{"cursor": 1}"#);
        then.is_disabled = false;
        then.is_deleted = true;
        then.rows_sort_order = Vec::new();
        let back = rolled_back(record(), &then);
        assert_eq!(back.name, "then");
        assert_eq!(back.description, "then too");
        assert_eq!(back.configuration, r#"{ "v" : 1 }"#, "byte for byte");
        assert!(!back.is_disabled);
        assert!(back.rows_sort_order.is_empty());
        assert_eq!(back.state, r#"{"cursor": 9}"#, "the state belongs to runs");
        assert!(!back.is_deleted, "a rollback does not move it to the trash");
        assert_eq!(
            (back.created, back.version, back.creator.id),
            (7, 4, TokenId(3)),
            "creation and version stay; the new version is made after"
        );
    }

    #[test]
    fn rolled_back_rows_keep_the_state_of_rows_that_survive() {
        let old = [
            row("r2", r#"{"q": "old"}"#, r#"{"s": "old r2"}"#),
            row("r1", r#"{"q": "old"}"#, r#"{"s": "old r1"}"#),
        ];
        let now = [
            row("r1", r#"{"q": "new"}"#, r#"{"s": "new r1"}"#),
            row("r3", r#"{"q": "new"}"#, r#"{"s": "new r3"}"#),
        ];
        let back = rows_rolled_back(&old, &now);
        let seen: Vec<(&str, &str, &str)> = back
            .iter()
            .map(|r| (r.id.as_str(), r.configuration.get(), r.state.get()))
            .collect();
        assert_eq!(
            seen,
            [
                ("r2", r#"{"q": "old"}"#, r#"{"s": "old r2"}"#),
                ("r1", r#"{"q": "old"}"#, r#"{"s": "new r1"}"#),
            ],
            "the old rows in the old order; r3 goes; r1 keeps its state"
        );
    }

    #[test]
    fn a_snapshot_keeps_documents_byte_for_byte() {
        let mut r = record();
        r.configuration = "{\n  \"#password\": \"KBC::ProjectSecure::xyz\"\n}".into();
        let rows = vec![row("r1", "{ }", "{}")];
        let s = snapshot_of(&r, rows.clone());
        assert_eq!(s.configuration.get(), r.configuration);
        assert_eq!(s.state.get(), r.state);
        assert_eq!(s.rows, rows);
        let text = serde_json::to_string(&s).unwrap();
        let back: ConfigSnapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s, "through its stored form too");
    }
}
