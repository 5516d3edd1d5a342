//! Rows of configurations. A row change is also a change of its configuration: it gets a new
//! configuration version, and the row's own version number goes up.

use stackport_model::api::{ConfigRow, Configuration, NewRow, RawJson, RowUpdate};
use stackport_model::{ComponentId, ConfigId, ProjectId, RowId};

use super::{config_event, generate_id, key, load_live_config};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::store::{ConfigRecord, Tx};
use crate::Stack;

/// The rows of a configuration in the order they run: those in `rowsSortOrder` first, in that
/// order, then the others in the order they were created.
pub(crate) fn load_rows(
    tx: &mut Tx<'_>,
    project: ProjectId,
    config: &ConfigRecord,
) -> Result<Vec<ConfigRow>> {
    let rows = tx
        .configs()
        .list_rows(key(project, &config.component, &config.id))?;
    Ok(in_run_order(rows, &config.rows_sort_order))
}

/// Orders `rows` (given in creation order) by `sort_order`; rows it does not name follow, in
/// creation order.
fn in_run_order(mut rows: Vec<ConfigRow>, sort_order: &[RowId]) -> Vec<ConfigRow> {
    let rank = |row: &ConfigRow| {
        sort_order
            .iter()
            .position(|r| r == &row.id)
            .unwrap_or(usize::MAX)
    };
    // A stable sort: rows of the same rank keep their creation order.
    rows.sort_by_key(rank);
    rows
}

/// A new `rowsSortOrder` must name every row of the configuration exactly once.
pub(super) fn check_sort_order(
    config: &ConfigId,
    rows: &[ConfigRow],
    order: &[RowId],
) -> Result<()> {
    let mut have: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut given: Vec<&str> = order.iter().map(|r| r.as_str()).collect();
    have.sort_unstable();
    given.sort_unstable();
    if have != given {
        return Err(Error::invalid(
            "components.configurations.invalidRowsSortOrder",
            format!(
                "rowsSortOrder of configuration {config} must list each of its rows exactly \
                 once: [{}]",
                have.join(", ")
            ),
        ));
    }
    Ok(())
}

fn row_not_found(config: &ConfigId, row: &RowId) -> Error {
    Error::not_found(
        "components.configurations.rowNotFound",
        format!("configuration {config} has no row {row}"),
    )
}

fn find_row(
    tx: &mut Tx<'_>,
    project: ProjectId,
    config: &ConfigRecord,
    row: &RowId,
) -> Result<ConfigRow> {
    tx.configs()
        .get_row(key(project, &config.component, &config.id), row)?
        .ok_or_else(|| row_not_found(&config.id, row))
}

impl Stack {
    /// The rows of a configuration.
    pub fn list_rows(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<ConfigRow>> {
        auth.require_component(component)?;
        self.store.read(|tx| {
            let record = load_live_config(tx, auth.project(), component, config)?;
            load_rows(tx, auth.project(), &record)
        })
    }

    /// One row.
    pub fn get_row(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
    ) -> Result<ConfigRow> {
        auth.require_component(component)?;
        self.store.read(|tx| {
            let record = load_live_config(tx, auth.project(), component, config)?;
            find_row(tx, auth.project(), &record, row)
        })
    }

    /// Adds a row (at the end of the run order).
    pub fn create_row(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
        new: &NewRow,
    ) -> Result<ConfigRow> {
        auth.require_component(component)?;
        let project = auth.project();
        let configuration = new.configuration.clone().unwrap_or_default();
        let state = new.state.clone().unwrap_or_default();
        let configuration =
            self.accept_document(project, component, &configuration, "row configuration")?;
        let state = self.accept_document(project, component, &state, "row state")?;
        let by = auth.token_ref();
        let id = self.store.write(|tx| {
            let mut record = load_live_config(tx, project, component, config)?;
            let k = key(project, component, config);
            let id = match &new.row_id {
                Some(id) if tx.configs().get_row(k, id)?.is_some() => {
                    return Err(Error::conflict(
                        "components.configurations.rowAlreadyExists",
                        format!("configuration {config} already has a row {id}; choose another id"),
                    ))
                }
                Some(id) => id.clone(),
                None => loop {
                    let candidate: RowId = generate_id().parse()?;
                    if tx.configs().get_row(k, &candidate)?.is_none() {
                        break candidate;
                    }
                },
            };
            let change = new
                .change_description
                .clone()
                .unwrap_or_else(|| format!("Row {id} added"));
            let row = ConfigRow {
                id: id.clone(),
                name: new.name.clone().unwrap_or_default(),
                description: new.description.clone().unwrap_or_default(),
                configuration,
                state,
                is_disabled: new.is_disabled.unwrap_or(false),
                version: 1,
                created: crate::ops::time(tx.now_micros()),
                creator_token: by.clone(),
                change_description: change.clone(),
            };
            tx.configs().insert_row(k, &row)?;
            if !record.rows_sort_order.is_empty() {
                record.rows_sort_order.push(id.clone());
                tx.configs().update_config(project, &record)?;
            }
            self.new_config_version(tx, project, component, config, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationRowCreated",
                &format!("got row {id}"),
                component,
                config,
            )?;
            Ok(id)
        })?;
        self.get_row(auth, component, config, &id)
    }

    /// Changes the fields given; the others stay.
    pub fn update_row(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
        update: &RowUpdate,
    ) -> Result<ConfigRow> {
        auth.require_component(component)?;
        let project = auth.project();
        let seal = |doc: &Option<RawJson>, what: &str| -> Result<Option<RawJson>> {
            doc.as_ref()
                .map(|d| self.accept_document(project, component, d, what))
                .transpose()
        };
        let configuration = seal(&update.configuration, "row configuration")?;
        let state = seal(&update.state, "row state")?;
        let by = auth.token_ref();
        self.store.write(|tx| {
            let record = load_live_config(tx, project, component, config)?;
            let mut current = find_row(tx, project, &record, row)?;
            let change = update
                .change_description
                .clone()
                .unwrap_or_else(|| format!("Row {row} changed"));
            if let Some(name) = &update.name {
                current.name = name.clone();
            }
            if let Some(description) = &update.description {
                current.description = description.clone();
            }
            if let Some(doc) = configuration {
                current.configuration = doc;
            }
            if let Some(doc) = state {
                current.state = doc;
            }
            if let Some(disabled) = update.is_disabled {
                current.is_disabled = disabled;
            }
            current.version += 1;
            current.change_description = change.clone();
            tx.configs()
                .update_row(key(project, component, config), &current)?;
            self.new_config_version(tx, project, component, config, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationRowChanged",
                &format!("row {row} changed"),
                component,
                config,
            )
        })?;
        self.get_row(auth, component, config, row)
    }

    /// Replaces a row's state; no new version.
    pub fn update_row_state(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
        state: &RawJson,
    ) -> Result<ConfigRow> {
        auth.require_component(component)?;
        let project = auth.project();
        let state = self.accept_document(project, component, state, "row state")?;
        self.store.write(|tx| {
            let record = load_live_config(tx, project, component, config)?;
            let mut current = find_row(tx, project, &record, row)?;
            current.state = state;
            tx.configs()
                .update_row(key(project, component, config), &current)?;
            Ok(())
        })?;
        self.get_row(auth, component, config, row)
    }

    /// Removes a row, as a new configuration version (a rollback brings it back).
    pub fn delete_row(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            let mut record = load_live_config(tx, project, component, config)?;
            find_row(tx, project, &record, row)?;
            tx.configs()
                .delete_row(key(project, component, config), row)?;
            if record.rows_sort_order.contains(row) {
                record.rows_sort_order.retain(|r| r != row);
                tx.configs().update_config(project, &record)?;
            }
            let change = format!("Row {row} deleted");
            self.new_config_version(tx, project, component, config, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationRowDeleted",
                &format!("lost row {row}"),
                component,
                config,
            )
        })?;
        self.get_config(auth, component, config)
    }
}

#[cfg(test)]
mod tests {
    use stackport_model::api::TokenRef;
    use stackport_model::TokenId;

    use super::*;

    fn row(id: &str) -> ConfigRow {
        ConfigRow {
            id: id.parse().unwrap(),
            name: String::new(),
            description: String::new(),
            configuration: RawJson::default(),
            state: RawJson::default(),
            is_disabled: false,
            version: 1,
            created: crate::ops::time(0),
            creator_token: TokenRef {
                id: TokenId(1),
                description: String::new(),
            },
            change_description: String::new(),
        }
    }

    fn rows(ids: &[&str]) -> Vec<ConfigRow> {
        ids.iter().map(|id| row(id)).collect()
    }

    fn ids(ids: &[&str]) -> Vec<RowId> {
        ids.iter().map(|id| id.parse().unwrap()).collect()
    }

    fn names(rows: &[ConfigRow]) -> Vec<&str> {
        rows.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn rows_run_in_sort_order_then_by_creation() {
        let created = rows(&["r1", "r2", "r3", "r4"]);
        assert_eq!(
            names(&in_run_order(created.clone(), &[])),
            ["r1", "r2", "r3", "r4"]
        );
        assert_eq!(
            names(&in_run_order(created.clone(), &ids(&["r3", "r1"]))),
            ["r3", "r1", "r2", "r4"],
            "rows the order leaves out follow, in creation order"
        );
        assert_eq!(
            names(&in_run_order(created, &ids(&["r4", "gone", "r2"]))),
            ["r4", "r2", "r1", "r3"],
            "an id of no row changes nothing"
        );
    }

    #[test]
    fn a_sort_order_names_every_row_once() {
        let c: ConfigId = "c".parse().unwrap();
        let have = rows(&["r1", "r2", "r3"]);
        check_sort_order(&c, &have, &ids(&["r3", "r1", "r2"])).unwrap();
        check_sort_order(&c, &[], &[]).unwrap();
        for bad in [
            ids(&["r1", "r2"]),
            ids(&["r1", "r2", "r3", "r4"]),
            ids(&["r1", "r1", "r2", "r3"]),
            ids(&["r1", "r1", "r2"]),
            ids(&["R1", "r2", "r3"]),
            ids(&[]),
        ] {
            let e = check_sort_order(&c, &have, &bad).unwrap_err();
            assert_eq!(
                e.code(),
                "components.configurations.invalidRowsSortOrder",
                "{bad:?}"
            );
            assert!(
                e.message().ends_with("exactly once: [r1, r2, r3]"),
                "{}",
                e.message()
            );
        }
        assert!(check_sort_order(&c, &[], &ids(&["r1"])).is_err());
    }
}
