//! Tables and aliases: the catalog in the metadata database, the rows in the project's backend.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use stackport_model::api::{
    BucketPermission, BucketRef, ColumnDefinition, ColumnFilter, MetadataKeyValue, NewAlias,
    NewColumn, NewTable, Table, TableDefinition, STORAGE_PROVIDER,
};
use stackport_model::{BucketId, ColumnName, ProjectId, TableId};

use super::auth::TokenAuth;
use super::buckets::load_bucket;
use super::events::{record, NewEvent};
use super::metadata::{
    delete_table_metadata, load_column_metadata, load_metadata, upsert_entries, MetadataObject,
};
use crate::backend::{ExportQuery, TableStats};
use crate::error::{Error, Result};
use crate::store::sqlrow::{from_json, to_json};
use crate::store::Tx;
use crate::{secret, Stack};

/// An alias's definition.
#[derive(Debug, Clone)]
pub(crate) struct AliasRecord {
    pub source: TableId,
    pub filter: Option<ColumnFilter>,
    /// Explicit columns; `None` follows the source's columns.
    pub columns: Option<Vec<ColumnName>>,
}

/// A table as the catalog holds it; for aliases, `physical` and `primary_key` are the source's
/// and `columns` are resolved.
#[derive(Debug, Clone)]
pub(crate) struct TableRecord {
    pub id: TableId,
    pub display_name: String,
    pub physical: String,
    pub columns: Vec<ColumnName>,
    pub primary_key: Vec<ColumnName>,
    pub definition: Option<TableDefinition>,
    pub alias: Option<AliasRecord>,
    pub created: i64,
}

impl TableRecord {
    /// Aliases only read through to their source; `instead` says what to do there.
    pub(crate) fn require_not_alias(&self, instead: &str) -> Result<()> {
        match self.alias {
            Some(_) => Err(Error::invalid(
                "storage.tables.aliasReadOnly",
                format!("{} is an alias; {instead}", self.id),
            )),
            None => Ok(()),
        }
    }
}

const TABLE_COLUMNS: &str =
    "id, display_name, physical, columns, primary_key, definition, alias_source, alias_filter, alias_columns, created";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TableRecord> {
    let parse_err = |e: stackport_model::IdError| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    };
    let source: Option<String> = r.get(6)?;
    let alias = match source {
        Some(source) => Some(AliasRecord {
            source: source.parse().map_err(parse_err)?,
            filter: r
                .get::<_, Option<String>>(7)?
                .map(|s| from_json(&s))
                .transpose()?,
            columns: r
                .get::<_, Option<String>>(8)?
                .map(|s| from_json(&s))
                .transpose()?,
        }),
        None => None,
    };
    Ok(TableRecord {
        id: r.get::<_, String>(0)?.parse().map_err(parse_err)?,
        display_name: r.get(1)?,
        physical: r.get(2)?,
        columns: from_json(&r.get::<_, String>(3)?)?,
        primary_key: from_json(&r.get::<_, String>(4)?)?,
        definition: r
            .get::<_, Option<String>>(5)?
            .map(|s| from_json(&s))
            .transpose()?,
        alias,
        created: r.get(9)?,
    })
}

pub(crate) fn table_not_found(id: &TableId) -> Error {
    Error::not_found(
        "storage.tables.notFound",
        format!("table {id} not found in this project"),
    )
}

fn load_raw(c: &mut Tx<'_>, project: ProjectId, id: &TableId) -> Result<Option<TableRecord>> {
    Ok(c.sql()
        .query_row(
            &format!("SELECT {TABLE_COLUMNS} FROM tables WHERE project_id = ?1 AND id = ?2"),
            params![project.0, id.to_string()],
            from_row,
        )
        .optional()?)
}

/// Loads a table; an alias comes back with its source's physical table and resolved columns.
pub(crate) fn load_table(c: &mut Tx<'_>, project: ProjectId, id: &TableId) -> Result<TableRecord> {
    let mut table = load_raw(c, project, id)?.ok_or_else(|| table_not_found(id))?;
    resolve_alias(c, project, &mut table)?;
    Ok(table)
}

fn resolve_alias(c: &mut Tx<'_>, project: ProjectId, table: &mut TableRecord) -> Result<()> {
    if let Some(alias) = &table.alias {
        let source = load_raw(c, project, &alias.source)?.ok_or_else(|| {
            Error::internal(
                "resolving an alias",
                format!("alias {} reads from missing {}", table.id, alias.source),
            )
        })?;
        table.physical = source.physical;
        table.primary_key = source.primary_key;
        table.definition = source.definition;
        if alias.columns.is_none() {
            table.columns = source.columns;
        }
    }
    Ok(())
}

/// Which optional parts a table listing carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableInclude {
    /// Table metadata.
    pub metadata: bool,
    /// Column metadata.
    pub column_metadata: bool,
}

/// Checks a list of columns: at least one, at most `max` (`limits.maxColumns`), no
/// case-insensitive repeats.
fn check_columns(columns: &[ColumnName], what: &str, max: usize) -> Result<()> {
    if columns.is_empty() {
        return Err(Error::invalid(
            "storage.tables.noColumns",
            format!("{what} needs at least one column"),
        ));
    }
    if columns.len() > max {
        return Err(Error::invalid(
            "storage.tables.tooManyColumns",
            format!(
                "{what} would have {} columns; this stack allows at most {max} (limits.maxColumns); \
                 split the data into several tables",
                columns.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for c in columns {
        if !seen.insert(c.folded()) {
            return Err(Error::invalid(
                "storage.tables.duplicateColumn",
                format!(
                    "column '{c}' appears twice in {what} (names are compared case-insensitively)"
                ),
            ));
        }
    }
    Ok(())
}

fn check_key(key: &[ColumnName], columns: &[ColumnName], table: &str) -> Result<()> {
    let mut seen = HashSet::new();
    for k in key {
        if !columns.contains(k) {
            return Err(Error::invalid(
                "storage.tables.unknownPrimaryKeyColumn",
                format!("primary key column '{k}' is not a column of {table}"),
            ));
        }
        if !seen.insert(k) {
            return Err(Error::invalid(
                "storage.tables.duplicatePrimaryKeyColumn",
                format!("primary key column '{k}' is listed twice"),
            ));
        }
    }
    Ok(())
}

/// The stack's own metadata of a typed column.
fn type_metadata(def: &ColumnDefinition) -> Vec<MetadataKeyValue> {
    let mut out = vec![
        MetadataKeyValue {
            key: "KBC.datatype.basetype".into(),
            value: def.basetype.as_str().into(),
        },
        MetadataKeyValue {
            key: "KBC.datatype.nullable".into(),
            value: if def.nullable { "1" } else { "0" }.into(),
        },
    ];
    if let Some(length) = &def.length {
        out.push(MetadataKeyValue {
            key: "KBC.datatype.length".into(),
            value: length.clone(),
        });
    }
    out
}

impl Stack {
    fn table_to_api(
        &self,
        c: &mut Tx<'_>,
        project: ProjectId,
        backend: &str,
        t: TableRecord,
        stats: Option<TableStats>,
        include: TableInclude,
    ) -> Result<Table> {
        let backend = self.backend(backend)?;
        let stats = match stats {
            Some(s) => s,
            None => backend.stats(project, &t.physical)?,
        };
        let rows_count = match &t.alias {
            Some(AliasRecord {
                filter: Some(filter),
                ..
            }) => backend.count(
                project,
                &t.physical,
                &ExportQuery {
                    filters: std::slice::from_ref(filter),
                    ..Default::default()
                },
            )?,
            _ => stats.rows_count,
        };
        let metadata = if include.metadata {
            Some(load_metadata(
                c,
                project,
                &MetadataObject::Table(t.id.clone()),
            )?)
        } else {
            None
        };
        let column_metadata = if include.column_metadata {
            Some(load_column_metadata(c, project, &t.id, &t.columns)?)
        } else {
            None
        };
        Ok(Table {
            name: t.id.name().to_string(),
            display_name: t.display_name,
            bucket: BucketRef {
                id: t.id.bucket().clone(),
            },
            columns: t.columns,
            primary_key: t.primary_key,
            is_typed: t.definition.is_some(),
            definition: t.definition,
            is_alias: t.alias.is_some(),
            source_table: t.alias.as_ref().map(|a| a.source.clone()),
            alias_filter: t.alias.as_ref().and_then(|a| a.filter.clone()),
            alias_columns_auto_sync: t.alias.as_ref().map(|a| a.columns.is_none()),
            created: super::time(t.created),
            last_import_date: stats.last_import_micros.map(super::time),
            last_change_date: super::time(stats.last_change_micros.max(t.created)),
            rows_count,
            data_size_bytes: stats.data_size_bytes,
            metadata,
            column_metadata,
            id: t.id,
        })
    }

    /// Tables the token can see, of one bucket or of all.
    pub fn list_tables(
        &self,
        auth: &TokenAuth,
        bucket: Option<&BucketId>,
        include: TableInclude,
    ) -> Result<Vec<Table>> {
        let project = self.get_project(auth.project())?;
        let stats = self.backend(&project.backend)?.stats_all(project.id)?;
        self.store.read(|c| {
            if let Some(b) = bucket {
                load_bucket(c, project.id, b)?;
                auth.require_bucket(b, BucketPermission::Read)?;
            }
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {TABLE_COLUMNS} FROM tables WHERE project_id = ?1 AND (?2 IS NULL OR bucket_id = ?2) ORDER BY id"
            ))?;
            let records = stmt
                .query_map(params![project.id.0, bucket.map(|b| b.to_string())], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            let mut out = Vec::new();
            for mut t in records {
                if auth.bucket_permission(t.id.bucket()).is_none() {
                    continue;
                }
                resolve_alias(c, project.id, &mut t)?;
                let s = stats.get(&t.physical).copied();
                out.push(self.table_to_api(c, project.id, &project.backend, t, s, include)?);
            }
            Ok(out)
        })
    }

    /// One table, with its metadata and column metadata.
    pub fn get_table(&self, auth: &TokenAuth, id: &TableId) -> Result<Table> {
        let project = self.get_project(auth.project())?;
        self.store.read(|c| {
            let t = load_table(c, project.id, id)?;
            auth.require_bucket(id.bucket(), BucketPermission::Read)?;
            self.table_to_api(
                c,
                project.id,
                &project.backend,
                t,
                None,
                TableInclude {
                    metadata: true,
                    column_metadata: true,
                },
            )
        })
    }

    /// Loads a table for an operation needing `needed` on its bucket.
    pub(crate) fn table_for(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        needed: BucketPermission,
    ) -> Result<TableRecord> {
        let t = self.store.read(|c| load_table(c, auth.project(), id))?;
        auth.require_bucket(id.bucket(), needed)?;
        Ok(t)
    }

    /// Creates a table, untyped (`columns`) or typed (`definition`).
    pub fn create_table(
        &self,
        auth: &TokenAuth,
        bucket: &BucketId,
        new: &NewTable,
    ) -> Result<Table> {
        let id = TableId::new(bucket.clone(), &new.name)?;
        let (columns, key, definition) = match &new.definition {
            Some(def) => {
                if !new.columns.is_empty() || !new.primary_key.is_empty() {
                    return Err(Error::invalid(
                        "storage.tables.ambiguousDefinition",
                        "give either columns and primaryKey, or definition, not both",
                    ));
                }
                let cols: Vec<ColumnName> = def.columns.iter().map(|c| c.name.clone()).collect();
                (cols, def.primary_keys_names.clone(), Some(def.clone()))
            }
            None => (new.columns.clone(), new.primary_key.clone(), None),
        };
        check_columns(
            &columns,
            &format!("table {id}"),
            self.settings.limits.max_columns,
        )?;
        check_key(&key, &columns, &id.to_string())?;
        if let Some(def) = &definition {
            for c in &def.columns {
                if key.contains(&c.name) && c.nullable {
                    return Err(Error::invalid(
                        "storage.tables.nullablePrimaryKey",
                        format!("primary key column '{}' of {id} must not be nullable; set \"nullable\": false", c.name),
                    ));
                }
                super::typing::check_length(c)
                    .map_err(|m| Error::invalid("storage.tables.invalidDefinition", m))?;
            }
        }
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let physical = format!("t_{}", secret::random_string(16).to_lowercase());
        let backend = self.backend(&project.backend)?;
        self.as_project_writer(project.id, || self.store.write(|tx| {
            load_bucket(tx, project.id, bucket)?;
            auth.require_bucket(bucket, BucketPermission::Write)?;
            ensure_name_free(tx, project.id, &id)?;
            tx.sql().execute(
                "INSERT INTO tables (project_id, id, bucket_id, name, display_name, physical, columns, primary_key, definition, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    project.id.0,
                    id.to_string(),
                    bucket.to_string(),
                    id.name(),
                    new.display_name.clone().unwrap_or_else(|| id.name().to_string()),
                    physical,
                    to_json(&columns),
                    to_json(&key),
                    definition.as_ref().map(to_json),
                    super::now_micros(),
                ],
            )?;
            if let Some(def) = &definition {
                for c in &def.columns {
                    let object = MetadataObject::Column(id.clone(), c.name.clone());
                    upsert_entries(tx, project.id, &object, STORAGE_PROVIDER, &type_metadata(c))?;
                }
            }
            Stack::touch_bucket(tx, project.id, bucket)?;
            record(tx, project.id, Some(&by), NewEvent {
                event: "storage.tableCreated",
                message: format!("Table {id} created"),
                object_type: "table",
                object_id: id.to_string(),
                params: json!({ "columns": columns, "primaryKey": key, "typed": definition.is_some() }),
            })?;
            // Last, so a failure above leaves no orphan; if this fails the catalog rolls back.
            backend.create_table(project.id, &physical, &columns, &key, tx.now_micros())
        }))?;
        self.get_table(auth, &id)
    }

    /// Creates an alias reading through to a table of the same project.
    pub fn create_alias(
        &self,
        auth: &TokenAuth,
        bucket: &BucketId,
        new: &NewAlias,
    ) -> Result<Table> {
        let id = TableId::new(bucket.clone(), &new.name)?;
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        self.store.write(|tx| {
            load_bucket(tx, project.id, bucket)?;
            auth.require_bucket(bucket, BucketPermission::Write)?;
            let source = load_raw(tx, project.id, &new.source_table)?.ok_or_else(|| table_not_found(&new.source_table))?;
            auth.require_bucket(new.source_table.bucket(), BucketPermission::Read)?;
            if source.alias.is_some() {
                return Err(Error::invalid(
                    "storage.tables.aliasOfAlias",
                    format!("{} is itself an alias; make the alias of its source {} instead",
                        new.source_table, source.alias.as_ref().map(|a| a.source.to_string()).unwrap_or_default()),
                ));
            }
            if let Some(f) = &new.alias_filter {
                if !source.columns.contains(&f.column) {
                    return Err(Error::invalid(
                        "storage.tables.columnNotFound",
                        format!("aliasFilter column '{}' is not a column of {}", f.column, new.source_table),
                    ));
                }
            }
            let explicit = if new.alias_columns.is_empty() { None } else { Some(new.alias_columns.clone()) };
            if let Some(cols) = &explicit {
                check_columns(cols, &format!("alias {id}"), self.settings.limits.max_columns)?;
                if let Some(missing) = cols.iter().find(|c| !source.columns.contains(c)) {
                    return Err(Error::invalid(
                        "storage.tables.columnNotFound",
                        format!("aliasColumns names '{missing}', which {} does not have", new.source_table),
                    ));
                }
            }
            ensure_name_free(tx, project.id, &id)?;
            tx.sql().execute(
                "INSERT INTO tables (project_id, id, bucket_id, name, display_name, physical, columns, primary_key,
                 alias_source, alias_filter, alias_columns, created) VALUES (?1, ?2, ?3, ?4, ?4, '', ?5, '[]', ?6, ?7, ?8, ?9)",
                params![
                    project.id.0,
                    id.to_string(),
                    bucket.to_string(),
                    id.name(),
                    to_json(explicit.as_ref().unwrap_or(&source.columns)),
                    new.source_table.to_string(),
                    new.alias_filter.as_ref().map(to_json),
                    explicit.as_ref().map(to_json),
                    super::now_micros(),
                ],
            )?;
            Stack::touch_bucket(tx, project.id, bucket)?;
            record(tx, project.id, Some(&by), NewEvent {
                event: "storage.tableAliasCreated",
                message: format!("Alias {id} of {} created", new.source_table),
                object_type: "table",
                object_id: id.to_string(),
                params: json!({ "sourceTable": new.source_table }),
            })
        })?;
        self.get_table(auth, &id)
    }

    /// Deletes a table (or alias) with its metadata; a table with aliases is refused.
    pub fn delete_table(&self, auth: &TokenAuth, id: &TableId) -> Result<()> {
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let table = self.store.write(|tx| {
            let table = load_raw(tx, project.id, id)?.ok_or_else(|| table_not_found(id))?;
            auth.require_bucket(id.bucket(), BucketPermission::Write)?;
            let aliases = aliases_of(tx, project.id, id)?;
            if !aliases.is_empty() {
                return Err(Error::invalid(
                    "storage.tables.hasAliases",
                    format!(
                        "table {id} has aliases ({}); delete them first",
                        aliases.join(", ")
                    ),
                ));
            }
            delete_table_metadata(tx, project.id, id)?;
            tx.sql().execute(
                "DELETE FROM tables WHERE project_id = ?1 AND id = ?2",
                params![project.id.0, id.to_string()],
            )?;
            Stack::touch_bucket(tx, project.id, id.bucket())?;
            record(
                tx,
                project.id,
                Some(&by),
                NewEvent {
                    event: "storage.tableDeleted",
                    message: format!("Table {id} deleted"),
                    object_type: "table",
                    object_id: id.to_string(),
                    params: json!({}),
                },
            )?;
            Ok(table)
        })?;
        if table.alias.is_none() {
            self.backend(&project.backend)?
                .drop_table(project.id, &table.physical)?;
        }
        Ok(())
    }

    /// Adds a column; existing rows get the empty string. Typed tables need its definition.
    pub fn add_column(&self, auth: &TokenAuth, id: &TableId, new: &NewColumn) -> Result<Table> {
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let backend = self.backend(&project.backend)?;
        self.as_project_writer(project.id, || {
            self.store.write(|tx| {
                let mut table = load_raw(tx, project.id, id)?.ok_or_else(|| table_not_found(id))?;
                auth.require_bucket(id.bucket(), BucketPermission::Write)?;
                table.require_not_alias("add the column to its source table")?;
                let mut columns = table.columns.clone();
                columns.push(new.name.clone());
                check_columns(&columns, &format!("table {id}"), self.settings.limits.max_columns)?;
                if let Some(def) = table.definition.as_mut() {
                    let mut col = new.definition.clone().ok_or_else(|| {
                        Error::invalid(
                            "storage.tables.missingDefinition",
                            format!(
                                "{id} is typed; give the new column a definition with its basetype"
                            ),
                        )
                    })?;
                    col.name = new.name.clone();
                    super::typing::check_length(&col)
                        .map_err(|m| Error::invalid("storage.tables.invalidDefinition", m))?;
                    if !col.nullable && backend.stats(project.id, &table.physical)?.rows_count > 0 {
                        return Err(Error::invalid(
                            "storage.tables.nonNullableColumnOnRows",
                            format!(
                                "{id} has rows, which would get an empty '{}'; add the column as nullable",
                                col.name
                            ),
                        ));
                    }
                    upsert_entries(
                        tx,
                        project.id,
                        &MetadataObject::Column(id.clone(), col.name.clone()),
                        STORAGE_PROVIDER,
                        &type_metadata(&col),
                    )?;
                    def.columns.push(col);
                }
                tx.sql().execute(
                "UPDATE tables SET columns = ?3, definition = ?4 WHERE project_id = ?1 AND id = ?2",
                params![
                    project.id.0,
                    id.to_string(),
                    to_json(&columns),
                    table.definition.as_ref().map(to_json)
                ],
            )?;
                sync_alias_columns(tx, project.id, id, &columns)?;
                Stack::touch_bucket(tx, project.id, id.bucket())?;
                record(
                    tx,
                    project.id,
                    Some(&by),
                    NewEvent {
                        event: "storage.tableColumnAdded",
                        message: format!("Column '{}' added to {id}", new.name),
                        object_type: "table",
                        object_id: id.to_string(),
                        params: json!({ "column": new.name }),
                    },
                )?;
                backend.add_column(project.id, &table.physical, &new.name, tx.now_micros())
            })
        })?;
        self.get_table(auth, id)
    }

    /// Removes a column that is not in the primary key nor used by an alias.
    pub fn delete_column(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        column: &ColumnName,
    ) -> Result<Table> {
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let backend = self.backend(&project.backend)?;
        self.as_project_writer(project.id, || self.store.write(|tx| {
            let mut table = load_raw(tx, project.id, id)?.ok_or_else(|| table_not_found(id))?;
            auth.require_bucket(id.bucket(), BucketPermission::Write)?;
            table.require_not_alias("remove the column from its source table")?;
            if !table.columns.contains(column) {
                return Err(Error::not_found("storage.tables.columnNotFound", format!("table {id} has no column '{column}'")));
            }
            if table.primary_key.contains(column) {
                return Err(Error::invalid("storage.tables.columnInPrimaryKey", format!("column '{column}' is part of the primary key of {id}; remove the primary key first")));
            }
            if table.columns.len() == 1 {
                return Err(Error::invalid("storage.tables.lastColumn", format!("'{column}' is the last column of {id}; delete the table instead")));
            }
            for alias in aliases_of(tx, project.id, id)? {
                let a = load_raw(tx, project.id, &alias.parse()?)?.ok_or_else(|| table_not_found(id))?;
                let used = a.alias.as_ref().is_some_and(|al| {
                    al.columns.as_ref().is_some_and(|c| c.contains(column))
                        || al.filter.as_ref().is_some_and(|f| &f.column == column)
                });
                if used {
                    return Err(Error::invalid("storage.tables.columnUsedByAlias", format!("alias {alias} uses column '{column}'; change or delete the alias first")));
                }
            }
            table.columns.retain(|c| c != column);
            if let Some(def) = table.definition.as_mut() {
                def.columns.retain(|c| &c.name != column);
            }
            tx.sql().execute(
                "UPDATE tables SET columns = ?3, definition = ?4 WHERE project_id = ?1 AND id = ?2",
                params![project.id.0, id.to_string(), to_json(&table.columns), table.definition.as_ref().map(to_json)],
            )?;
            tx.sql().execute(
                "DELETE FROM metadata WHERE project_id = ?1 AND object_type = 'column' AND object_id = ?2",
                params![project.id.0, format!("{id}.{column}")],
            )?;
            sync_alias_columns(tx, project.id, id, &table.columns)?;
            Stack::touch_bucket(tx, project.id, id.bucket())?;
            record(tx, project.id, Some(&by), NewEvent {
                event: "storage.tableColumnDeleted",
                message: format!("Column '{column}' deleted from {id}"),
                object_type: "table",
                object_id: id.to_string(),
                params: json!({ "column": column }),
            })?;
            backend.drop_column(project.id, &table.physical, column, tx.now_micros())
        }))?;
        self.get_table(auth, id)
    }

    /// Sets the primary key (an empty list removes it); refused while rows repeat a key.
    pub fn set_primary_key(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        key: &[ColumnName],
    ) -> Result<Table> {
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let backend = self.backend(&project.backend)?;
        self.as_project_writer(project.id, || self.store.write(|tx| {
            let table = load_raw(tx, project.id, id)?.ok_or_else(|| table_not_found(id))?;
            auth.require_bucket(id.bucket(), BucketPermission::Write)?;
            table.require_not_alias("set the key on its source table")?;
            check_key(key, &table.columns, &id.to_string())?;
            if let Some(def) = &table.definition {
                if let Some(c) = def.columns.iter().find(|c| key.contains(&c.name) && c.nullable) {
                    return Err(Error::invalid("storage.tables.nullablePrimaryKey", format!("column '{}' of {id} is nullable and cannot be in the primary key", c.name)));
                }
            }
            let mut definition = table.definition.clone();
            if let Some(def) = definition.as_mut() {
                def.primary_keys_names = key.to_vec();
            }
            tx.sql().execute(
                "UPDATE tables SET primary_key = ?3, definition = ?4 WHERE project_id = ?1 AND id = ?2",
                params![project.id.0, id.to_string(), to_json(&key), definition.as_ref().map(to_json)],
            )?;
            record(tx, project.id, Some(&by), NewEvent {
                event: if key.is_empty() { "storage.tablePrimaryKeyDeleted" } else { "storage.tablePrimaryKeySet" },
                message: format!("Primary key of {id} set to ({})", key.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")),
                object_type: "table",
                object_id: id.to_string(),
                params: json!({ "primaryKey": key }),
            })?;
            backend.set_primary_key(project.id, &table.physical, key, tx.now_micros())
        }))?;
        self.get_table(auth, id)
    }
}

fn ensure_name_free(tx: &mut Tx<'_>, project: ProjectId, id: &TableId) -> Result<()> {
    let taken: Option<String> = tx
        .sql()
        .query_row(
            "SELECT id FROM tables WHERE project_id = ?1 AND lower(id) = lower(?2)",
            params![project.0, id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(existing) => Err(Error::conflict(
            "storage.tables.alreadyExists",
            format!("table {existing} already exists; choose another name or delete it first"),
        )),
        None => Ok(()),
    }
}

fn aliases_of(c: &mut Tx<'_>, project: ProjectId, id: &TableId) -> Result<Vec<String>> {
    let mut stmt = c.sql().prepare_cached(
        "SELECT id FROM tables WHERE project_id = ?1 AND alias_source = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![project.0, id.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Auto-syncing aliases store their source's columns for listing; keep them current.
fn sync_alias_columns(
    tx: &mut Tx<'_>,
    project: ProjectId,
    id: &TableId,
    columns: &[ColumnName],
) -> Result<()> {
    tx.sql().execute(
        "UPDATE tables SET columns = ?3 WHERE project_id = ?1 AND alias_source = ?2 AND alias_columns IS NULL",
        params![project.0, id.to_string(), to_json(&columns)],
    )?;
    Ok(())
}
