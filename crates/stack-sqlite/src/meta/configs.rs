//! Component configurations with rows, state, versions and the trash: tables `configs`,
//! `config_rows` (ordered by `position`) and `config_versions` (a JSON snapshot each). Rows
//! and versions go with their configuration, and configurations with their project, through
//! `ON DELETE CASCADE`.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{ConfigRow, RawJson, TokenRef};
use stackport_model::{ComponentId, ProjectId, RowId, TokenId};
use stackport_stack::store::{
    ConfigKey, ConfigRecord, ConfigStore, ConfigVersionHead, ConfigVersionRecord, NewConfigRecord,
    NewConfigVersion,
};
use stackport_stack::Result;

use crate::row::{from_json, parse_column, to_json};
use crate::SqliteTx;

const CONFIG_COLUMNS: &str = "component_id, id, name, description, configuration, state, \
    is_disabled, is_deleted, rows_sort_order, created, creator_token_id, creator_description, \
    version";

fn config_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigRecord> {
    Ok(ConfigRecord {
        component: parse_column(r, 0)?,
        id: parse_column(r, 1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        configuration: r.get(4)?,
        state: r.get(5)?,
        is_disabled: r.get(6)?,
        is_deleted: r.get(7)?,
        rows_sort_order: from_json(&r.get::<_, String>(8)?)?,
        created: r.get(9)?,
        creator: TokenRef {
            id: TokenId(r.get(10)?),
            description: r.get(11)?,
        },
        version: r.get(12)?,
    })
}

const ROW_COLUMNS: &str = "id, name, description, configuration, state, is_disabled, version, \
    created, creator_token_id, creator_description, change_description";

fn document(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<RawJson> {
    RawJson::from_string(r.get(i)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn row_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigRow> {
    Ok(ConfigRow {
        id: parse_column(r, 0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        configuration: document(r, 3)?,
        state: document(r, 4)?,
        is_disabled: r.get(5)?,
        version: r.get(6)?,
        created: stackport_model::time::from_micros(r.get(7)?),
        creator_token: TokenRef {
            id: TokenId(r.get(8)?),
            description: r.get(9)?,
        },
        change_description: r.get(10)?,
    })
}

const HEAD_COLUMNS: &str =
    "version, identifier, created, token_id, token_description, change_description";

fn head_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigVersionHead> {
    Ok(ConfigVersionHead {
        version: r.get(0)?,
        identifier: r.get(1)?,
        created_micros: r.get(2)?,
        creator: TokenRef {
            id: TokenId(r.get(3)?),
            description: r.get(4)?,
        },
        change_description: r.get(5)?,
    })
}

fn version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigVersionRecord> {
    Ok(ConfigVersionRecord {
        head: head_from_row(r)?,
        snapshot: from_json(&r.get::<_, String>(6)?)?,
    })
}

impl SqliteTx<'_> {
    fn append_row(&mut self, key: ConfigKey<'_>, row: &ConfigRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO config_rows (project_id, component_id, config_id, id, position, \
                 name, description, configuration, state, is_disabled, version, created, \
                 creator_token_id, creator_description, change_description) \
                 SELECT ?1, ?2, ?3, ?4, coalesce(max(position), -1) + 1, ?5, ?6, ?7, ?8, ?9, \
                 ?10, ?11, ?12, ?13, ?14 FROM config_rows \
                 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
            )?
            .execute(params![
                key.project.0,
                key.component.as_str(),
                key.id.as_str(),
                row.id.as_str(),
                row.name,
                row.description,
                row.configuration.get(),
                row.state.get(),
                row.is_disabled,
                row.version,
                row.created.timestamp_micros(),
                row.creator_token.id.0,
                row.creator_token.description,
                row.change_description,
            ])?;
        Ok(())
    }
}

impl ConfigStore for SqliteTx<'_> {
    fn insert_config(&mut self, project: ProjectId, new: &NewConfigRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO configs (project_id, component_id, id, name, description, \
             configuration, state, is_disabled, is_deleted, rows_sort_order, created, \
             creator_token_id, creator_description, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, '[]', ?9, ?10, ?11, 0)",
            params![
                project.0,
                new.component.as_str(),
                new.id.as_str(),
                new.name,
                new.description,
                new.configuration,
                new.state,
                new.is_disabled,
                new.created_micros,
                new.creator.id.0,
                new.creator.description,
            ],
        )?;
        Ok(())
    }

    fn get_config(&mut self, key: ConfigKey<'_>) -> Result<Option<ConfigRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONFIG_COLUMNS} FROM configs \
                 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3"
            ))?
            .query_row(
                params![key.project.0, key.component.as_str(), key.id.as_str()],
                config_from_row,
            )
            .optional()?)
    }

    fn list_configs(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        deleted: bool,
    ) -> Result<Vec<ConfigRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CONFIG_COLUMNS} FROM configs WHERE project_id = ?1 AND component_id = ?2 \
             AND is_deleted = ?3 ORDER BY created, id"
        ))?;
        let rows = stmt.query_map(
            params![project.0, component.as_str(), deleted],
            config_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn components_with_configs(
        &mut self,
        project: ProjectId,
        deleted: bool,
    ) -> Result<Vec<ComponentId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT component_id FROM configs WHERE project_id = ?1 AND is_deleted = ?2 \
             ORDER BY component_id",
        )?;
        let rows = stmt.query_map(params![project.0, deleted], |r| parse_column(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn update_config(&mut self, project: ProjectId, c: &ConfigRecord) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE configs SET name = ?4, description = ?5, configuration = ?6, state = ?7, \
             is_disabled = ?8, is_deleted = ?9, rows_sort_order = ?10 \
             WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
            params![
                project.0,
                c.component.as_str(),
                c.id.as_str(),
                c.name,
                c.description,
                c.configuration,
                c.state,
                c.is_disabled,
                c.is_deleted,
                to_json(&c.rows_sort_order),
            ],
        )? > 0)
    }

    fn purge_config(&mut self, key: ConfigKey<'_>) -> Result<bool> {
        let params = params![key.project.0, key.component.as_str(), key.id.as_str()];
        Ok(self.conn.execute(
            "DELETE FROM configs WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
            params,
        )? > 0)
    }

    fn list_rows(&mut self, key: ConfigKey<'_>) -> Result<Vec<ConfigRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM config_rows \
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 ORDER BY position"
        ))?;
        let rows = stmt.query_map(
            params![key.project.0, key.component.as_str(), key.id.as_str()],
            row_from_sql,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn get_row(&mut self, key: ConfigKey<'_>, row: &RowId) -> Result<Option<ConfigRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM config_rows \
                 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4"
            ))?
            .query_row(
                params![
                    key.project.0,
                    key.component.as_str(),
                    key.id.as_str(),
                    row.as_str()
                ],
                row_from_sql,
            )
            .optional()?)
    }

    fn insert_row(&mut self, key: ConfigKey<'_>, row: &ConfigRow) -> Result<()> {
        self.append_row(key, row)
    }

    fn update_row(&mut self, key: ConfigKey<'_>, row: &ConfigRow) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE config_rows SET name = ?5, description = ?6, configuration = ?7, state = ?8, \
             is_disabled = ?9, version = ?10, change_description = ?11 \
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4",
            params![
                key.project.0,
                key.component.as_str(),
                key.id.as_str(),
                row.id.as_str(),
                row.name,
                row.description,
                row.configuration.get(),
                row.state.get(),
                row.is_disabled,
                row.version,
                row.change_description,
            ],
        )? > 0)
    }

    fn delete_row(&mut self, key: ConfigKey<'_>, row: &RowId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM config_rows \
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND id = ?4",
            params![
                key.project.0,
                key.component.as_str(),
                key.id.as_str(),
                row.as_str()
            ],
        )? > 0)
    }

    fn replace_rows(&mut self, key: ConfigKey<'_>, rows: &[ConfigRow]) -> Result<()> {
        self.conn.execute(
            "DELETE FROM config_rows \
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
            params![key.project.0, key.component.as_str(), key.id.as_str()],
        )?;
        for row in rows {
            self.append_row(key, row)?;
        }
        Ok(())
    }

    fn insert_config_version(
        &mut self,
        key: ConfigKey<'_>,
        new: &NewConfigVersion<'_>,
    ) -> Result<u64> {
        let k = params![key.project.0, key.component.as_str(), key.id.as_str()];
        let previous: Option<u64> = self.conn.query_row(
            "SELECT max(version) FROM config_versions \
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
            k,
            |r| r.get(0),
        )?;
        let version = previous.unwrap_or(0) + 1;
        self.conn.execute(
            "INSERT INTO config_versions (project_id, component_id, config_id, version, \
             identifier, created, token_id, token_description, change_description, snapshot) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                key.project.0,
                key.component.as_str(),
                key.id.as_str(),
                version,
                new.identifier,
                new.created_micros,
                new.creator.id.0,
                new.creator.description,
                new.change_description,
                serde_json::to_string(new.snapshot)?,
            ],
        )?;
        self.conn.execute(
            "UPDATE configs SET version = ?4 \
             WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
            params![
                key.project.0,
                key.component.as_str(),
                key.id.as_str(),
                version
            ],
        )?;
        Ok(version)
    }

    fn config_version_head(
        &mut self,
        key: ConfigKey<'_>,
        version: u64,
    ) -> Result<Option<ConfigVersionHead>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {HEAD_COLUMNS} FROM config_versions \
                 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND version = ?4"
            ))?
            .query_row(
                params![
                    key.project.0,
                    key.component.as_str(),
                    key.id.as_str(),
                    version
                ],
                head_from_row,
            )
            .optional()?)
    }

    fn get_config_version(
        &mut self,
        key: ConfigKey<'_>,
        version: u64,
    ) -> Result<Option<ConfigVersionRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {HEAD_COLUMNS}, snapshot FROM config_versions \
                 WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND version = ?4"
            ))?
            .query_row(
                params![
                    key.project.0,
                    key.component.as_str(),
                    key.id.as_str(),
                    version
                ],
                version_from_row,
            )
            .optional()?)
    }

    fn list_config_versions(&mut self, key: ConfigKey<'_>) -> Result<Vec<ConfigVersionRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {HEAD_COLUMNS}, snapshot FROM config_versions \
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 \
             ORDER BY version DESC"
        ))?;
        let rows = stmt.query_map(
            params![key.project.0, key.component.as_str(), key.id.as_str()],
            version_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
