//! Rows of configurations. A row change is also a change of its configuration: it gets a new
//! configuration version, and the row's own version number goes up.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{ConfigRow, Configuration, NewRow, RawJson, RowUpdate, TokenRef};
use stackport_model::{ComponentId, ConfigId, ProjectId, RowId, TokenId};

use super::{config_event, generate_id, load_live_config, ConfigRecord};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::store::sqlrow::to_json;
use crate::store::Tx;
use crate::Stack;

const ROW_COLUMNS: &str = "id, name, description, configuration, state, is_disabled, version, \
    created, creator_token_id, creator_description, change_description";

fn row_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigRow> {
    let bad = |i: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    let document = |i: usize| -> rusqlite::Result<RawJson> {
        RawJson::from_string(r.get(i)?).map_err(|e| bad(i, Box::new(e)))
    };
    Ok(ConfigRow {
        id: r
            .get::<_, String>(0)?
            .parse()
            .map_err(|e| bad(0, Box::new(e)))?,
        name: r.get(1)?,
        description: r.get(2)?,
        configuration: document(3)?,
        state: document(4)?,
        is_disabled: r.get(5)?,
        version: r.get(6)?,
        created: crate::ops::time(r.get(7)?),
        creator_token: TokenRef {
            id: TokenId(r.get(8)?),
            description: r.get(9)?,
        },
        change_description: r.get(10)?,
    })
}

/// The rows of a configuration: those in `rowsSortOrder` first, in that order, then the others
/// in the order they were created.
pub(crate) fn load_rows(
    c: &mut Tx<'_>,
    project: ProjectId,
    config: &ConfigRecord,
) -> Result<Vec<ConfigRow>> {
    let mut stmt = c.sql().prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM config_rows WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3
         ORDER BY position"
    ))?;
    let mut rows = stmt
        .query_map(
            params![project.0, config.component.as_str(), config.id.as_str()],
            row_from_sql,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let rank = |row: &ConfigRow| {
        config
            .rows_sort_order
            .iter()
            .position(|r| r == &row.id)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by_key(rank);
    Ok(rows)
}

/// Stores a row as given, with `state`.
pub(crate) fn insert_row(
    tx: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    config: &ConfigId,
    position: i64,
    row: &ConfigRow,
    state: &str,
) -> Result<()> {
    tx.sql().execute(
        "INSERT INTO config_rows (project_id, component_id, config_id, id, position, name, description,
         configuration, state, is_disabled, version, created, creator_token_id, creator_description, change_description)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            project.0,
            component.as_str(),
            config.as_str(),
            row.id.as_str(),
            position,
            row.name,
            row.description,
            row.configuration.get(),
            state,
            row.is_disabled,
            row.version,
            row.created.timestamp_micros(),
            row.creator_token.id.0,
            row.creator_token.description,
            row.change_description
        ],
    )?;
    Ok(())
}

/// A new `rowsSortOrder` must name every row exactly once.
pub(crate) fn check_sort_order(
    c: &mut Tx<'_>,
    project: ProjectId,
    config: &ConfigRecord,
    order: &[RowId],
) -> Result<()> {
    let mut have: Vec<String> = load_rows(c, project, config)?
        .into_iter()
        .map(|r| r.id.to_string())
        .collect();
    let mut given: Vec<String> = order.iter().map(|r| r.to_string()).collect();
    have.sort();
    given.sort();
    if have != given {
        return Err(Error::invalid(
            "components.configurations.invalidRowsSortOrder",
            format!(
                "rowsSortOrder of configuration {} must list each of its rows exactly once: [{}]",
                config.id,
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
    c: &mut Tx<'_>,
    project: ProjectId,
    config: &ConfigRecord,
    row: &RowId,
) -> Result<ConfigRow> {
    load_rows(c, project, config)?
        .into_iter()
        .find(|r| &r.id == row)
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
        self.store.read(|c| {
            let record = load_live_config(c, auth.project(), component, config)?;
            load_rows(c, auth.project(), &record)
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
        self.store.read(|c| {
            let record = load_live_config(c, auth.project(), component, config)?;
            find_row(c, auth.project(), &record, row)
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
            let record = load_live_config(tx, project, component, config)?;
            let taken = |id: &RowId| -> Result<bool> {
                Ok(tx.sql()
                    .query_row(
                        "SELECT 1 FROM config_rows WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4",
                        params![project.0, component.as_str(), config.as_str(), id.as_str()],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some())
            };
            let id = match &new.row_id {
                Some(id) if taken(id)? => {
                    return Err(Error::conflict(
                        "components.configurations.rowAlreadyExists",
                        format!("configuration {config} already has a row {id}; choose another id"),
                    ))
                }
                Some(id) => id.clone(),
                None => loop {
                    let candidate: RowId = generate_id().parse()?;
                    if !taken(&candidate)? {
                        break candidate;
                    }
                },
            };
            let position: i64 = tx.sql().query_row(
                "SELECT coalesce(max(position), -1) + 1 FROM config_rows WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
                params![project.0, component.as_str(), config.as_str()],
                |r| r.get(0),
            )?;
            let change = new.change_description.clone().unwrap_or_else(|| format!("Row {id} added"));
            let row = ConfigRow {
                id: id.clone(),
                name: new.name.clone().unwrap_or_default(),
                description: new.description.clone().unwrap_or_default(),
                configuration,
                state: RawJson::default(),
                is_disabled: new.is_disabled.unwrap_or(false),
                version: 1,
                created: crate::ops::time(crate::ops::now_micros()),
                creator_token: by.clone(),
                change_description: change.clone(),
            };
            insert_row(tx, project, component, config, position, &row, state.get())?;
            if !record.rows_sort_order.is_empty() {
                let mut order = record.rows_sort_order.clone();
                order.push(id.clone());
                set_sort_order(tx, project, component, config, &order)?;
            }
            self.new_config_version(tx, project, component, config, &by, &change)?;
            config_event(tx, project, &by, "storage.componentConfigurationRowCreated", &format!("got row {id}"), component, config)?;
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
            let current = find_row(tx, project, &record, row)?;
            let change = update
                .change_description
                .clone()
                .unwrap_or_else(|| format!("Row {row} changed"));
            tx.sql().execute(
                "UPDATE config_rows SET name = ?5, description = ?6, configuration = ?7, state = ?8,
                 is_disabled = ?9, version = version + 1, change_description = ?10
                 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4",
                params![
                    project.0,
                    component.as_str(),
                    config.as_str(),
                    row.as_str(),
                    update.name.as_ref().unwrap_or(&current.name),
                    update.description.as_ref().unwrap_or(&current.description),
                    configuration.as_ref().unwrap_or(&current.configuration).get(),
                    state.as_ref().unwrap_or(&current.state).get(),
                    update.is_disabled.unwrap_or(current.is_disabled),
                    change
                ],
            )?;
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
            find_row(tx, project, &record, row)?;
            tx.sql().execute(
                "UPDATE config_rows SET state = ?5 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4",
                params![project.0, component.as_str(), config.as_str(), row.as_str(), state.get()],
            )?;
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
            let record = load_live_config(tx, project, component, config)?;
            find_row(tx, project, &record, row)?;
            tx.sql().execute(
                "DELETE FROM config_rows WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4",
                params![project.0, component.as_str(), config.as_str(), row.as_str()],
            )?;
            if record.rows_sort_order.contains(row) {
                let order: Vec<RowId> = record.rows_sort_order.iter().filter(|r| *r != row).cloned().collect();
                set_sort_order(tx, project, component, config, &order)?;
            }
            let change = format!("Row {row} deleted");
            self.new_config_version(tx, project, component, config, &by, &change)?;
            config_event(tx, project, &by, "storage.componentConfigurationRowDeleted", &format!("lost row {row}"), component, config)
        })?;
        self.get_config(auth, component, config)
    }
}

fn set_sort_order(
    tx: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    config: &ConfigId,
    order: &[RowId],
) -> Result<()> {
    tx.sql().execute(
        "UPDATE configs SET rows_sort_order = ?4 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
        params![project.0, component.as_str(), config.as_str(), to_json(&order)],
    )?;
    Ok(())
}
