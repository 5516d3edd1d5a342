//! Tables and aliases: the catalog in the metadata database, the rows in the project's backend.

use std::collections::HashSet;

use serde_json::json;
use stackport_model::api::{
    BucketPermission, BucketRef, ColumnDefinition, MetadataKeyValue, NewAlias, NewColumn, NewTable,
    Project, Table, TableDefinition, TokenRef, STORAGE_PROVIDER,
};
use stackport_model::{BucketId, ColumnName, ProjectId, TableId};

use super::auth::TokenAuth;
use super::buckets::{load_bucket, touch_bucket};
use super::events::{record, NewEvent};
use super::metadata::{load_column_metadata, upsert_entries, MetadataObject};
use crate::backend::{ExportQuery, PhysicalName, TableStats};
use crate::error::{Error, Result};
use crate::store::{AliasRecord, MetadataScope, NewAliasRecord, NewTableRecord, TableRecord, Tx};
use crate::Stack;

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

pub(crate) fn table_not_found(id: &TableId) -> Error {
    Error::not_found(
        "storage.tables.notFound",
        format!("table {id} not found in this project"),
    )
}

/// Loads a table or alias, or 404; an alias comes back with its source's physical table and
/// resolved columns.
pub(crate) fn load_table(tx: &mut Tx<'_>, project: ProjectId, id: &TableId) -> Result<TableRecord> {
    tx.tables()
        .get_table(project, id)?
        .ok_or_else(|| table_not_found(id))
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
                "{what} would have {} columns; this stack allows at most {max} \
                 (limits.maxColumns); split the data into several tables",
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

/// What a new table will be: its columns, primary key and (typed) definition, checked.
fn check_new_table(
    id: &TableId,
    new: &NewTable,
    max_columns: usize,
) -> Result<(Vec<ColumnName>, Vec<ColumnName>, Option<TableDefinition>)> {
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
    check_columns(&columns, &format!("table {id}"), max_columns)?;
    check_key(&key, &columns, &id.to_string())?;
    if let Some(def) = &definition {
        for c in &def.columns {
            if key.contains(&c.name) && c.nullable {
                return Err(Error::invalid(
                    "storage.tables.nullablePrimaryKey",
                    format!(
                        "primary key column '{}' of {id} must not be nullable; set \
                         \"nullable\": false",
                        c.name
                    ),
                ));
            }
            super::typing::check_length(c)
                .map_err(|m| Error::invalid("storage.tables.invalidDefinition", m))?;
        }
    }
    Ok((columns, key, definition))
}

/// Checks an alias of `source` and returns its explicit columns (`None`: it follows the
/// source's).
fn check_new_alias(
    id: &TableId,
    source: &TableRecord,
    new: &NewAlias,
    max_columns: usize,
) -> Result<Option<Vec<ColumnName>>> {
    if let Some(alias) = &source.alias {
        return Err(Error::invalid(
            "storage.tables.aliasOfAlias",
            format!(
                "{} is itself an alias; make the alias of its source {} instead",
                new.source_table, alias.source
            ),
        ));
    }
    if let Some(f) = &new.alias_filter {
        if !source.columns.contains(&f.column) {
            return Err(Error::invalid(
                "storage.tables.columnNotFound",
                format!(
                    "aliasFilter column '{}' is not a column of {}",
                    f.column, new.source_table
                ),
            ));
        }
    }
    if new.alias_columns.is_empty() {
        return Ok(None);
    }
    let cols = &new.alias_columns;
    check_columns(cols, &format!("alias {id}"), max_columns)?;
    if let Some(missing) = cols.iter().find(|c| !source.columns.contains(c)) {
        return Err(Error::invalid(
            "storage.tables.columnNotFound",
            format!(
                "aliasColumns names '{missing}', which {} does not have",
                new.source_table
            ),
        ));
    }
    Ok(Some(cols.clone()))
}

/// Checks that `column` may leave `table`, whose aliases are `aliases`.
fn check_column_removal(
    table: &TableRecord,
    column: &ColumnName,
    aliases: &[TableRecord],
) -> Result<()> {
    let id = &table.id;
    if !table.columns.contains(column) {
        return Err(Error::not_found(
            "storage.tables.columnNotFound",
            format!("table {id} has no column '{column}'"),
        ));
    }
    if table.primary_key.contains(column) {
        return Err(Error::invalid(
            "storage.tables.columnInPrimaryKey",
            format!(
                "column '{column}' is part of the primary key of {id}; remove the primary key \
                 first"
            ),
        ));
    }
    if table.columns.len() == 1 {
        return Err(Error::invalid(
            "storage.tables.lastColumn",
            format!("'{column}' is the last column of {id}; delete the table instead"),
        ));
    }
    for alias in aliases {
        let used = alias.alias.as_ref().is_some_and(|al| {
            al.columns.as_ref().is_some_and(|c| c.contains(column))
                || al.filter.as_ref().is_some_and(|f| &f.column == column)
        });
        if used {
            return Err(Error::invalid(
                "storage.tables.columnUsedByAlias",
                format!(
                    "alias {} uses column '{column}'; change or delete the alias first",
                    alias.id
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a new primary key of `table` and returns its definition with the key set.
fn check_primary_key(table: &TableRecord, key: &[ColumnName]) -> Result<Option<TableDefinition>> {
    let id = &table.id;
    check_key(key, &table.columns, &id.to_string())?;
    let mut definition = table.definition.clone();
    if let Some(def) = definition.as_mut() {
        if let Some(c) = def
            .columns
            .iter()
            .find(|c| key.contains(&c.name) && c.nullable)
        {
            return Err(Error::invalid(
                "storage.tables.nullablePrimaryKey",
                format!(
                    "column '{}' of {id} is nullable and cannot be in the primary key",
                    c.name
                ),
            ));
        }
        def.primary_keys_names = key.to_vec();
    }
    Ok(definition)
}

impl Stack {
    fn table_to_api(
        &self,
        tx: &mut Tx<'_>,
        project: &Project,
        t: TableRecord,
        stats: Option<TableStats>,
        include: TableInclude,
    ) -> Result<Table> {
        let backend = self.project_backend(project)?;
        let project = project.id;
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
            Some(
                tx.metadata()
                    .list_metadata(project, &MetadataObject::Table(t.id.clone()))?,
            )
        } else {
            None
        };
        let column_metadata = if include.column_metadata {
            Some(load_column_metadata(tx, project, &t.id, &t.columns)?)
        } else {
            None
        };
        Ok(Table {
            uri: self.storage_url(&format!("tables/{}", t.id)),
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
            created: super::time(t.created_micros),
            last_import_date: stats.last_import_micros.map(super::time),
            last_change_date: super::time(stats.last_change_micros.max(t.created_micros)),
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
        let stats = self.project_backend(&project)?.stats_all(project.id)?;
        self.store.read(|tx| {
            if let Some(b) = bucket {
                load_bucket(tx, project.id, b)?;
                auth.require_bucket(b, BucketPermission::Read)?;
            }
            let records = tx.tables().list_tables(project.id, bucket)?;
            let mut out = Vec::new();
            for t in records {
                if auth.bucket_permission(t.id.bucket()).is_none() {
                    continue;
                }
                let s = stats.get(t.physical.as_str()).copied();
                out.push(self.table_to_api(tx, &project, t, s, include)?);
            }
            Ok(out)
        })
    }

    /// One table, with its metadata and column metadata.
    pub fn get_table(&self, auth: &TokenAuth, id: &TableId) -> Result<Table> {
        let project = self.get_project(auth.project())?;
        self.store.read(|tx| {
            let t = load_table(tx, project.id, id)?;
            auth.require_bucket(id.bucket(), BucketPermission::Read)?;
            self.table_to_api(
                tx,
                &project,
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
        let t = self.store.read(|tx| load_table(tx, auth.project(), id))?;
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
        let (columns, key, definition) =
            check_new_table(&id, new, self.settings.limits.max_columns)?;
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let physical = PhysicalName::mint();
        let backend = self.project_backend(&project)?;
        let display_name = new
            .display_name
            .clone()
            .unwrap_or_else(|| id.name().to_string());
        self.as_project_writer(project.id, || {
            self.store.write(|tx| {
                load_bucket(tx, project.id, bucket)?;
                auth.require_bucket(bucket, BucketPermission::Write)?;
                ensure_name_free(tx, project.id, &id)?;
                let created_micros = tx.now_micros();
                tx.tables().insert_table(
                    project.id,
                    &NewTableRecord {
                        id: &id,
                        display_name: &display_name,
                        physical: &physical,
                        columns: &columns,
                        primary_key: &key,
                        definition: definition.as_ref(),
                        created_micros,
                    },
                )?;
                if let Some(def) = &definition {
                    for c in &def.columns {
                        let object = MetadataObject::Column(id.clone(), c.name.clone());
                        upsert_entries(
                            tx,
                            project.id,
                            &object,
                            STORAGE_PROVIDER,
                            &type_metadata(c),
                        )?;
                    }
                }
                touch_bucket(tx, project.id, bucket)?;
                table_event(
                    tx,
                    project.id,
                    &by,
                    &id,
                    "storage.tableCreated",
                    format!("Table {id} created"),
                    json!({
                        "columns": columns,
                        "primaryKey": key,
                        "typed": definition.is_some()
                    }),
                )?;
                // Last, so a failure above leaves no orphan; if this fails the catalog rolls
                // back. A crash between this and the commit leaves one, which the sweep at the
                // next start drops.
                backend.create_table(
                    project.id,
                    &physical,
                    &columns,
                    definition.as_ref().map(|d| d.columns.as_slice()),
                    &key,
                    tx.now_micros(),
                )
            })
        })?;
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
            let source = load_table(tx, project.id, &new.source_table)?;
            auth.require_bucket(new.source_table.bucket(), BucketPermission::Read)?;
            let explicit = check_new_alias(&id, &source, new, self.settings.limits.max_columns)?;
            ensure_name_free(tx, project.id, &id)?;
            let created_micros = tx.now_micros();
            tx.tables().insert_alias(
                project.id,
                &NewAliasRecord {
                    id: &id,
                    display_name: id.name(),
                    source: &new.source_table,
                    filter: new.alias_filter.as_ref(),
                    columns: explicit.as_deref(),
                    created_micros,
                },
            )?;
            touch_bucket(tx, project.id, bucket)?;
            table_event(
                tx,
                project.id,
                &by,
                &id,
                "storage.tableAliasCreated",
                format!("Alias {id} of {} created", new.source_table),
                json!({ "sourceTable": new.source_table }),
            )
        })?;
        self.get_table(auth, &id)
    }

    /// Deletes a table (or alias) with its metadata; a table with aliases is refused.
    pub fn delete_table(&self, auth: &TokenAuth, id: &TableId) -> Result<()> {
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let table = self.store.write(|tx| {
            let table = load_table(tx, project.id, id)?;
            auth.require_bucket(id.bucket(), BucketPermission::Write)?;
            let aliases = tx.tables().aliases_of(project.id, id)?;
            if !aliases.is_empty() {
                return Err(Error::invalid(
                    "storage.tables.hasAliases",
                    format!(
                        "table {id} has aliases ({}); delete them first",
                        aliases
                            .iter()
                            .map(|a| a.id.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            tx.metadata()
                .delete_metadata_of(project.id, MetadataScope::Table(id))?;
            tx.tables().delete_table(project.id, id)?;
            touch_bucket(tx, project.id, id.bucket())?;
            table_event(
                tx,
                project.id,
                &by,
                id,
                "storage.tableDeleted",
                format!("Table {id} deleted"),
                json!({}),
            )?;
            Ok(table)
        })?;
        if table.alias.is_none() {
            self.project_backend(&project)?
                .drop_table(project.id, &table.physical)?;
        }
        Ok(())
    }

    /// Adds a column; existing rows get the empty string. Typed tables need its definition.
    pub fn add_column(&self, auth: &TokenAuth, id: &TableId, new: &NewColumn) -> Result<Table> {
        let project = self.get_project(auth.project())?;
        let by = auth.token_ref();
        let backend = self.project_backend(&project)?;
        self.as_project_writer(project.id, || {
            self.store.write(|tx| {
                let mut table = load_table(tx, project.id, id)?;
                auth.require_bucket(id.bucket(), BucketPermission::Write)?;
                table.require_not_alias("add the column to its source table")?;
                let mut columns = table.columns.clone();
                columns.push(new.name.clone());
                check_columns(
                    &columns,
                    &format!("table {id}"),
                    self.settings.limits.max_columns,
                )?;
                if let Some(def) = table.definition.as_mut() {
                    let mut col = new.definition.clone().ok_or_else(|| {
                        Error::invalid(
                            "storage.tables.missingDefinition",
                            format!(
                                "{id} is typed; give the new column a definition with its \
                                 basetype"
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
                                "{id} has rows, which would get an empty '{}'; add the column \
                                 as nullable",
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
                tx.tables()
                    .set_columns(project.id, id, &columns, table.definition.as_ref())?;
                touch_bucket(tx, project.id, id.bucket())?;
                table_event(
                    tx,
                    project.id,
                    &by,
                    id,
                    "storage.tableColumnAdded",
                    format!("Column '{}' added to {id}", new.name),
                    json!({ "column": new.name }),
                )?;
                // A typed table's new column was pushed last onto its definition above.
                let definition = table.definition.as_ref().and_then(|d| d.columns.last());
                backend.add_column(
                    project.id,
                    &table.physical,
                    &new.name,
                    definition,
                    tx.now_micros(),
                )
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
        let backend = self.project_backend(&project)?;
        self.as_project_writer(project.id, || {
            self.store.write(|tx| {
                let mut table = load_table(tx, project.id, id)?;
                auth.require_bucket(id.bucket(), BucketPermission::Write)?;
                table.require_not_alias("remove the column from its source table")?;
                let aliases = tx.tables().aliases_of(project.id, id)?;
                check_column_removal(&table, column, &aliases)?;
                table.columns.retain(|c| c != column);
                if let Some(def) = table.definition.as_mut() {
                    def.columns.retain(|c| &c.name != column);
                }
                tx.tables().set_columns(
                    project.id,
                    id,
                    &table.columns,
                    table.definition.as_ref(),
                )?;
                let object = MetadataObject::Column(id.clone(), column.clone());
                tx.metadata()
                    .delete_metadata_of(project.id, MetadataScope::Object(&object))?;
                touch_bucket(tx, project.id, id.bucket())?;
                table_event(
                    tx,
                    project.id,
                    &by,
                    id,
                    "storage.tableColumnDeleted",
                    format!("Column '{column}' deleted from {id}"),
                    json!({ "column": column }),
                )?;
                backend.drop_column(project.id, &table.physical, column, tx.now_micros())
            })
        })?;
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
        let backend = self.project_backend(&project)?;
        self.as_project_writer(project.id, || {
            self.store.write(|tx| {
                let table = load_table(tx, project.id, id)?;
                auth.require_bucket(id.bucket(), BucketPermission::Write)?;
                table.require_not_alias("set the key on its source table")?;
                let definition = check_primary_key(&table, key)?;
                tx.tables()
                    .set_primary_key(project.id, id, key, definition.as_ref())?;
                table_event(
                    tx,
                    project.id,
                    &by,
                    id,
                    if key.is_empty() {
                        "storage.tablePrimaryKeyDeleted"
                    } else {
                        "storage.tablePrimaryKeySet"
                    },
                    format!(
                        "Primary key of {id} set to ({})",
                        key.iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    json!({ "primaryKey": key }),
                )?;
                backend.set_primary_key(project.id, &table.physical, key, tx.now_micros())
            })
        })?;
        self.get_table(auth, id)
    }
}

fn ensure_name_free(tx: &mut Tx<'_>, project: ProjectId, id: &TableId) -> Result<()> {
    match tx.tables().table_name_taken(project, id)? {
        Some(existing) => Err(Error::conflict(
            "storage.tables.alreadyExists",
            format!("table {existing} already exists; choose another name or delete it first"),
        )),
        None => Ok(()),
    }
}

/// Records `event` about table `id`, caused by `by`.
fn table_event(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: &TokenRef,
    id: &TableId,
    event: &'static str,
    message: String,
    params: serde_json::Value,
) -> Result<()> {
    record(
        tx,
        project,
        Some(by),
        NewEvent {
            event,
            message,
            object_type: "table",
            object_id: id.to_string(),
            params,
        },
    )
}

#[cfg(test)]
mod tests {
    use stackport_model::api::{BaseType, ColumnFilter, FilterOperator};

    use super::*;

    fn cols(names: &[&str]) -> Vec<ColumnName> {
        names
            .iter()
            .map(|n| ColumnName::parse(n).unwrap())
            .collect()
    }

    fn id(id: &str) -> TableId {
        id.parse().unwrap()
    }

    fn code<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.expect_err("the rule refuses").code().to_string()
    }

    fn column(
        name: &str,
        basetype: BaseType,
        nullable: bool,
        length: Option<&str>,
    ) -> ColumnDefinition {
        ColumnDefinition {
            name: ColumnName::parse(name).unwrap(),
            basetype,
            nullable,
            length: length.map(String::from),
        }
    }

    fn table(name: &str, columns: &[&str], key: &[&str]) -> TableRecord {
        TableRecord {
            id: id(name),
            display_name: String::new(),
            physical: PhysicalName::from_stored("t_x".into()),
            columns: cols(columns),
            primary_key: cols(key),
            definition: None,
            alias: None,
            created_micros: 0,
        }
    }

    fn alias(
        name: &str,
        source: &str,
        columns: Option<&[&str]>,
        filter: Option<&str>,
    ) -> TableRecord {
        let mut t = table(name, &[], &[]);
        t.alias = Some(AliasRecord {
            source: id(source),
            filter: filter.map(|c| ColumnFilter {
                column: ColumnName::parse(c).unwrap(),
                operator: FilterOperator::Eq,
                values: vec!["1".into()],
            }),
            columns: columns.map(cols),
        });
        t
    }

    #[test]
    fn columns_are_one_to_the_limit_without_case_insensitive_repeats() {
        assert!(check_columns(&cols(&["a", "b"]), "t", 2).is_ok());
        assert_eq!(code(check_columns(&[], "t", 2)), "storage.tables.noColumns");
        assert_eq!(
            code(check_columns(&cols(&["a", "b", "c"]), "t", 2)),
            "storage.tables.tooManyColumns"
        );
        assert_eq!(
            code(check_columns(&cols(&["Id", "ID"]), "t", 5)),
            "storage.tables.duplicateColumn"
        );
    }

    #[test]
    fn a_key_names_columns_of_the_table_once() {
        let columns = cols(&["id", "v"]);
        assert!(check_key(&cols(&["id"]), &columns, "t").is_ok());
        assert!(check_key(&[], &columns, "t").is_ok(), "no key");
        assert_eq!(
            code(check_key(&cols(&["x"]), &columns, "t")),
            "storage.tables.unknownPrimaryKeyColumn"
        );
        assert_eq!(
            code(check_key(&cols(&["id", "id"]), &columns, "t")),
            "storage.tables.duplicatePrimaryKeyColumn"
        );
        assert_eq!(
            code(check_key(&cols(&["ID"]), &columns, "t")),
            "storage.tables.unknownPrimaryKeyColumn",
            "key columns are named exactly"
        );
    }

    #[test]
    fn a_new_table_is_untyped_or_typed_not_both() {
        let t = id("in.c-a.t");
        let untyped = NewTable {
            name: "t".into(),
            columns: cols(&["id", "v"]),
            primary_key: cols(&["id"]),
            ..Default::default()
        };
        let (columns, key, definition) = check_new_table(&t, &untyped, 10).unwrap();
        assert_eq!(
            (columns, key, definition),
            (cols(&["id", "v"]), cols(&["id"]), None)
        );

        let def = TableDefinition {
            columns: vec![
                column("id", BaseType::Integer, false, None),
                column("price", BaseType::Numeric, true, Some("10,2")),
            ],
            primary_keys_names: cols(&["id"]),
        };
        let typed = NewTable {
            name: "t".into(),
            definition: Some(def.clone()),
            ..Default::default()
        };
        let (columns, key, definition) = check_new_table(&t, &typed, 10).unwrap();
        assert_eq!(
            columns,
            cols(&["id", "price"]),
            "a typed table's columns are its definition's"
        );
        assert_eq!(key, cols(&["id"]));
        assert_eq!(definition, Some(def.clone()));

        let both = NewTable {
            columns: cols(&["id"]),
            ..typed.clone()
        };
        assert_eq!(
            code(check_new_table(&t, &both, 10)),
            "storage.tables.ambiguousDefinition"
        );

        let mut nullable_key = def.clone();
        nullable_key.columns[0].nullable = true;
        let refused = NewTable {
            definition: Some(nullable_key),
            ..typed.clone()
        };
        assert_eq!(
            code(check_new_table(&t, &refused, 10)),
            "storage.tables.nullablePrimaryKey"
        );

        let mut bad_length = def;
        bad_length.columns[1].length = Some("39,0".into());
        let refused = NewTable {
            definition: Some(bad_length),
            ..typed
        };
        assert_eq!(
            code(check_new_table(&t, &refused, 10)),
            "storage.tables.invalidDefinition"
        );
    }

    #[test]
    fn an_alias_reads_from_a_table_through_columns_it_has() {
        let a = id("in.c-b.a");
        let source = table("in.c-a.src", &["id", "v"], &["id"]);
        let new = |columns: &[&str], filter: Option<&str>| NewAlias {
            source_table: source.id.clone(),
            name: "a".into(),
            alias_filter: filter.map(|c| ColumnFilter {
                column: ColumnName::parse(c).unwrap(),
                operator: FilterOperator::Eq,
                values: vec!["1".into()],
            }),
            alias_columns: cols(columns),
        };
        assert_eq!(
            check_new_alias(&a, &source, &new(&[], Some("v")), 10).unwrap(),
            None,
            "it follows the source"
        );
        assert_eq!(
            check_new_alias(&a, &source, &new(&["v"], None), 10).unwrap(),
            Some(cols(&["v"]))
        );
        assert_eq!(
            code(check_new_alias(&a, &source, &new(&[], Some("x")), 10)),
            "storage.tables.columnNotFound"
        );
        assert_eq!(
            code(check_new_alias(&a, &source, &new(&["x"], None), 10)),
            "storage.tables.columnNotFound"
        );
        assert_eq!(
            code(check_new_alias(&a, &source, &new(&["v", "V"], None), 10)),
            "storage.tables.duplicateColumn"
        );
        let of_alias = alias("in.c-a.other", "in.c-a.src", None, None);
        let err = check_new_alias(&a, &of_alias, &new(&[], None), 10).unwrap_err();
        assert_eq!(err.code(), "storage.tables.aliasOfAlias");
        assert!(
            err.to_string().contains("in.c-a.src"),
            "names the source to alias instead: {err}"
        );
    }

    #[test]
    fn a_column_leaves_unless_a_key_the_last_or_used_by_an_alias() {
        let t = table("in.c-a.t", &["id", "v", "w"], &["id"]);
        let v = ColumnName::parse("v").unwrap();
        let follows = alias("in.c-b.f", "in.c-a.t", None, None);
        assert!(
            check_column_removal(&t, &v, std::slice::from_ref(&follows)).is_ok(),
            "a following alias follows"
        );
        let missing = ColumnName::parse("x").unwrap();
        assert_eq!(
            code(check_column_removal(&t, &missing, &[])),
            "storage.tables.columnNotFound"
        );
        let key = ColumnName::parse("id").unwrap();
        assert_eq!(
            code(check_column_removal(&t, &key, &[])),
            "storage.tables.columnInPrimaryKey"
        );
        let last = table("in.c-a.one", &["v"], &[]);
        assert_eq!(
            code(check_column_removal(&last, &v, &[])),
            "storage.tables.lastColumn"
        );
        for user in [
            alias("in.c-b.cols", "in.c-a.t", Some(&["v"]), None),
            alias("in.c-b.filter", "in.c-a.t", None, Some("v")),
        ] {
            let err = check_column_removal(&t, &v, &[follows.clone(), user.clone()]).unwrap_err();
            assert_eq!(err.code(), "storage.tables.columnUsedByAlias");
            assert!(
                err.to_string().contains(&user.id.to_string()),
                "names the alias: {err}"
            );
        }
    }

    #[test]
    fn a_typed_table_keeps_its_key_in_its_definition() {
        let mut t = table("in.c-a.t", &["id", "v"], &[]);
        assert_eq!(
            check_primary_key(&t, &cols(&["id"])).unwrap(),
            None,
            "untyped: no definition"
        );
        t.definition = Some(TableDefinition {
            columns: vec![
                column("id", BaseType::Integer, false, None),
                column("v", BaseType::String, true, None),
            ],
            primary_keys_names: Vec::new(),
        });
        let def = check_primary_key(&t, &cols(&["id"])).unwrap().unwrap();
        assert_eq!(def.primary_keys_names, cols(&["id"]));
        assert_eq!(
            code(check_primary_key(&t, &cols(&["v"]))),
            "storage.tables.nullablePrimaryKey"
        );
        assert_eq!(
            code(check_primary_key(&t, &cols(&["x"]))),
            "storage.tables.unknownPrimaryKeyColumn"
        );
    }

    #[test]
    fn a_typed_column_is_described_in_the_storage_provider_s_keys() {
        let keys = |c: &ColumnDefinition| {
            type_metadata(c)
                .into_iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(&column("p", BaseType::Numeric, false, Some("10,2"))),
            [
                "KBC.datatype.basetype=NUMERIC",
                "KBC.datatype.nullable=0",
                "KBC.datatype.length=10,2"
            ]
        );
        assert_eq!(
            keys(&column("s", BaseType::String, true, None)),
            ["KBC.datatype.basetype=STRING", "KBC.datatype.nullable=1"]
        );
    }
}
