//! What the table jobs do, each through the synchronous operation of its endpoint: a table
//! created from a file's header, an import from a file, an export into a file.

use std::io::{BufRead, BufReader, Write};

use serde_json::{json, Value};
use stackport_model::api::query::{AsyncTableCreateQuery, ExportQuery, ImportQuery};
use stackport_model::api::{ImportResult, NewTable, Table};
use stackport_model::{BucketId, ColumnName, FileId, TableId};

use crate::csv::{CsvReader, Record};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::ops::import::{csv_error, dialect_of};
use crate::{ExportOptions, NewFile, Stack, StagedUpload};

/// The tags of an export's file: `table-export`, as the reference's, and the table.
fn export_tags(table: &TableId) -> Vec<String> {
    vec!["table-export".into(), format!("tableId:{table}")]
}

impl Stack {
    /// Opens a Storage file for an import, gzip or not by its first bytes (the reference reads
    /// both).
    fn open_data_file(
        &self,
        auth: &TokenAuth,
        file: FileId,
    ) -> Result<(bool, BufReader<Box<dyn std::io::Read + Send>>)> {
        let (_, opened) = self.open_file(auth, file)?;
        let mut reader = BufReader::with_capacity(256 * 1024, opened.reader);
        let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        Ok((gzip, reader))
    }

    /// `tableCreate`: the file's header row names the columns; the table is created as
    /// `POST buckets/{id}/tables` creates it, then loaded as an import loads it. A load that
    /// fails takes the new table away again, so a failed job leaves no empty table.
    pub(crate) fn create_table_from_file(
        &self,
        auth: &TokenAuth,
        bucket: &BucketId,
        query: &AsyncTableCreateQuery,
    ) -> Result<Table> {
        let file = self.source_file(auth, query.data_file_id, query.data_url.as_deref())?;
        let options = ImportQuery {
            delimiter: query.delimiter.clone(),
            enclosure: query.enclosure.clone(),
            escaped_by: query.escaped_by.clone(),
            data_file_id: Some(file),
            ..Default::default()
        };
        let id = TableId::new(bucket.clone(), query.name.as_deref().unwrap_or_default())?;
        let columns = self.file_header(auth, &id, file, &options)?;
        let primary_key = query
            .primary_key
            .iter()
            .flatten()
            .map(|c| ColumnName::parse(c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let new = NewTable {
            name: query.name.clone().unwrap_or_default(),
            columns,
            primary_key,
            definition: None,
            display_name: None,
        };
        let table = self.create_table(auth, bucket, &new)?;
        if let Err(e) = self.import_table_from_file(auth, &table.id, &options) {
            if let Err(undo) = self.delete_table(auth, &table.id) {
                tracing::warn!(table = %table.id, error = %undo, "removing a table whose load failed");
            }
            return Err(e);
        }
        self.get_table(auth, &table.id)
    }

    /// The header row of a CSV file, as column names.
    fn file_header(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        file: FileId,
        options: &ImportQuery,
    ) -> Result<Vec<ColumnName>> {
        let (gzip, reader) = self.open_data_file(auth, file)?;
        let reader: Box<dyn std::io::Read> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(reader))
        } else {
            Box::new(reader)
        };
        let limits = &self.settings.limits;
        let mut csv = CsvReader::new(BufReader::new(reader), dialect_of(options)?)
            .with_limits(limits.max_value_bytes, limits.max_record_bytes);
        let mut row = Record::default();
        if !csv.read_record(&mut row).map_err(|e| csv_error(id, e))? {
            return Err(Error::invalid(
                "storage.import.empty",
                format!("file {file} is empty; it needs a header row naming the table's columns"),
            ));
        }
        (0..row.len())
            .map(|i| Ok(ColumnName::parse(row.get(i))?))
            .collect()
    }

    /// `tableImport`: the file into the table, as `POST tables/{id}/import` imports a body.
    pub(crate) fn import_table_from_file(
        &self,
        auth: &TokenAuth,
        table: &TableId,
        query: &ImportQuery,
    ) -> Result<Value> {
        let file = self.source_file(auth, query.data_file_id, query.data_url.as_deref())?;
        let (gzip, mut reader) = self.open_data_file(auth, file)?;
        let options = ImportQuery {
            data_file_id: None,
            data_url: None,
            gzip,
            ..query.clone()
        };
        let result = self.import_table(auth, table, &options, &mut reader)?;
        Ok(import_results(&result))
    }

    /// `tableExport`: the rows, without a header row, into a new Storage file of the project.
    pub(crate) fn export_table_to_file(
        &self,
        auth: &TokenAuth,
        table: &TableId,
        query: &ExportQuery,
    ) -> Result<Value> {
        let options = ExportOptions::from_query(query)
            .map_err(|e| Error::invalid("storage.export.invalidQuery", e.message))?;
        let stream = self.prepare_export(auth, table, &options)?;
        let mut writer = UploadWriter {
            upload: self.stage_upload(auth)?,
            failed: None,
        };
        let written = stream
            .write_headerless(self, &mut writer)
            .and_then(|n| writer.flush().map(|_| n).map_err(Error::from));
        if let Some(e) = writer.failed.take() {
            return Err(e);
        }
        let rows = written?;
        let name = format!(
            "{}.csv{}",
            table.to_string().replace('.', "_"),
            if options.gzip { ".gz" } else { "" }
        );
        let file = self.upload_staged_file(
            auth,
            &NewFile {
                name,
                tags: export_tags(table),
                ..Default::default()
            },
            writer.upload,
        )?;
        Ok(json!({
            "file": {"id": file.id},
            "cacheHit": false,
            "rowsCount": rows,
        }))
    }
}

/// An import's answer with the names the reference's import results use beside ours.
fn import_results(result: &ImportResult) -> Value {
    let mut out = serde_json::to_value(result).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut out {
        fields.insert("warnings".into(), json!([]));
        fields.insert("totalRowsCount".into(), json!(result.rows_count));
        fields.insert("totalDataSizeBytes".into(), json!(result.data_size_bytes));
        fields.insert("transaction".into(), Value::Null);
    }
    out
}

/// Writes into a staged upload; the upload's own error (a size limit) is kept for the job.
struct UploadWriter {
    upload: StagedUpload,
    failed: Option<Error>,
}

impl Write for UploadWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self.upload.write(data) {
            Ok(()) => Ok(data.len()),
            Err(e) => {
                let message = e.message().to_string();
                self.failed = Some(e);
                Err(std::io::Error::other(message))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
