use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::metadata::MetadataEntry;
use crate::ids::{BucketId, ColumnName, TableId};
use crate::time::{serde_rfc3339, Timestamp};

/// The portable data types of typed tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum BaseType {
    /// Any text.
    String,
    /// A whole number (64-bit).
    Integer,
    /// An exact decimal number.
    Numeric,
    /// A floating-point number.
    Float,
    /// `true`/`false`, `1`/`0`.
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// A time, in any form the API accepts for times.
    Timestamp,
}

impl BaseType {
    /// The one form a PostgreSQL table backend takes values of this type in, when it is
    /// narrower than what a SQLite one takes; none for STRING. PostgreSQL keeps a typed column
    /// in its own type and, so that every value still comes back byte for byte, refuses an
    /// import whose value it would give back in another form. Here, not in the stack, so the
    /// migration (which knows stacks only through the API) can name such columns.
    pub fn postgres_form(self) -> Option<&'static str> {
        Some(match self {
            BaseType::String => return None,
            BaseType::Integer => {
                "INTEGER takes whole numbers only as PostgreSQL writes them: no '+' sign, no leading \
                 zeros ('7', not '+7' or '007')"
            }
            BaseType::Numeric => {
                "NUMERIC takes numbers only as PostgreSQL writes them: all the scale's decimal places \
                 ('1.50' in NUMERIC(10,2), not '1.5'), no '+' sign, no leading zeros"
            }
            BaseType::Float => {
                "FLOAT takes numbers only in their shortest form ('1', not '1.0'; '100000', not '1e5'; \
                 'Infinity', 'NaN')"
            }
            BaseType::Boolean => "BOOLEAN takes only 'true' and 'false' (not '1', '0' or 'TRUE')",
            BaseType::Date => {
                "DATE takes only YYYY-MM-DD with two-digit months and days ('2026-01-05')"
            }
            BaseType::Timestamp => {
                "TIMESTAMP takes times only as the API writes them: RFC 3339 in UTC with '+00:00' and \
                 3 or 6 digits of fraction when not zero ('2026-11-29T14:00:00+00:00')"
            }
        })
    }

    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseType::String => "STRING",
            BaseType::Integer => "INTEGER",
            BaseType::Numeric => "NUMERIC",
            BaseType::Float => "FLOAT",
            BaseType::Boolean => "BOOLEAN",
            BaseType::Date => "DATE",
            BaseType::Timestamp => "TIMESTAMP",
        }
    }
}

/// One column of a typed table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ColumnDefinition {
    /// The column.
    pub name: ColumnName,
    /// Its type.
    pub basetype: BaseType,
    /// Whether the empty string (no value) is allowed.
    #[serde(default = "default_true")]
    pub nullable: bool,
    /// For STRING: the most characters; for NUMERIC: `precision,scale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<String>,
}

fn default_true() -> bool {
    true
}

/// The definition of a typed table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableDefinition {
    /// The columns in order.
    pub columns: Vec<ColumnDefinition>,
    /// The primary key.
    #[serde(default)]
    pub primary_keys_names: Vec<ColumnName>,
}

/// How an alias filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FilterOperator {
    /// The column's value is one of the values.
    Eq,
    /// The column's value is none of the values.
    Ne,
}

/// A filter on one column: of an alias, or of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnFilter {
    /// The column compared.
    pub column: ColumnName,
    /// How.
    #[serde(default = "default_eq")]
    pub operator: FilterOperator,
    /// The values compared with.
    pub values: Vec<String>,
}

fn default_eq() -> FilterOperator {
    FilterOperator::Eq
}

/// The bucket a table is in, as shown inside a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRef {
    /// The bucket id.
    pub id: BucketId,
}

/// A table as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// The table's own URL on the stack it was read from.
    #[serde(default)]
    pub uri: String,
    /// `in.c-sales.orders`.
    pub id: TableId,
    /// `orders`.
    pub name: String,
    /// A name for people.
    pub display_name: String,
    /// The bucket.
    pub bucket: BucketRef,
    /// Column names in order.
    pub columns: Vec<ColumnName>,
    /// The primary key; imports with `incremental` upsert on it.
    pub primary_key: Vec<ColumnName>,
    /// Whether the table has a typed definition.
    pub is_typed: bool,
    /// The typed definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<TableDefinition>,
    /// Whether the table is an alias reading through to another table.
    pub is_alias: bool,
    /// For aliases: the table read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_table: Option<TableId>,
    /// For aliases: the rows shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_filter: Option<ColumnFilter>,
    /// For aliases: whether the columns follow the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_columns_auto_sync: Option<bool>,
    /// When it was created.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// When data was last imported; never when null.
    #[serde(with = "serde_rfc3339::option", default)]
    pub last_import_date: Option<Timestamp>,
    /// When its data or structure last changed.
    #[serde(with = "serde_rfc3339")]
    pub last_change_date: Timestamp,
    /// Rows (for an alias: rows it shows).
    pub rows_count: u64,
    /// Bytes of the values (for an alias: of its source).
    pub data_size_bytes: u64,
    /// With `include=metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Vec<MetadataEntry>>,
    /// With `include=columnMetadata`: entries per column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_metadata: Option<BTreeMap<String, Vec<MetadataEntry>>>,
}

/// Body of `POST /v2/storage/buckets/{id}/tables`: either `columns` (untyped) or `definition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTable {
    /// The table's name.
    pub name: String,
    /// Columns of an untyped table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnName>,
    /// Primary key of an untyped table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<ColumnName>,
    /// The definition of a typed table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<TableDefinition>,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Body of `POST /v2/storage/buckets/{id}/table-aliases`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAlias {
    /// The table read through.
    pub source_table: TableId,
    /// The alias's name.
    pub name: String,
    /// Only rows matching this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_filter: Option<ColumnFilter>,
    /// Only these columns; all, following the source, when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alias_columns: Vec<ColumnName>,
}

/// Body of `POST /v2/storage/tables/{id}/columns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewColumn {
    /// The new column; existing rows get the empty string.
    pub name: ColumnName,
    /// Its type, required for typed tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<ColumnDefinition>,
}

/// Body of `POST /v2/storage/tables/{id}/primary-key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    /// The key columns, in order.
    pub columns: Vec<ColumnName>,
}

/// `GET /v2/storage/tables/{id}/fingerprint`: what a table holds, in a few bytes, so two stacks
/// can compare a table without either downloading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableFingerprint {
    /// The table.
    pub table_id: TableId,
    /// Rows it holds.
    pub rows_count: u64,
    /// Its columns, in the order the hash reads them.
    pub columns: Vec<ColumnName>,
    /// Order-independent hash of all rows, `_timestamp` left out (see `algorithm`).
    pub hash: String,
    /// How `hash` was made: `rows-sha256-sum/v1` is the lane-wise wrapping sum (4 × u64,
    /// little-endian) of one SHA-256 per row, each over the row's values as
    /// (u64 little-endian length, bytes) pairs in column order. A sum, unlike XOR, does not
    /// cancel duplicated rows.
    pub algorithm: String,
}

/// Answer of an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    /// The table written.
    pub table_id: TableId,
    /// Rows read from the file.
    pub imported_rows: u64,
    /// Columns the file had, in its order.
    pub imported_columns: Vec<ColumnName>,
    /// Rows in the table afterwards.
    pub rows_count: u64,
    /// Bytes in the table afterwards.
    pub data_size_bytes: u64,
    /// Whether rows were added or upserted rather than replaced.
    pub incremental: bool,
    /// The `_timestamp` the rows got (unless taken from the file).
    #[serde(with = "serde_rfc3339")]
    pub timestamp: Timestamp,
    /// True when an import with the same idempotency key had already been applied: nothing
    /// was changed, and the other fields describe the first import.
    #[serde(default)]
    pub replayed: bool,
}
