//! `snapshot verify`, and the pass a restore makes before its first write: every check `open`
//! makes, and then every chunk read through: it must decompress, start with its table's header,
//! hold the rows and bytes its entry says with no record over the record limit, end on a row
//! end, and the table's rows must hash to the table's `sha256`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::chunk_reader::{CheckedChunk, ChunkRules, MAX_RECORD_BYTES};
use super::chunker::hex;
use super::format::{csv_header, TableEntry};
use super::reader::Snapshot;
use crate::error::{MigrateError, Result};
use crate::progress::{NoProgress, Phase, PhaseTimer, Progress, Tally};
use crate::regular_file::open_regular;

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

/// Reads every chunk of `snapshot` (already opened, so its files match the manifest) with the
/// default record limit, silently.
pub fn verify_data(snapshot: &Snapshot) -> Result<DataCheck> {
    verify_data_with(snapshot, MAX_RECORD_BYTES, Arc::new(NoProgress))
}

/// Reads every chunk of `snapshot`, refusing a record over `max_record_bytes`, and reports the
/// pass as the [`Phase::CheckSnapshot`] phase.
pub fn verify_data_with(
    snapshot: &Snapshot,
    max_record_bytes: u64,
    progress: Arc<dyn Progress>,
) -> Result<DataCheck> {
    verify_tables(&snapshot.root, &snapshot.tables, max_record_bytes, progress)
}

/// The pass itself, on the parts of a snapshot it needs (a restore runs it on the blocking pool
/// with its own copy of them).
pub(crate) fn verify_tables(
    root: &Path,
    tables: &[TableEntry],
    max_record_bytes: u64,
    progress: Arc<dyn Progress>,
) -> Result<DataCheck> {
    let with_data = tables.iter().filter(|e| e.data.is_some());
    let timer = PhaseTimer::start(
        progress.as_ref(),
        Phase::CheckSnapshot,
        with_data
            .clone()
            .map(|e| e.data.as_ref().map_or(0, |d| d.bytes))
            .sum(),
        with_data
            .clone()
            .map(|e| e.data.as_ref().map_or(0, |d| d.rows))
            .sum(),
        with_data.clone().count() as u64,
    );
    let mut check = DataCheck::default();
    let mut tally = Tally::new(progress.clone(), Phase::CheckSnapshot);
    for entry in with_data {
        verify_table(root, entry, max_record_bytes, &mut tally, &mut check)?;
        tally.flush();
        timer.item(format!("table {}", entry.table.id));
    }
    drop(tally);
    timer.finish();
    Ok(check)
}

fn verify_table(
    root: &Path,
    entry: &TableEntry,
    max_record_bytes: u64,
    tally: &mut Tally,
    check: &mut DataCheck,
) -> Result<()> {
    let data = entry.data.as_ref().expect("a table with data");
    let header = csv_header(&entry.table.columns);
    let mut table_hash = Sha256::new();
    for chunk in &data.chunks {
        let fail = |e: std::io::Error| MigrateError::snapshot(&chunk.path, e.to_string());
        let file = open_regular(&root.join(&chunk.path)).map_err(|e| fail(e.into_snapshot_io()))?;
        let rules = ChunkRules {
            header: header.clone(),
            bytes: chunk.bytes,
            rows: chunk.rows,
            max_record_bytes,
        };
        let mut reader = CheckedChunk::new(file, data.codec, rules).map_err(fail)?;
        let header_len = reader.header_len() as u64;
        let mut seen = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let rows_before = reader.rows();
            let n = reader.read(&mut buf).map_err(fail)?;
            if n == 0 {
                break;
            }
            // The reader checks the header, the rows and the sizes; the rows are hashed here.
            let skip = header_len.saturating_sub(seen).min(n as u64) as usize;
            seen += n as u64;
            table_hash.update(&buf[skip..n]);
            tally.add((n - skip) as u64, reader.rows() - rows_before);
        }
        check.chunks += 1;
        check.rows += reader.rows();
        check.bytes += chunk.bytes;
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
