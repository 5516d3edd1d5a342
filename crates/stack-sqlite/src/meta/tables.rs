//! The table catalog: tables, their columns, primary keys and aliases, one row each in
//! `tables`; lists and definitions as JSON text. An alias's row keeps an empty `physical` and
//! key, and a copy of its source's columns while it follows them.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::TableDefinition;
use stackport_model::{BucketId, ColumnName, ProjectId, TableId};
use stackport_stack::backend::PhysicalName;
use stackport_stack::store::{
    AliasRecord, NewAliasRecord, NewTableRecord, TableCatalog, TableRecord,
};
use stackport_stack::{Error, Result};

use crate::row::{from_json, parse_column, parse_optional_column, to_json};
use crate::SqliteTx;

/// A table's row joined with its alias source's (`s`), so an alias reads back resolved.
const SELECT: &str = "SELECT t.id, t.display_name, t.physical, t.columns, t.primary_key, \
     t.definition, t.alias_source, t.alias_filter, t.alias_columns, t.created, \
     s.id, s.physical, s.columns, s.primary_key, s.definition \
     FROM tables t LEFT JOIN tables s ON s.project_id = t.project_id AND s.id = t.alias_source";

fn optional_json<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    r.get::<_, Option<String>>(i)?
        .map(|s| from_json(&s))
        .transpose()
}

/// An alias whose source row is gone: only a damaged catalog has one.
#[derive(Debug)]
struct MissingSource(String);

impl std::fmt::Display for MissingSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "alias reads from missing table {}", self.0)
    }
}

impl std::error::Error for MissingSource {}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TableRecord> {
    let source: Option<TableId> = parse_optional_column(r, 6)?;
    let mut table = TableRecord {
        id: parse_column(r, 0)?,
        display_name: r.get(1)?,
        physical: PhysicalName::from_stored(r.get(2)?),
        columns: from_json(&r.get::<_, String>(3)?)?,
        primary_key: from_json(&r.get::<_, String>(4)?)?,
        definition: optional_json(r, 5)?,
        alias: None,
        created_micros: r.get(9)?,
    };
    if let Some(source) = source {
        if r.get::<_, Option<String>>(10)?.is_none() {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                10,
                rusqlite::types::Type::Null,
                Box::new(MissingSource(source.to_string())),
            ));
        }
        let columns: Option<Vec<ColumnName>> = optional_json(r, 8)?;
        table.physical = PhysicalName::from_stored(r.get(11)?);
        if columns.is_none() {
            table.columns = from_json(&r.get::<_, String>(12)?)?;
        }
        table.primary_key = from_json(&r.get::<_, String>(13)?)?;
        table.definition = optional_json(r, 14)?;
        table.alias = Some(AliasRecord {
            source,
            filter: optional_json(r, 7)?,
            columns,
        });
    }
    Ok(table)
}

impl SqliteTx<'_> {
    fn tables_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<TableRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE {condition} ORDER BY t.id"))?;
        let rows = stmt.query_map(args, from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

impl TableCatalog for SqliteTx<'_> {
    fn insert_table(&mut self, project: ProjectId, new: &NewTableRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO tables (project_id, id, bucket_id, name, display_name, physical, \
             columns, primary_key, definition, created) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                project.0,
                new.id.to_string(),
                new.id.bucket().to_string(),
                new.id.name(),
                new.display_name,
                new.physical.as_str(),
                to_json(&new.columns),
                to_json(&new.primary_key),
                new.definition.map(to_json),
                new.created_micros,
            ],
        )?;
        Ok(())
    }

    fn insert_alias(&mut self, project: ProjectId, new: &NewAliasRecord<'_>) -> Result<()> {
        let columns = match new.columns {
            Some(columns) => to_json(&columns),
            None => self
                .conn
                .query_row(
                    "SELECT columns FROM tables WHERE project_id = ?1 AND id = ?2",
                    params![project.0, new.source.to_string()],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .ok_or_else(|| {
                    Error::internal(
                        "inserting an alias",
                        format!("source table {} is not in the catalog", new.source),
                    )
                })?,
        };
        self.conn.execute(
            "INSERT INTO tables (project_id, id, bucket_id, name, display_name, physical, \
             columns, primary_key, alias_source, alias_filter, alias_columns, created) \
             VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, '[]', ?7, ?8, ?9, ?10)",
            params![
                project.0,
                new.id.to_string(),
                new.id.bucket().to_string(),
                new.id.name(),
                new.display_name,
                columns,
                new.source.to_string(),
                new.filter.map(to_json),
                new.columns.map(|c| to_json(&c)),
                new.created_micros,
            ],
        )?;
        Ok(())
    }

    fn get_table(&mut self, project: ProjectId, id: &TableId) -> Result<Option<TableRecord>> {
        Ok(self
            .tables_where(
                "t.project_id = ?1 AND t.id = ?2",
                params![project.0, id.to_string()],
            )?
            .pop())
    }

    fn list_tables(
        &mut self,
        project: ProjectId,
        bucket: Option<&BucketId>,
    ) -> Result<Vec<TableRecord>> {
        self.tables_where(
            "t.project_id = ?1 AND (?2 IS NULL OR t.bucket_id = ?2)",
            params![project.0, bucket.map(|b| b.to_string())],
        )
    }

    fn table_name_taken(&mut self, project: ProjectId, id: &TableId) -> Result<Option<TableId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM tables WHERE project_id = ?1 AND lower(id) = lower(?2) \
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![project.0, id.to_string()], |r| parse_column(r, 0))
            .optional()?)
    }

    fn aliases_of(&mut self, project: ProjectId, source: &TableId) -> Result<Vec<TableRecord>> {
        self.tables_where(
            "t.project_id = ?1 AND t.alias_source = ?2",
            params![project.0, source.to_string()],
        )
    }

    fn alias_into_bucket(
        &mut self,
        project: ProjectId,
        bucket: &BucketId,
    ) -> Result<Option<TableId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT a.id FROM tables a JOIN tables s \
                 ON s.project_id = a.project_id AND s.id = a.alias_source \
                 WHERE a.project_id = ?1 AND s.bucket_id = ?2 AND a.bucket_id != ?2 \
                 ORDER BY a.id LIMIT 1",
            )?
            .query_row(params![project.0, bucket.to_string()], |r| {
                parse_column(r, 0)
            })
            .optional()?)
    }

    fn set_columns(
        &mut self,
        project: ProjectId,
        id: &TableId,
        columns: &[ColumnName],
        definition: Option<&TableDefinition>,
    ) -> Result<()> {
        let columns = to_json(&columns);
        self.conn.execute(
            "UPDATE tables SET columns = ?3, definition = ?4 WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.to_string(), columns, definition.map(to_json)],
        )?;
        self.conn.execute(
            "UPDATE tables SET columns = ?3 \
             WHERE project_id = ?1 AND alias_source = ?2 AND alias_columns IS NULL",
            params![project.0, id.to_string(), columns],
        )?;
        Ok(())
    }

    fn set_primary_key(
        &mut self,
        project: ProjectId,
        id: &TableId,
        primary_key: &[ColumnName],
        definition: Option<&TableDefinition>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE tables SET primary_key = ?3, definition = ?4 \
             WHERE project_id = ?1 AND id = ?2",
            params![
                project.0,
                id.to_string(),
                to_json(&primary_key),
                definition.map(to_json)
            ],
        )?;
        Ok(())
    }

    fn delete_table(&mut self, project: ProjectId, id: &TableId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM tables WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.to_string()],
        )? > 0)
    }

    fn delete_bucket_tables(&mut self, project: ProjectId, bucket: &BucketId) -> Result<u64> {
        Ok(self.conn.execute(
            "DELETE FROM tables WHERE project_id = ?1 AND bucket_id = ?2",
            params![project.0, bucket.to_string()],
        )? as u64)
    }

    fn physical_names(&mut self, project: ProjectId) -> Result<Vec<(TableId, PhysicalName)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, physical FROM tables \
             WHERE project_id = ?1 AND alias_source IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([project.0], |r| {
            Ok((parse_column(r, 0)?, PhysicalName::from_stored(r.get(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
