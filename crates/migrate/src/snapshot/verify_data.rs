//! `snapshot verify`: every check `open` makes, and then every chunk read through: it must
//! decompress, start with its table's header, hold the rows and bytes its entry says, and the
//! table's rows must hash to the table's `sha256`.

use std::fs::File;
use std::io::{BufReader, Read};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::chunker::{hex, RowScanner};
use super::format::{csv_header, Codec, TableEntry};
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
        let fail = |problem: String| MigrateError::snapshot(&chunk.path, problem);
        let path = snapshot.root.join(&chunk.path);
        let file = BufReader::with_capacity(
            256 * 1024,
            File::open(&path).map_err(|e| MigrateError::io(&path, "reading a chunk", e))?,
        );
        let mut reader: Box<dyn Read> = match data.codec {
            Codec::Zstd => Box::new(
                zstd::Decoder::with_buffer(file)
                    .map_err(|e| fail(format!("does not decompress ({e})")))?,
            ),
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        };
        let limit = header.len() as u64 + chunk.bytes;
        let mut seen = 0u64;
        let mut rows = RowScanner::default();
        let mut row_count = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| fail(format!("does not decompress ({e})")))?;
            if n == 0 {
                break;
            }
            let block = &buf[..n];
            let mut body_start = 0;
            if seen < header.len() as u64 {
                let start = seen as usize;
                let take = (header.len() - start).min(n);
                if block[..take] != header[start..start + take] {
                    return Err(fail(format!(
                        "does not start with the header of table {}",
                        entry.table.id
                    )));
                }
                body_start = take;
            }
            seen += n as u64;
            if seen > limit {
                return Err(fail(format!(
                    "holds more than the {} bytes its entry says",
                    chunk.bytes
                )));
            }
            let body = &block[body_start..];
            table_hash.update(body);
            let mut from = 0;
            while let Some(end) = rows.next_row_end(body, from) {
                row_count += 1;
                from = end + 1;
            }
        }
        let bytes = seen.saturating_sub(header.len() as u64);
        if rows.in_quotes || bytes != chunk.bytes || row_count != chunk.rows {
            return Err(fail(format!(
                "holds {row_count} rows in {bytes} bytes{}; its entry says {} rows in {} bytes",
                if rows.in_quotes {
                    " and ends inside a quoted value"
                } else {
                    ""
                },
                chunk.rows,
                chunk.bytes
            )));
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
