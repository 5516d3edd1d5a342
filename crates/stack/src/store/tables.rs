//! The table catalog: tables, their columns, primary keys and aliases.

use stackport_model::api::{ColumnFilter, TableDefinition};
use stackport_model::{BucketId, ColumnName, ProjectId, TableId};

use crate::backend::PhysicalName;
use crate::error::Result;

/// What makes a table an alias: it reads through to `source`'s rows.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasRecord {
    pub source: TableId,
    /// Only the source's rows matching it.
    pub filter: Option<ColumnFilter>,
    /// Explicit columns; `None` follows the source's columns.
    pub columns: Option<Vec<ColumnName>>,
}

/// A table as the catalog holds it. An alias comes back resolved: `physical`, `primary_key`
/// and `definition` are its source's, and so are `columns` unless the alias names its own.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRecord {
    pub id: TableId,
    pub display_name: String,
    pub physical: PhysicalName,
    pub columns: Vec<ColumnName>,
    pub primary_key: Vec<ColumnName>,
    pub definition: Option<TableDefinition>,
    pub alias: Option<AliasRecord>,
    pub created_micros: i64,
}

/// A table with rows of its own to insert.
#[derive(Debug, Clone)]
pub struct NewTableRecord<'a> {
    pub id: &'a TableId,
    pub display_name: &'a str,
    pub physical: &'a PhysicalName,
    pub columns: &'a [ColumnName],
    pub primary_key: &'a [ColumnName],
    /// A typed table's definition.
    pub definition: Option<&'a TableDefinition>,
    pub created_micros: i64,
}

/// An alias to insert.
#[derive(Debug, Clone)]
pub struct NewAliasRecord<'a> {
    pub id: &'a TableId,
    pub display_name: &'a str,
    /// A table (not an alias) of the same project.
    pub source: &'a TableId,
    pub filter: Option<&'a ColumnFilter>,
    /// Explicit columns; `None` follows the source's.
    pub columns: Option<&'a [ColumnName]>,
    pub created_micros: i64,
}

/// The table catalog: tables, their columns, primary keys and aliases.
pub trait TableCatalog {
    /// Inserts a table into an existing bucket. Refuses an id the project already has (the
    /// rules ask [`TableCatalog::table_name_taken`] first, to say which table conflicts).
    fn insert_table(&mut self, project: ProjectId, new: &NewTableRecord<'_>) -> Result<()>;
    /// Inserts an alias of an existing table.
    fn insert_alias(&mut self, project: ProjectId, new: &NewAliasRecord<'_>) -> Result<()>;
    /// The table or alias, if the project has it (ids compare exactly).
    fn get_table(&mut self, project: ProjectId, id: &TableId) -> Result<Option<TableRecord>>;
    /// The project's tables and aliases, of one bucket or of all, by id.
    fn list_tables(
        &mut self,
        project: ProjectId,
        bucket: Option<&BucketId>,
    ) -> Result<Vec<TableRecord>>;
    /// A table or alias whose id equals `id` compared case-insensitively.
    fn table_name_taken(&mut self, project: ProjectId, id: &TableId) -> Result<Option<TableId>>;
    /// The aliases reading from `source`, by id.
    fn aliases_of(&mut self, project: ProjectId, source: &TableId) -> Result<Vec<TableRecord>>;
    /// An alias outside `bucket` reading from a table in it, if there is one.
    fn alias_into_bucket(
        &mut self,
        project: ProjectId,
        bucket: &BucketId,
    ) -> Result<Option<TableId>>;
    /// Sets a table's columns and definition; the aliases that follow its columns follow.
    fn set_columns(
        &mut self,
        project: ProjectId,
        id: &TableId,
        columns: &[ColumnName],
        definition: Option<&TableDefinition>,
    ) -> Result<()>;
    /// Sets a table's primary key and definition.
    fn set_primary_key(
        &mut self,
        project: ProjectId,
        id: &TableId,
        primary_key: &[ColumnName],
        definition: Option<&TableDefinition>,
    ) -> Result<()>;
    /// Deletes a table or alias from the catalog (not its metadata, not its rows). Returns
    /// whether it existed.
    fn delete_table(&mut self, project: ProjectId, id: &TableId) -> Result<bool>;
    /// Deletes every table and alias of a bucket; returns how many.
    fn delete_bucket_tables(&mut self, project: ProjectId, bucket: &BucketId) -> Result<u64>;
    /// The physical tables the catalog names for the project (aliases hold no rows), by table
    /// id: what a backend may keep, and where the project's rows are.
    fn physical_names(&mut self, project: ProjectId) -> Result<Vec<(TableId, PhysicalName)>>;
}
