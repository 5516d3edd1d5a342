//! Snapshots: a directory of plain files, defined in `docs/snapshot-format.md`.

mod checks;
mod chunk_reader;
mod chunker;
mod create;
pub mod format;
mod reader;
mod strip;
mod verify_data;
mod write;

pub(crate) use checks::orchestration_order;
pub use chunk_reader::MAX_RECORD_BYTES;
pub(crate) use chunk_reader::{CheckedChunk, ChunkRules};
pub use create::{create, SnapshotOptions, SnapshotOutcome};
pub use reader::{open, Snapshot, SnapshotConfig};
pub(crate) use strip::strip_configuration;
pub(crate) use verify_data::verify_tables;
pub use verify_data::{verify_data, verify_data_with, DataCheck};

/// Cuts `input` (a table's canonical CSV export) into chunks under `root` as `snapshot create`
/// does, feeding it in blocks of `block` bytes; returns the rows and the chunk paths. For the
/// property tests of the chunker, which must see it exactly as the snapshot uses it.
#[doc(hidden)]
pub fn chunk_table_for_tests(
    root: &std::path::Path,
    table: &str,
    columns: &[&str],
    codec: format::Codec,
    chunk_bytes: u64,
    input: &[u8],
    block: usize,
) -> crate::Result<(u64, Vec<String>)> {
    let table = table
        .parse()
        .map_err(|e| crate::MigrateError::Refused(format!("table id: {e}")))?;
    let columns = columns
        .iter()
        .map(|c| {
            c.parse()
                .map_err(|e| crate::MigrateError::Refused(format!("column: {e}")))
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let mut writer = chunker::ChunkWriter::new(root, table, columns, codec, chunk_bytes);
    let mut rows = 0;
    for piece in input.chunks(block.max(1)) {
        rows += writer.feed(piece)?;
    }
    let (data, _) = writer.finish()?;
    if rows != data.rows {
        return Err(crate::MigrateError::Refused("row counts disagree".into()));
    }
    Ok((rows, data.chunks.into_iter().map(|c| c.path).collect()))
}
