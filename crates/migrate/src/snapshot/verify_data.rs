//! `snapshot verify`: every check `open` makes, and then every chunk read through: it must
//! decompress, start with its table's header, hold the rows and bytes its entry says, and the
//! table's rows must hash to the table's `sha256`.

use std::io::Read;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::chunk_reader::CheckedChunk;
use super::chunker::{hex, RowScanner};
use super::format::{csv_header, TableEntry};
use super::reader::Snapshot;
use crate::error::{MigrateError, Result};

/// What was read.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataCheck {
    /// Tables read.
    pub tables: u64,
    /// Chunks read.
    pub chunks: u64,
    /// Rows counted.
    pub rows: u64,
    /// Uncompressed bytes of rows.
    pub bytes: u64,
}

/// Reads every chunk of `snapshot` (already opened, so its files match the manifest).
pub fn verify_data(snapshot: &Snapshot) -> Result<DataCheck> {
    let mut check = DataCheck::default();
    for entry in &snapshot.tables {
        if entry.data.is_some() {
            verify_table(snapshot, entry, &mut check)?;
        }
    }
    Ok(check)
}

fn verify_table(snapshot: &Snapshot, entry: &TableEntry, check: &mut DataCheck) -> Result<()> {
    let data = entry.data.as_ref().expect("a table with data");
    let header = csv_header(&entry.table.columns);
    let mut table_hash = Sha256::new();
    for chunk in &data.chunks {
        let fail = |e: std::io::Error| MigrateError::snapshot(&chunk.path, e.to_string());
        let mut reader = CheckedChunk::open(
            &snapshot.root.join(&chunk.path),
            data.codec,
            header.clone(),
            chunk.bytes,
        )
        .map_err(fail)?;
        let header_len = reader.header_len() as u64;
        let mut seen = 0u64;
        let mut rows = RowScanner::default();
        let mut row_count = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf).map_err(fail)?;
            if n == 0 {
                break;
            }
            // The header is checked by the reader; the rows are hashed and counted here.
            let skip = header_len.saturating_sub(seen).min(n as u64) as usize;
            seen += n as u64;
            let body = &buf[skip..n];
            table_hash.update(body);
            let mut from = 0;
            while let Some(end) = rows.next_row_end(body, from) {
                row_count += 1;
                from = end + 1;
            }
        }
        let bytes = seen.saturating_sub(header.len() as u64);
        if rows.in_quotes || bytes != chunk.bytes || row_count != chunk.rows {
            return Err(MigrateError::snapshot(
                &chunk.path,
                format!(
                    "holds {row_count} rows in {bytes} bytes{}; its entry says {} rows in {} bytes",
                    if rows.in_quotes {
                        " and ends inside a quoted value"
                    } else {
                        ""
                    },
                    chunk.rows,
                    chunk.bytes
                ),
            ));
        }
        check.chunks += 1;
        check.rows += row_count;
        check.bytes += bytes;
    }
    if hex(&table_hash.finalize()) != data.sha256 {
        return Err(MigrateError::snapshot(
            super::format::paths::TABLES,
            format!(
                "the rows of table {} do not hash to its sha256",
                entry.table.id
            ),
        ));
    }
    check.tables += 1;
    Ok(())
}
