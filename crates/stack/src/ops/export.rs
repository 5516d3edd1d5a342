//! Table export: rows out as CSV, streamed.

use std::io::Write;

use stackport_model::api::{BucketPermission, ColumnFilter};
use stackport_model::{ColumnName, ProjectId, TableId};

use super::auth::TokenAuth;
use crate::backend::{CsvLayout, ExportQuery, RowVisitor};
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
    pub(crate) placement: Option<String>,
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
            format!(
                "{what} '{value}' is not a time; \
                 use RFC 3339 (2026-11-29T14:00:00+00:00) or e.g. '-2 days'"
            ),
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
        let now = self.now_micros();
        Ok(ExportStream {
            table: id.clone(),
            project: project.id,
            backend: project.backend,
            placement: project.placement,
            physical: table.physical,
            columns,
            filters,
            changed_since: options
                .changed_since
                .as_deref()
                .map(|v| parse_time(v, "changedSince", now))
                .transpose()?,
            changed_until: options
                .changed_until
                .as_deref()
                .map(|v| parse_time(v, "changedUntil", now))
                .transpose()?,
            limit: options.limit,
            include_timestamp: options.include_internal_timestamp,
            gzip: options.gzip,
        })
    }
}

/// `data-preview` answers at most this many rows, and this many when `limit` is left out (the
/// reference's numbers).
pub const PREVIEW_MAX_ROWS: u64 = 1000;
const PREVIEW_DEFAULT_ROWS: u64 = 100;

impl Stack {
    /// Checks a `data-preview`: an export with a header, of at most [`PREVIEW_MAX_ROWS`] rows.
    pub fn prepare_preview(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        options: &ExportOptions,
    ) -> Result<ExportStream> {
        let limit = options.limit.unwrap_or(PREVIEW_DEFAULT_ROWS);
        if limit == 0 || limit > PREVIEW_MAX_ROWS {
            return Err(Error::invalid(
                "storage.preview.invalidLimit",
                format!(
                    "limit {limit} must be 1 to {PREVIEW_MAX_ROWS}; export the table \
                     (POST tables/{id}/export-async) for more rows"
                ),
            ));
        }
        let options = ExportOptions {
            limit: Some(limit),
            ..options.clone()
        };
        self.prepare_export(auth, id, &options)
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

    /// What the backend reads.
    fn query(&self) -> ExportQuery<'_> {
        ExportQuery {
            columns: &self.columns,
            filters: &self.filters,
            changed_since: self.changed_since,
            changed_until: self.changed_until,
            limit: self.limit,
        }
    }

    /// Hands each row (values in the order of [`ExportStream::columns`]) to `visit`; returns
    /// the number of rows. For readers inside the stack, which need no CSV.
    pub(crate) fn visit_rows(&self, stack: &Stack, visit: &mut RowVisitor<'_>) -> Result<u64> {
        stack
            .backend(&self.backend, self.placement.as_deref())?
            .export(self.project, &self.physical, &self.query(), visit)
    }

    /// Writes the header and the rows to `out`, as the backend streams them; returns the number
    /// of rows.
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

    /// [`ExportStream::write_to`] without the header row, as the reference's `export-async`
    /// files are (its clients prepend the header themselves). The header is one line, since a
    /// column name holds no line break, so it is cut at the first `\n` before compression.
    pub(crate) fn write_headerless(&self, stack: &Stack, out: &mut dyn Write) -> Result<u64> {
        if self.gzip {
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            let n = self.write_csv(stack, &mut SkipFirstLine::new(&mut gz))?;
            gz.finish()?;
            Ok(n)
        } else {
            self.write_csv(stack, &mut SkipFirstLine::new(out))
        }
    }

    fn write_csv(&self, stack: &Stack, out: &mut dyn Write) -> Result<u64> {
        let layout = CsvLayout {
            timestamp_column: self.include_timestamp,
        };
        stack
            .backend(&self.backend, self.placement.as_deref())?
            .export_csv(self.project, &self.physical, &self.query(), layout, out)
    }
}

/// Drops what is written up to and with the first `\n`.
struct SkipFirstLine<W> {
    inner: W,
    skipping: bool,
}

impl<W: Write> SkipFirstLine<W> {
    fn new(inner: W) -> Self {
        SkipFirstLine {
            inner,
            skipping: true,
        }
    }
}

impl<W: Write> Write for SkipFirstLine<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if !self.skipping {
            return self.inner.write(data);
        }
        match data.iter().position(|&b| b == b'\n') {
            None => Ok(data.len()),
            Some(end) => {
                self.skipping = false;
                self.inner.write_all(&data[end + 1..])?;
                Ok(data.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl ExportOptions {
    /// The options an export query asks for (the synchronous export, `export-async` and
    /// `data-preview` all read the one [`ExportQuery`](stackport_model::api::query::ExportQuery)).
    pub fn from_query(
        query: &stackport_model::api::query::ExportQuery,
    ) -> std::result::Result<ExportOptions, stackport_model::api::query::QueryError> {
        Ok(ExportOptions {
            where_filters: query.row_filters()?,
            columns: query.columns.clone(),
            changed_since: query.changed_since.clone(),
            changed_until: query.changed_until.clone(),
            limit: query.limit,
            include_internal_timestamp: query.include_internal_timestamp,
            gzip: query.gzip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    const NOW: i64 = 1_700_000_000_000_000;

    #[test]
    fn times_in_the_apis_forms_are_absolute() {
        for t in [
            "2023-11-14T22:13:20+00:00",
            "2023-11-14 22:13:20",
            "1700000000",
        ] {
            assert_eq!(parse_time(t, "changedSince", 0).unwrap(), NOW, "{t}");
        }
    }

    #[test]
    fn relative_times_count_back_from_the_given_now() {
        let day = 86_400 * 1_000_000;
        assert_eq!(
            parse_time("-2 days", "changedSince", NOW).unwrap(),
            NOW - 2 * day
        );
        assert_eq!(
            parse_time("-1 day", "changedSince", NOW).unwrap(),
            NOW - day
        );
        assert_eq!(
            parse_time(" - 30 minutes ", "changedSince", NOW).unwrap(),
            NOW - 30 * 60 * 1_000_000
        );
        assert_eq!(
            parse_time("-1 week", "changedUntil", NOW).unwrap(),
            NOW - 7 * day
        );
        assert_eq!(
            parse_time("-9223372036854775807 days", "changedSince", 0).unwrap(),
            i64::MIN + 1,
            "saturates instead of overflowing"
        );
    }

    #[test]
    fn anything_else_is_refused_naming_the_parameter() {
        for bad in ["yesterday", "-two days", "-2 fortnights", "2 days", ""] {
            let err = parse_time(bad, "changedUntil", NOW).unwrap_err();
            assert_eq!(err.code(), "storage.export.invalidTime", "{bad:?}");
            assert!(
                err.message()
                    .starts_with(&format!("changedUntil '{bad}' is not a time")),
                "{}",
                err.message()
            );
        }
    }
}
