//! Queries of table import and export.

use std::fmt;
use std::str::FromStr;

use super::{query, QueryError};
use crate::api::{ColumnFilter, FilterOperator};
use crate::{ColumnName, FileId};

query! {
    /// The parameters of an import, wherever it comes from: the query of
    /// `POST /v2/storage/tables/{id}/import` (the body is the CSV), the form body of
    /// `POST /v2/storage/tables/{id}/import-async` (the CSV is a Storage file), and the options
    /// the stack's own jobs import with.
    pub struct ImportQuery {
        /// Keep existing rows: upsert on the primary key, append without one.
        pub incremental: bool = flag "incremental",
        /// The file's columns when it has no header row: comma-separated or repeated `columns[]`.
        pub columns: Option<Vec<String>> = list "columns",
        /// The file has no header row.
        pub without_headers: bool = flag "withoutHeaders",
        /// Field delimiter: one character, default `,`.
        pub delimiter: Option<String> = string "delimiter",
        /// Enclosure: one character, default `"`, empty for none.
        pub enclosure: Option<String> = string "enclosure",
        /// Take `_timestamp` from the file.
        pub use_timestamp_from_data_file: bool = flag "useTimestampFromDataFile",
        /// Give every imported row this `_timestamp` (ISO 8601).
        pub timestamp: Option<String> = string "timestamp",
        /// Apply this import once; a replay with the same key changes nothing.
        pub idempotency_key: Option<String> = string "idempotencyKey",
        /// The rows the body holds; any other count is refused.
        pub expected_rows: Option<u64> = parse "expectedRows",
        /// The data is gzip-compressed (the synchronous import also reads `Content-Encoding`).
        pub gzip: bool = flag "gzip",
        /// An escape character; only empty (none) is supported.
        pub escaped_by: Option<String> = string "escapedBy",
        /// The Storage file to import (`import-async` only).
        pub data_file_id: Option<FileId> = parse "dataFileId",
        /// A URL to fetch the data from (`import-async` only).
        pub data_url: Option<String> = string "dataUrl",
        /// What `kbcstorage` sends its `columns` argument as: the file's columns (see
        /// `docs/api.md`, "Storage jobs").
        pub primary_key: Option<Vec<String>> = list "primaryKey",
    }
}

query! {
    /// `GET /v2/storage/tables/{id}/export`. A row filter is `whereFilters` (JSON, any number of
    /// columns) or the reference clients' `whereColumn` + `whereValues[]` + `whereOperator`.
    pub struct ExportQuery {
        /// Only these columns, in this order: comma-separated or repeated `columns[]`.
        pub columns: Option<Vec<String>> = list "columns",
        /// Rows whose `_timestamp` is at or after this time (ISO 8601, a unix time, or relative such as `-2 days`).
        pub changed_since: Option<String> = string "changedSince",
        /// Rows whose `_timestamp` is before this time (same forms as `changedSince`).
        pub changed_until: Option<String> = string "changedUntil",
        /// Row filters as a JSON array of `{column, operator: eq|ne, values}`.
        pub where_filters: Option<Vec<ColumnFilter>> = json "whereFilters",
        /// The column of a single filter, with `whereValues[]`.
        pub where_column: Option<ColumnName> = parse "whereColumn",
        /// A value of the single filter, repeated as `whereValues[]` (each taken whole).
        pub where_values: Vec<String> = values "whereValues",
        /// How the single filter compares: `eq` (default) or `ne` (also spelled `neq`).
        pub where_operator: Option<WhereOperator> = parse "whereOperator",
        /// At most this many rows.
        pub limit: Option<u64> = parse "limit",
        /// Add `_timestamp`.
        pub include_internal_timestamp: bool = flag "includeInternalTimestamp",
        /// Answer gzip.
        pub gzip: bool = flag "gzip",
    }
}

impl ExportQuery {
    /// Every row filter the query asks for: `whereFilters` and the single `whereColumn` one.
    /// Half a single filter is refused rather than dropped, since dropping it exports every row.
    pub fn row_filters(&self) -> Result<Vec<ColumnFilter>, QueryError> {
        let mut filters = self.where_filters.clone().unwrap_or_default();
        match &self.where_column {
            Some(column) if !self.where_values.is_empty() => filters.push(ColumnFilter {
                column: column.clone(),
                operator: self.where_operator.map_or(FilterOperator::Eq, |o| o.0),
                values: self.where_values.clone(),
            }),
            Some(_) => {
                return Err(QueryError {
                    parameter: "whereValues".into(),
                    message: "whereColumn is given without whereValues[]: add whereValues[]=<value> (repeat it for several values)".into(),
                })
            }
            None if !self.where_values.is_empty() || self.where_operator.is_some() => {
                return Err(QueryError {
                    parameter: "whereColumn".into(),
                    message: "whereValues[] and whereOperator need whereColumn, the column they filter: add whereColumn=<column>".into(),
                })
            }
            None => {}
        }
        Ok(filters)
    }
}

/// `whereOperator`: `eq`, or `ne` (the reference client spells it `neq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WhereOperator(pub FilterOperator);

impl FromStr for WhereOperator {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "eq" => Ok(WhereOperator(FilterOperator::Eq)),
            "ne" | "neq" => Ok(WhereOperator(FilterOperator::Ne)),
            _ => Err("use eq or ne".into()),
        }
    }
}

impl fmt::Display for WhereOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            FilterOperator::Eq => "eq",
            FilterOperator::Ne => "ne",
        })
    }
}
