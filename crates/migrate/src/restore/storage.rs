//! Buckets, tables, their data and aliases.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use stackport_client::{Client, ImportParams};
use stackport_model::api::{NewAlias, NewBucket, NewTable, Table};

use super::metadata::writes;
use super::RestoreOptions;
use super::RestoreOutcome;
use crate::error::{ApiContext, MigrateError, Result};
use crate::progress::{Phase, PhaseTimer, Progress, Tally};
use crate::snapshot::format::{Codec, TableData};
use crate::snapshot::Snapshot;

pub(crate) async fn restore_buckets(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    for bucket in &snapshot.buckets {
        let created = client
            .create_bucket(&NewBucket {
                name: bucket.id.name().to_string(),
                stage: bucket.stage,
                display_name: Some(bucket.display_name.clone()),
                description: Some(bucket.description.clone()),
                backend: None,
            })
            .await
            .api(|| format!("creating bucket {}", bucket.id))?;
        if created.id != bucket.id {
            return Err(MigrateError::Refused(format!(
                "bucket {} came back as {} on the destination; ids must be kept",
                bucket.id, created.id
            )));
        }
        for write in writes(bucket.metadata.as_deref().unwrap_or_default(), None) {
            client
                .write_bucket_metadata(&bucket.id, &write)
                .await
                .api(|| format!("writing metadata of bucket {}", bucket.id))?;
        }
        outcome.buckets += 1;
        timer.item(format!("bucket {}", bucket.id));
    }
    Ok(())
}

pub(crate) async fn restore_tables(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    for entry in snapshot.tables.iter().filter(|e| !e.table.is_alias) {
        let t = &entry.table;
        client
            .create_table(
                &t.bucket.id,
                &NewTable {
                    name: t.name.clone(),
                    columns: if t.definition.is_some() {
                        Vec::new()
                    } else {
                        t.columns.clone()
                    },
                    // A typed table's key is part of its definition.
                    primary_key: if t.definition.is_some() {
                        Vec::new()
                    } else {
                        t.primary_key.clone()
                    },
                    definition: t.definition.clone(),
                    display_name: Some(t.display_name.clone()),
                },
            )
            .await
            .api(|| format!("creating table {}", t.id))?;
        write_table_metadata(client, t).await?;
        outcome.tables += 1;
        timer.item(format!("table {}", t.id));
    }
    Ok(())
}

async fn write_table_metadata(client: &Client, t: &Table) -> Result<()> {
    for write in writes(
        t.metadata.as_deref().unwrap_or_default(),
        t.column_metadata.as_ref(),
    ) {
        client
            .write_table_metadata(&t.id, &write)
            .await
            .api(|| format!("writing metadata of table {}", t.id))?;
    }
    Ok(())
}

pub(crate) async fn restore_data(
    client: &Client,
    snapshot: &Snapshot,
    instant: &str,
    options: &RestoreOptions,
    progress: Arc<dyn Progress>,
    _timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let loads = snapshot
        .tables
        .iter()
        .filter_map(|e| e.data.as_ref().map(|d| (&e.table, d)))
        .filter(|(_, d)| !d.chunks.is_empty())
        .map(|(table, data)| {
            let progress = progress.clone();
            async move { load_table(client, snapshot, table, data, instant, progress).await }
        });
    let done: Vec<(u64, u64)> = futures_util::stream::iter(loads)
        .buffer_unordered(options.parallel_tables.max(1))
        .try_collect()
        .await?;
    for (rows, bytes) in done {
        outcome.rows += rows;
        outcome.bytes += bytes;
    }
    Ok(())
}

/// Loads a table's chunks in order: the first replaces, the rest append, all with the one
/// migration instant as `_timestamp`.
async fn load_table(
    client: &Client,
    snapshot: &Snapshot,
    table: &Table,
    data: &TableData,
    instant: &str,
    progress: Arc<dyn Progress>,
) -> Result<(u64, u64)> {
    let mut rows = 0;
    let mut bytes = 0;
    for (n, chunk) in data.chunks.iter().enumerate() {
        let path = snapshot.root.join(&chunk.path);
        let body = chunk_body(path, data.codec, progress.clone(), chunk.rows);
        let params = ImportParams {
            incremental: n > 0,
            timestamp: Some(instant.to_string()),
            ..Default::default()
        };
        let result = client
            .import_table(&table.id, &params, body)
            .await
            .api(|| format!("loading chunk {} of table {} ({})", n, table.id, chunk.path))?;
        if result.imported_rows != chunk.rows {
            return Err(MigrateError::Refused(format!(
                "table {}: chunk {} holds {} rows but the destination imported {}",
                table.id, chunk.path, chunk.rows, result.imported_rows
            )));
        }
        rows += chunk.rows;
        bytes += chunk.bytes;
    }
    Ok((rows, bytes))
}

/// A request body that decompresses a chunk on the blocking pool as the request streams it.
fn chunk_body(
    path: PathBuf,
    codec: Codec,
    progress: Arc<dyn Progress>,
    rows: u64,
) -> reqwest::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut tally = Tally::new(progress, Phase::Restore);
        let result = (|| -> std::io::Result<()> {
            let file = BufReader::with_capacity(256 * 1024, File::open(&path)?);
            let mut reader: Box<dyn Read> = match codec {
                Codec::Zstd => Box::new(zstd::Decoder::with_buffer(file)?),
                Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
            };
            loop {
                let mut buf = vec![0u8; 256 * 1024];
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                tally.add(n as u64, 0);
                if tx.blocking_send(Ok(bytes::Bytes::from(buf))).is_err() {
                    return Ok(()); // The request was dropped.
                }
            }
        })();
        match result {
            Ok(()) => tally.add(0, rows),
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    reqwest::Body::wrap_stream(stream)
}

pub(crate) async fn restore_aliases(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    for entry in snapshot.tables.iter().filter(|e| e.table.is_alias) {
        let t = &entry.table;
        let Some(source) = &t.source_table else {
            return Err(MigrateError::snapshot(
                crate::snapshot::format::paths::TABLES,
                format!("alias {} names no source table", t.id),
            ));
        };
        let synced = t.alias_columns_auto_sync.unwrap_or(true);
        client
            .create_alias(
                &t.bucket.id,
                &NewAlias {
                    source_table: source.clone(),
                    name: t.name.clone(),
                    alias_filter: t.alias_filter.clone(),
                    alias_columns: if synced {
                        Vec::new()
                    } else {
                        t.columns.clone()
                    },
                },
            )
            .await
            .api(|| format!("creating alias {} of {source}", t.id))?;
        write_table_metadata(client, t).await?;
        outcome.aliases += 1;
        timer.item(format!("alias {}", t.id));
    }
    Ok(())
}

/// A cheap check after the load: each table holds as many rows as its snapshot.
pub(crate) async fn check_row_counts(
    client: &Client,
    snapshot: &Snapshot,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let tables = client
        .list_tables()
        .await
        .api(|| "listing the destination's tables".into())?;
    for entry in &snapshot.tables {
        let Some(data) = &entry.data else { continue };
        match tables.iter().find(|t| t.id == entry.table.id) {
            Some(t) if t.rows_count == data.rows => {}
            Some(t) => outcome.warnings.push(format!(
                "table {} has {} rows on the destination, the snapshot has {}",
                t.id, t.rows_count, data.rows
            )),
            None => outcome.warnings.push(format!(
                "table {} is missing on the destination",
                entry.table.id
            )),
        }
    }
    Ok(())
}
