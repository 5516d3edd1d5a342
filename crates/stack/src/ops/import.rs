//! Table import: a CSV stream into a table, in one transaction.

use std::collections::HashSet;
use std::io::{self, BufReader, Read};

use serde_json::json;
use stackport_model::api::{BucketPermission, ColumnDefinition, ImportResult};
use stackport_model::ids::TIMESTAMP_COLUMN;
use stackport_model::{ColumnName, TableId};

use super::auth::TokenAuth;
use super::buckets::touch_bucket;
use super::events::{record, NewEvent};
use super::typing::check_value;
use crate::backend::{ImportPlan, RowSink, TableStats};
use crate::csv::{CsvError, CsvReader, Dialect, Record};
use crate::error::{Error, ErrorKind, Result};
use crate::store::TableRecord;
use crate::Stack;

/// How the CSV is shaped and merged: the one struct of an import's parameters, shared with the
/// API's query (and the `import-async` form body) and the typed client.
pub use stackport_model::api::query::ImportQuery as ImportOptions;

/// The parameters of an import that name where its data comes from, or that the stack reads
/// another way, checked before any byte is read. `dataFileId`/`dataUrl` belong to
/// `import-async`, which clears them before it imports the file.
pub(crate) fn check_options(
    id: &TableId,
    table: &TableRecord,
    options: &ImportOptions,
) -> Result<()> {
    if options.data_file_id.is_some() || options.data_url.is_some() {
        return Err(Error::invalid(
            "storage.import.sourceNotBody",
            format!(
                "dataFileId and dataUrl name the data of POST tables/{id}/import-async; this \
                 endpoint imports its request body: send the CSV as the body, or use import-async"
            ),
        ));
    }
    if options.escaped_by.as_deref().is_some_and(|e| !e.is_empty()) {
        return Err(Error::invalid(
            "storage.import.escapedByUnsupported",
            "escapedBy is not supported: leave it empty and quote values with the enclosure",
        ));
    }
    if let Some(named) = &options.primary_key {
        if options.columns.is_some() {
            return Err(Error::invalid(
                "storage.import.invalidColumns",
                "pass the file's columns once: columns or primaryKey[], not both",
            ));
        }
        for name in named {
            if !table.columns.iter().any(|c| c.as_str() == name) {
                return Err(Error::invalid(
                    "storage.import.invalidColumns",
                    format!(
                        "primaryKey[] (kbcstorage's load columns: the file's columns) names \
                         '{name}', which {id} does not have; its columns are {}",
                        join(&table.columns)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn join(columns: &[ColumnName]) -> String {
    columns
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The CSV dialect an import's `delimiter` and `enclosure` ask for.
pub(crate) fn dialect_of(options: &ImportOptions) -> Result<Dialect> {
    Ok(Dialect {
        delimiter: single_byte(options.delimiter.as_deref(), b',', "delimiter")?.unwrap_or(b','),
        enclosure: single_byte(options.enclosure.as_deref(), b'"', "enclosure")?,
    })
}

fn single_byte(value: Option<&str>, default: u8, what: &str) -> Result<Option<u8>> {
    match value {
        None => Ok(Some(default)),
        Some("") if what == "enclosure" => Ok(None),
        Some(s) if s.len() == 1 && s.is_ascii() && !matches!(s, "\n" | "\r") => {
            Ok(Some(s.as_bytes()[0]))
        }
        Some("\\t") | Some("tab") => Ok(Some(b'\t')),
        Some(s) => Err(Error::invalid(
            "storage.import.invalidDialect",
            format!("{what} '{s}' must be a single ASCII character other than a line break"),
        )),
    }
}

/// Stops a body after `limit` bytes, so an oversized upload or a gzip bomb cannot fill the disk.
struct Limited<R> {
    inner: R,
    remaining: u64,
    hit: LimitHit,
}

impl<R> Limited<R> {
    fn new(inner: R, limit: u64, what: &'static str, setting: &'static str) -> Self {
        Limited {
            inner,
            remaining: limit,
            hit: LimitHit {
                what,
                limit,
                setting,
            },
        }
    }
}

/// Which size limit a body went over; carried inside the `io::Error` to the message.
#[derive(Debug, Clone, Copy)]
struct LimitHit {
    what: &'static str,
    limit: u64,
    setting: &'static str,
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "over this stack's limit of {} bytes {} ({})",
            self.limit, self.what, self.setting
        )
    }
}

impl std::error::Error for LimitHit {}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, self.hit));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Checks an idempotency key's form.
fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "storage.import.invalidIdempotencyKey",
            "idempotencyKey must be 1 to 255 printable ASCII characters without spaces",
        ));
    }
    Ok(())
}

impl Stack {
    /// Imports CSV from `body` into a table. On any error nothing is changed.
    pub fn import_table(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        options: &ImportOptions,
        body: &mut (dyn Read + Send),
    ) -> Result<ImportResult> {
        let table = self.table_for(auth, id, BucketPermission::Write)?;
        table.require_not_alias("import into its source table")?;
        check_options(id, &table, options)?;
        let project = self.get_project(auth.project())?;
        let backend = self.project_backend(&project)?;
        if let Some(key) = options.idempotency_key.as_deref() {
            check_key(key)?;
            if let Some(replay) = self.replay(backend, project.id, &table, id, key, options)? {
                // Read the body to its end so the client sees a clean answer, then change nothing.
                io::copy(
                    &mut Limited::new(
                        body,
                        self.settings.limits.max_import_bytes,
                        "per import",
                        "limits.maxImportBytes",
                    ),
                    &mut io::sink(),
                )
                .map_err(|e| csv_error(id, CsvError::Io(e)))?;
                return Ok(replay);
            }
        }
        let dialect = dialect_of(options)?;
        let limits = &self.settings.limits;
        let limited = Limited::new(
            body,
            limits.max_import_bytes,
            "per import",
            "limits.maxImportBytes",
        );
        let decoded: Box<dyn Read + Send> = if options.gzip {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(limited)))
        } else {
            Box::new(limited)
        };
        let decoded = Limited::new(
            decoded,
            limits.max_import_decompressed_bytes,
            "per import once decompressed",
            "limits.maxImportDecompressedBytes",
        );
        let mut reader = CsvReader::new(BufReader::with_capacity(256 * 1024, decoded), dialect)
            .with_limits(limits.max_value_bytes, limits.max_record_bytes);
        let mut row = Record::default();
        let map_csv = |e: CsvError| csv_error(id, e);

        // Which columns the file has.
        let header: Vec<String> = match (&options.columns, options.without_headers) {
            (Some(cols), _) => cols.clone(),
            (None, true) if options.primary_key.is_some() => {
                options.primary_key.clone().unwrap_or_default()
            }
            (None, true) => table.columns.iter().map(|c| c.to_string()).collect(),
            (None, false) => {
                if !reader.read_record(&mut row).map_err(map_csv)? {
                    return Err(Error::invalid(
                        "storage.import.empty",
                        format!(
                            "the data for {id} is empty; it needs a header row, or pass columns=…"
                        ),
                    ));
                }
                (0..row.len()).map(|i| row.get(i).to_string()).collect()
            }
        };
        if let (Some(named), false) = (&options.primary_key, options.without_headers) {
            if named != &header {
                return Err(Error::invalid(
                    "storage.import.invalidColumns",
                    format!(
                        "primaryKey[] (kbcstorage's load columns) names {} but the file's header \
                         is {}; leave the columns out for a file with a header, or send \
                         withoutHeaders=1 for a file without one",
                        named.join(", "),
                        header.join(", ")
                    ),
                ));
            }
        }
        // Rows inserted without a non-nullable column would break the definition's promise.
        let required: Vec<ColumnName> = table
            .definition
            .iter()
            .flat_map(|d| {
                d.columns
                    .iter()
                    .filter(|c| !c.nullable)
                    .map(|c| c.name.clone())
            })
            .collect();
        let layout = FileLayout::new(
            &header,
            &table.columns,
            &table.primary_key,
            &required,
            options,
            id,
        )?;
        let definitions: Vec<Option<ColumnDefinition>> = layout
            .columns
            .iter()
            .map(|c| {
                table
                    .definition
                    .as_ref()
                    .and_then(|d| d.columns.iter().find(|d| &d.name == c).cloned())
            })
            .collect();

        let now = self.now_micros();
        let row_time = match options.timestamp.as_deref() {
            None => now,
            Some(_) if options.use_timestamp_from_data_file => {
                return Err(Error::invalid(
                    "storage.import.timestampConflict",
                    "pass either timestamp or useTimestampFromDataFile, not both",
                ))
            }
            Some(t) => stackport_model::time::parse(t)
                .ok_or_else(|| {
                    Error::invalid(
                        "storage.import.invalidTimestamp",
                        format!(
                            "timestamp '{t}' is not a time; use ISO 8601, e.g. \
                             2026-11-29T12:00:00Z"
                        ),
                    )
                })?
                .timestamp_micros(),
        };
        let plan = ImportPlan {
            table: &table.physical,
            columns: &layout.columns,
            primary_key: &table.primary_key,
            incremental: options.incremental,
            now_micros: now,
            idempotency_key: options.idempotency_key.as_deref(),
        };
        let width = header.len();
        // The project's table data may grow to its quota: what the other tables hold, and this
        // one too unless all its rows are replaced.
        let quota = self.settings.quotas.table_bytes;
        let stored: u64 = backend
            .stats_all(project.id)?
            .iter()
            .filter(|(name, _)| options.incremental || name.as_str() != table.physical.as_str())
            .map(|(_, s)| s.data_size_bytes)
            .sum();
        let room = quota.saturating_sub(stored);
        // Two threads: this one parses and checks the CSV while the other inserts what was
        // parsed, so an import keeps two cores busy. Batches are bounded, and so is memory.
        let (stats, imported) = std::thread::scope(|scope| -> Result<(Applied, u64)> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Batch>>(4);
            let parser = scope.spawn(move || {
                let mut batch = Batch::default();
                let result = (|| -> Result<()> {
                    while reader.read_record(&mut row).map_err(map_csv)? {
                        if row.len() != width {
                            return Err(row_error(
                                id,
                                row.line(),
                                format!(
                                    "{} value(s), but the header has {width} column(s) ({})",
                                    row.len(),
                                    short_list(&header)
                                ),
                            ));
                        }
                        let mut timestamp = row_time;
                        let mut column = 0;
                        for i in 0..width {
                            let value = row.get(i);
                            if Some(i) == layout.timestamp_at {
                                timestamp = stackport_model::time::parse(value)
                                    .ok_or_else(|| {
                                        row_error(
                                            id,
                                            row.line(),
                                            format!("_timestamp '{value}' is not a time"),
                                        )
                                    })?
                                    .timestamp_micros();
                                continue;
                            }
                            if let Some(def) = &definitions[column] {
                                check_value(def, value)
                                    .map_err(|m| row_error(id, row.line(), m))?;
                            }
                            batch.push_value(value);
                            column += 1;
                        }
                        batch.end_row(timestamp);
                        if batch.rows() >= BATCH_ROWS
                            && tx.send(Ok(std::mem::take(&mut batch))).is_err()
                        {
                            return Ok(()); // The inserter stopped; its error is the answer.
                        }
                    }
                    Ok(())
                })();
                let _ = match result {
                    Ok(()) => tx.send(Ok(batch)),
                    Err(e) => tx.send(Err(e)),
                };
            });
            let outcome = {
                let mut imported = 0u64;
                let mut bytes = 0u64;
                let mut feed = |sink: &mut dyn RowSink| -> Result<()> {
                    for batch in rx.iter() {
                        let batch = batch?;
                        bytes += batch.text.len() as u64;
                        if bytes > room {
                            return Err(Error::new(
                                ErrorKind::TooLarge,
                                "project.quotaExceeded",
                                format!(
                                    "importing into {id} would take project {}'s table data \
                                     over its quota of {quota} bytes (quotas.tableBytes; \
                                     {stored} bytes are stored in other tables); delete data \
                                     or ask the stack's administrator to raise the quota; \
                                     nothing was imported",
                                    project.id
                                ),
                            ));
                        }
                        let mut values: Vec<&str> = Vec::with_capacity(width);
                        for r in 0..batch.rows() {
                            values.clear();
                            batch.row(r, &mut values);
                            sink.insert(&values, batch.timestamps[r])?;
                            imported += 1;
                        }
                    }
                    match options.expected_rows {
                        Some(expected) if expected != imported => Err(Error::invalid(
                            "storage.import.rowCountMismatch",
                            format!(
                                "the data for {id} holds {imported} row(s), but expectedRows \
                                 says {expected}; nothing was imported"
                            ),
                        )),
                        _ => Ok(()),
                    }
                };
                let applied = self.as_project_writer(project.id, || {
                    // A retry that raced the first attempt waited for it on this lock: now
                    // that it committed, this one is a replay.
                    if let Some(key) = plan.idempotency_key {
                        if let Some(replay) =
                            self.replay(backend, project.id, &table, id, key, options)?
                        {
                            return Ok(Applied::Replayed(replay));
                        }
                    }
                    backend
                        .import(project.id, &plan, &mut feed)
                        .map(Applied::Imported)
                        .map_err(|e| refused_value(id, e))
                });
                // Dropping the receiver stops a parser still sending (after an insert failed).
                drop(rx);
                applied.map(|a| (a, imported))
            };
            let _ = parser.join();
            outcome
        })?;
        let stats = match stats {
            Applied::Imported(stats) => stats,
            Applied::Replayed(replay) => return Ok(replay),
        };
        let by = auth.token_ref();
        self.store.write(|tx| {
            touch_bucket(tx, project.id, id.bucket())?;
            tx.triggers().mark_table_changed(project.id, &table.id)?;
            record(
                tx,
                project.id,
                Some(&by),
                NewEvent {
                    event: "storage.tableImportDone",
                    message: format!("Imported {imported} row(s) into {id}"),
                    object_type: "table",
                    object_id: id.to_string(),
                    params: json!({
                        "importedRows": imported,
                        "incremental": options.incremental,
                        "columns": layout.columns,
                        "rowsCount": stats.rows_count,
                    }),
                },
            )
        })?;
        // The import is done whatever a trigger does; one that cannot fire now is retried on
        // the scheduler's next tick.
        if let Err(e) = self.run_due_triggers() {
            tracing::warn!(table = %id, error = %e, "running the triggers after an import failed");
        }
        Ok(ImportResult {
            table_id: id.clone(),
            imported_rows: imported,
            imported_columns: layout.columns,
            rows_count: stats.rows_count,
            data_size_bytes: stats.data_size_bytes,
            incremental: options.incremental,
            timestamp: super::time(now),
            replayed: false,
        })
    }
}

/// What the writer did with an import.
enum Applied {
    Imported(TableStats),
    /// The key had been applied by an earlier attempt: the answer it got.
    Replayed(ImportResult),
}

impl Stack {
    /// The answer of an import already applied under `key`, if it was; an error when the key
    /// was used for another table.
    fn replay(
        &self,
        backend: &dyn crate::backend::TableBackend,
        project: stackport_model::ProjectId,
        table: &TableRecord,
        id: &TableId,
        key: &str,
        options: &ImportOptions,
    ) -> Result<Option<ImportResult>> {
        let Some(applied) = backend.applied_import(project, key)? else {
            return Ok(None);
        };
        if applied.table != table.physical.as_str() {
            return Err(Error::conflict(
                "storage.import.keyUsedElsewhere",
                format!(
                    "idempotency key '{key}' was already used for an import into another table"
                ),
            ));
        }
        let stats = backend.stats(project, &table.physical)?;
        Ok(Some(ImportResult {
            table_id: id.clone(),
            imported_rows: applied.imported_rows,
            imported_columns: table.columns.clone(),
            rows_count: stats.rows_count,
            data_size_bytes: stats.data_size_bytes,
            incremental: options.incremental,
            timestamp: super::time(self.now_micros()),
            replayed: true,
        }))
    }
}

/// Rows handed from the parsing thread to the inserting one.
const BATCH_ROWS: usize = 2048;

/// Parsed rows, their values in one buffer.
#[derive(Default)]
struct Batch {
    text: String,
    /// End of each value in `text`.
    ends: Vec<usize>,
    /// Where each row's values start in `ends`.
    starts: Vec<usize>,
    timestamps: Vec<i64>,
}

impl Batch {
    fn push_value(&mut self, value: &str) {
        if self.starts.len() == self.timestamps.len() {
            self.starts.push(self.ends.len());
        }
        self.text.push_str(value);
        self.ends.push(self.text.len());
    }

    fn end_row(&mut self, timestamp: i64) {
        if self.starts.len() == self.timestamps.len() {
            self.starts.push(self.ends.len()); // a row of no values
        }
        self.timestamps.push(timestamp);
    }

    fn rows(&self) -> usize {
        self.timestamps.len()
    }

    fn row<'a>(&'a self, r: usize, out: &mut Vec<&'a str>) {
        let first = self.starts[r];
        let last = self.starts.get(r + 1).copied().unwrap_or(self.ends.len());
        let mut from = if first == 0 { 0 } else { self.ends[first - 1] };
        for &end in &self.ends[first..last] {
            out.push(&self.text[from..end]);
            from = end;
        }
    }
}

/// The file's columns checked against the table.
struct FileLayout {
    /// Table columns in file order, `_timestamp` left out.
    columns: Vec<ColumnName>,
    /// Where `_timestamp` is in the file, when it is taken from there.
    timestamp_at: Option<usize>,
}

impl FileLayout {
    fn new(
        header: &[String],
        table_columns: &[ColumnName],
        key: &[ColumnName],
        required: &[ColumnName],
        options: &ImportOptions,
        id: &TableId,
    ) -> Result<Self> {
        let mut columns = Vec::with_capacity(header.len());
        let mut timestamp_at = None;
        let mut seen = HashSet::new();
        let header_error = |m: String| {
            Error::invalid(
                "storage.import.invalidHeader",
                format!("cannot import into {id}: header: {m}; nothing was imported"),
            )
        };
        for (i, name) in header.iter().enumerate() {
            if name == TIMESTAMP_COLUMN {
                if !options.use_timestamp_from_data_file {
                    return Err(header_error(
                        "column _timestamp is kept by the stack; pass \
                         useTimestampFromDataFile=true to take it from the file, or leave the \
                         column out"
                            .into(),
                    ));
                }
                timestamp_at = Some(i);
                continue;
            }
            let column = ColumnName::parse(name).map_err(|e| header_error(e.to_string()))?;
            if !seen.insert(column.folded()) {
                return Err(header_error(format!("column '{name}' appears twice")));
            }
            if !table_columns.contains(&column) {
                return Err(header_error(format!(
                    "column '{name}' is not in the table (it has {}); add it first with POST \
                     /v2/storage/tables/{id}/columns",
                    short_list(table_columns)
                )));
            }
            columns.push(column);
        }
        if options.use_timestamp_from_data_file && timestamp_at.is_none() {
            return Err(header_error(
                "useTimestampFromDataFile is set but the data has no _timestamp column".into(),
            ));
        }
        if let Some(missing) = required.iter().find(|c| !columns.contains(c)) {
            return Err(header_error(format!(
                "column '{missing}' is not nullable in the table's definition and is missing \
                 from the data"
            )));
        }
        if let Some(missing) = key.iter().find(|k| !columns.contains(k)) {
            return Err(header_error(format!(
                "primary key column '{missing}' is missing from the data"
            )));
        }
        Ok(FileLayout {
            columns,
            timestamp_at,
        })
    }
}

fn short_list<T: std::fmt::Display>(items: &[T]) -> String {
    let mut out: Vec<String> = items.iter().take(8).map(|c| c.to_string()).collect();
    if items.len() > 8 {
        out.push(format!("… {} more", items.len() - 8));
    }
    out.join(", ")
}

/// A value the backend refused names its column only: the table is this one.
fn refused_value(id: &TableId, e: Error) -> Error {
    match e.code() {
        code @ (crate::backend::VALUE_WOULD_CHANGE | "storage.import.invalidValue") => {
            Error::invalid(code, format!("cannot import into {id}: {}", e.message()))
        }
        _ => e,
    }
}

fn row_error(id: &TableId, line: u64, message: String) -> Error {
    Error::invalid(
        "storage.import.invalidRow",
        format!("cannot import into {id}: line {line}: {message}; nothing was imported"),
    )
}

pub(crate) fn csv_error(id: &TableId, e: CsvError) -> Error {
    match e {
        CsvError::Syntax { line, message } => Error::invalid(
            "storage.import.invalidCsv",
            format!("cannot import into {id}: line {line}: {message}; nothing was imported"),
        ),
        CsvError::TooLong { line, field, limit } => {
            let (what, setting) = match field {
                Some(field) => (
                    format!("field {field} is longer than"),
                    "limits.maxValueBytes",
                ),
                None => (
                    "the record is longer than".to_string(),
                    "limits.maxRecordBytes",
                ),
            };
            Error::new(
                ErrorKind::TooLarge,
                "storage.import.valueTooLong",
                format!(
                    "cannot import into {id}: line {line}: {what} this stack's limit of \
                     {limit} bytes ({setting}); store such data as a file instead; nothing was \
                     imported"
                ),
            )
        }
        CsvError::Io(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            let hit = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<LimitHit>())
                .map(ToString::to_string)
                .unwrap_or_else(|| "over this stack's import limit".into());
            Error::new(
                ErrorKind::TooLarge,
                "storage.import.tooLarge",
                format!(
                    "the data for {id} is {hit}; split it into incremental imports; nothing \
                     was imported"
                ),
            )
        }
        CsvError::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidData
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::UnexpectedEof
            ) =>
        {
            Error::invalid(
                "storage.import.unreadable",
                format!(
                    "the data for {id} could not be read ({e}); if it is gzip, check the file \
                     is complete; nothing was imported"
                ),
            )
        }
        CsvError::Io(e) => Error::internal(format!("reading the data for {id}"), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_the_backend_refuses_is_named_with_its_table() {
        let id: TableId = "in.c-shop.orders".parse().unwrap();
        let refused = Error::invalid(
            crate::backend::VALUE_WOULD_CHANGE,
            "column 'price' is NUMERIC(10,2): '1.5' (row 3) would be stored as '1.50'",
        );
        let named = refused_value(&id, refused);
        assert_eq!(named.code(), crate::backend::VALUE_WOULD_CHANGE);
        assert_eq!(
            named.message(),
            "cannot import into in.c-shop.orders: column 'price' is NUMERIC(10,2): '1.5' (row 3) \
             would be stored as '1.50'"
        );
        let other = refused_value(&id, Error::invalid("test.other", "as it was"));
        assert_eq!(other.message(), "as it was", "other errors pass unchanged");
    }
}
