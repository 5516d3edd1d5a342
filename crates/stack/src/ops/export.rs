//! Table export: rows out as CSV, streamed.

use std::io::Write;

use stackport_model::api::{BucketPermission, ColumnFilter};
use stackport_model::ids::TIMESTAMP_COLUMN;
use stackport_model::{ColumnName, ProjectId, TableId};

use super::auth::TokenAuth;
use crate::backend::{ExportQuery, RowVisitor};
use crate::csv::CsvWriter;
use crate::error::{Error, Result};
use crate::Stack;

/// What to export; the query parameters of an export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only these columns, in this order.
    pub columns: Option<Vec<String>>,
    /// Rows changed at or after this time (a time, or relative like `-2 days`).
    pub changed_since: Option<String>,
    /// Rows changed before this time.
    pub changed_until: Option<String>,
    /// Every filter must match.
    pub where_filters: Vec<ColumnFilter>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Add each row's `_timestamp` as a last column.
    pub include_internal_timestamp: bool,
    /// Compress with gzip.
    pub gzip: bool,
}

/// A checked export, ready to stream: every error a user can cause has been raised already, so
/// the HTTP layer can send a success status before the first row.
#[derive(Debug, Clone)]
pub struct ExportStream {
    pub(crate) table: TableId,
    pub(crate) project: ProjectId,
    pub(crate) backend: String,
    pub(crate) physical: crate::backend::PhysicalName,
    pub(crate) columns: Vec<ColumnName>,
    pub(crate) filters: Vec<ColumnFilter>,
    pub(crate) changed_since: Option<i64>,
    pub(crate) changed_until: Option<i64>,
    pub(crate) limit: Option<u64>,
    pub(crate) include_timestamp: bool,
    pub(crate) gzip: bool,
}

/// Parses a time for `changedSince`/`changedUntil`: any form the API accepts, or relative to now
/// (`-2 days`, `-30 minutes`).
fn parse_time(value: &str, what: &str, now: i64) -> Result<i64> {
    if let Some(t) = stackport_model::time::parse(value) {
        return Ok(t.timestamp_micros());
    }
    let bad = || {
        Error::invalid(
            "storage.export.invalidTime",
            format!("{what} '{value}' is not a time; use RFC 3339 (2026-11-29T14:00:00+00:00) or e.g. '-2 days'"),
        )
    };
    let rest = value.trim().strip_prefix('-').ok_or_else(bad)?;
    let (n, unit) = rest.trim().split_once(' ').ok_or_else(bad)?;
    let n: i64 = n.parse().map_err(|_| bad())?;
    let seconds = match unit.trim().trim_end_matches('s') {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        _ => return Err(bad()),
    };
    Ok(now - n.saturating_mul(seconds).saturating_mul(1_000_000))
}

impl Stack {
    /// Checks an export of a table or alias and resolves what it reads.
    pub fn prepare_export(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        options: &ExportOptions,
    ) -> Result<ExportStream> {
        let table = self.table_for(auth, id, BucketPermission::Read)?;
        let project = self.get_project(auth.project())?;
        let columns = match &options.columns {
            None => table.columns.clone(),
            Some(names) => {
                let mut out = Vec::with_capacity(names.len());
                for name in names {
                    let c = ColumnName::parse(name)?;
                    if !table.columns.contains(&c) {
                        return Err(Error::invalid(
                            "storage.tables.columnNotFound",
                            format!("columns names '{name}', which {id} does not have"),
                        ));
                    }
                    out.push(c);
                }
                if out.is_empty() {
                    return Err(Error::invalid(
                        "storage.export.noColumns",
                        "columns is empty; leave it out to export all",
                    ));
                }
                out
            }
        };
        let mut filters = options.where_filters.clone();
        for f in &filters {
            if !table.columns.contains(&f.column) {
                return Err(Error::invalid(
                    "storage.tables.columnNotFound",
                    format!(
                        "whereFilters names column '{}', which {id} does not have",
                        f.column
                    ),
                ));
            }
        }
        if let Some(alias_filter) = table.alias.as_ref().and_then(|a| a.filter.clone()) {
            filters.push(alias_filter);
        }
        Ok(ExportStream {
            table: id.clone(),
            project: project.id,
            backend: project.backend,
            physical: table.physical,
            columns,
            filters,
            changed_since: options
                .changed_since
                .as_deref()
                .map(|v| parse_time(v, "changedSince", self.clock.now_micros()))
                .transpose()?,
            changed_until: options
                .changed_until
                .as_deref()
                .map(|v| parse_time(v, "changedUntil", self.clock.now_micros()))
                .transpose()?,
            limit: options.limit,
            include_timestamp: options.include_internal_timestamp,
            gzip: options.gzip,
        })
    }
}

impl ExportStream {
    /// Whether the output is gzip.
    pub fn gzip(&self) -> bool {
        self.gzip
    }

    /// The table exported.
    pub fn table(&self) -> &TableId {
        &self.table
    }

    /// The columns it produces, in order.
    pub(crate) fn columns(&self) -> &[ColumnName] {
        &self.columns
    }

    /// Hands each row (values in the order of [`ExportStream::columns`]) to `visit`; returns
    /// the number of rows. For readers inside the stack, which need no CSV.
    pub(crate) fn visit_rows(&self, stack: &Stack, visit: &mut RowVisitor<'_>) -> Result<u64> {
        let query = ExportQuery {
            columns: &self.columns,
            filters: &self.filters,
            changed_since: self.changed_since,
            changed_until: self.changed_until,
            limit: self.limit,
        };
        stack
            .backend(&self.backend)?
            .export(self.project, &self.physical, &query, visit)
    }

    /// Writes the header and the rows to `out`; returns the number of rows.
    pub fn write_to(&self, stack: &Stack, out: &mut dyn Write) -> Result<u64> {
        if self.gzip {
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            let n = self.write_csv(stack, &mut gz)?;
            gz.finish()?;
            Ok(n)
        } else {
            self.write_csv(stack, out)
        }
    }

    fn write_csv(&self, stack: &Stack, out: &mut dyn Write) -> Result<u64> {
        let mut csv = CsvWriter::new(out);
        let mut header: Vec<&[u8]> = self.columns.iter().map(|c| c.as_str().as_bytes()).collect();
        if self.include_timestamp {
            header.push(TIMESTAMP_COLUMN.as_bytes());
        }
        csv.write_record(header)?;
        let include_timestamp = self.include_timestamp;
        let mut ts_buf = String::new();
        let n = self.visit_rows(stack, &mut |values, ts| {
            if include_timestamp {
                ts_buf.clear();
                ts_buf.push_str(&stackport_model::time::format(&super::time(ts)));
                csv.write_record(
                    values
                        .iter()
                        .copied()
                        .chain(std::iter::once(ts_buf.as_bytes())),
                )?;
            } else {
                csv.write_record(values.iter().copied())?;
            }
            Ok(())
        })?;
        csv.finish()?;
        Ok(n)
    }
}
