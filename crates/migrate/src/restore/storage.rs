//! Buckets, tables, their data and aliases.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, TryStreamExt};
use stackport_client::{Client, ImportParams};
use stackport_model::api::{NewAlias, NewBucket, NewTable, Table};

use super::metadata::writes;
use super::RestoreOptions;
use super::RestoreOutcome;
use crate::error::{ApiContext, MigrateError, Result};
use crate::progress::{Phase, PhaseTimer, Progress, Tally};
use crate::regular_file::{open_regular, OpenError};
use crate::snapshot::format::{Codec, TableData};
use crate::snapshot::{CheckedChunk, ChunkRules, Snapshot};

pub(crate) async fn restore_buckets(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let existing: HashSet<String> = client
        .list_buckets(false)
        .await
        .api(|| "listing the destination's buckets".into())?
        .into_iter()
        .map(|b| b.id.to_string())
        .collect();
    for bucket in &snapshot.buckets {
        // One made by an interrupted run of this restore is kept; its metadata is written again.
        if !existing.contains(&bucket.id.to_string()) {
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
    existing: &HashSet<String>,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    for entry in snapshot.tables.iter().filter(|e| !e.table.is_alias) {
        let t = &entry.table;
        if existing.contains(&t.id.to_string()) {
            write_table_metadata(client, t).await?;
            outcome.tables += 1;
            continue;
        }
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

/// The ids of the tables and aliases already on the destination (from an interrupted run).
pub(crate) async fn existing_tables(client: &Client) -> Result<HashSet<String>> {
    Ok(client
        .list_tables()
        .await
        .api(|| "listing the destination's tables".into())?
        .into_iter()
        .map(|t| t.id.to_string())
        .collect())
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
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let hashes: HashMap<&str, &str> = snapshot
        .manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let shared = Load {
        client,
        snapshot,
        hashes: &hashes,
        instant,
        max_record_bytes: options.max_record_bytes,
    };
    let shared = &shared;
    let loads = snapshot
        .tables
        .iter()
        .filter_map(|e| e.data.as_ref().map(|d| (&e.table, d)))
        .filter(|(_, d)| !d.chunks.is_empty())
        .map(|(table, data)| {
            let progress = progress.clone();
            async move { load_table(shared, table, data, progress).await }
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

/// What every table's load shares.
struct Load<'a> {
    client: &'a Client,
    snapshot: &'a Snapshot,
    /// Each chunk's SHA-256 in the manifest.
    hashes: &'a HashMap<&'a str, &'a str>,
    /// The `_timestamp` of every row.
    instant: &'a str,
    max_record_bytes: u64,
}

/// Loads a table's chunks in order: the first replaces, the rest append, all with the one
/// migration instant as `_timestamp`.
async fn load_table(
    load: &Load<'_>,
    table: &Table,
    data: &TableData,
    progress: Arc<dyn Progress>,
) -> Result<(u64, u64)> {
    let Load {
        client,
        snapshot,
        hashes,
        instant,
        max_record_bytes,
    } = *load;
    let mut rows = 0;
    let mut bytes = 0;
    let header = crate::snapshot::format::csv_header(&table.columns);
    for (n, chunk) in data.chunks.iter().enumerate() {
        let check = ChunkCheck {
            path: snapshot.root.join(&chunk.path),
            codec: data.codec,
            sha256: hashes
                .get(chunk.path.as_str())
                .map(|s| s.to_string())
                .unwrap_or_default(),
            rules: ChunkRules {
                header: header.clone(),
                bytes: chunk.bytes,
                rows: chunk.rows,
                max_record_bytes,
            },
        };
        let problem = Arc::new(Mutex::new(None));
        let body = chunk_body(check, problem.clone(), progress.clone());
        let params = ImportParams {
            incremental: n > 0,
            timestamp: Some(instant.to_string()),
            // A chunk sent again after a crash is recognised and not loaded twice; above all,
            // chunk 0 (a full load) replayed after later chunks must not wipe them.
            idempotency_key: Some(format!("stackport/{}/{}/{n}", snapshot.id, table.id)),
            // Checked by the destination inside the import's transaction: a chunk that holds
            // other than its entry's rows is never committed, whatever this side saw.
            expected_rows: Some(chunk.rows),
            ..Default::default()
        };
        let result = client.import_table(&table.id, &params, body).await;
        if let Some(p) = problem.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(MigrateError::snapshot(
                &chunk.path,
                format!(
                    "{p}; the load of table {} was rolled back by the destination",
                    table.id
                ),
            ));
        }
        let result =
            result.api(|| format!("loading chunk {n} of table {} ({})", table.id, chunk.path))?;
        if result.imported_rows != chunk.rows {
            return Err(MigrateError::Refused(format!(
                "table {}: chunk {} holds {} rows but the destination imported {}",
                table.id, chunk.path, chunk.rows, result.imported_rows
            )));
        }
        rows += chunk.rows;
        bytes += chunk.bytes;
        crate::crash::point(format_args!("restore: chunk {}", chunk.path));
    }
    Ok((rows, bytes))
}

/// What a chunk must be, checked again as it streams: the file could have changed since the
/// snapshot was opened (or was never read through, with `skip_verify`), and a small file must
/// not expand into an unbounded body.
struct ChunkCheck {
    path: PathBuf,
    codec: Codec,
    sha256: String,
    rules: ChunkRules,
}

/// A request body that decompresses a chunk on the blocking pool as the request streams it. A
/// problem with the chunk ends the body with an error (so the destination rolls the import
/// back) and is left in `problem` for the message.
fn chunk_body(
    check: ChunkCheck,
    problem: Arc<Mutex<Option<String>>>,
    progress: Arc<dyn Progress>,
) -> reqwest::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut tally = Tally::new(progress, Phase::Restore);
        let result = stream_chunk(&check, &tx, &mut tally);
        match result {
            Ok(()) => tally.add(0, check.rules.rows),
            Err(e) => {
                *problem.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    reqwest::Body::wrap_stream(stream)
}

fn stream_chunk(
    check: &ChunkCheck,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>,
    tally: &mut Tally,
) -> std::io::Result<()> {
    let file = open_regular(&check.path).map_err(OpenError::into_snapshot_io)?;
    let mut chunk = CheckedChunk::new(file, check.codec, check.rules.clone())?;
    loop {
        let mut buf = vec![0u8; 256 * 1024];
        let n = chunk.read(&mut buf)?;
        if n == 0 {
            break;
        }
        buf.truncate(n);
        tally.add(n as u64, 0);
        if tx.blocking_send(Ok(bytes::Bytes::from(buf))).is_err() {
            return Ok(()); // The request was dropped; its error says why.
        }
    }
    if chunk.file_sha256()? != check.sha256 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it changed after the snapshot was opened (its SHA-256 no longer matches the manifest)",
        ));
    }
    Ok(())
}

pub(crate) async fn restore_aliases(
    client: &Client,
    snapshot: &Snapshot,
    existing: &HashSet<String>,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    for entry in snapshot.tables.iter().filter(|e| e.table.is_alias) {
        let t = &entry.table;
        if existing.contains(&t.id.to_string()) {
            write_table_metadata(client, t).await?;
            outcome.aliases += 1;
            continue;
        }
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

/// A cheap check after the load: each table holds as many rows as its snapshot. A difference
/// fails the restore: a migration that lost or doubled rows must not end in "done".
pub(crate) async fn check_row_counts(client: &Client, snapshot: &Snapshot) -> Result<()> {
    let tables = client
        .list_tables()
        .await
        .api(|| "listing the destination's tables".into())?;
    let mut wrong = Vec::new();
    for entry in &snapshot.tables {
        let Some(data) = &entry.data else { continue };
        match tables.iter().find(|t| t.id == entry.table.id) {
            Some(t) if t.rows_count == data.rows => {}
            Some(t) => wrong.push(format!(
                "table {} has {} rows on the destination, the snapshot has {}",
                t.id, t.rows_count, data.rows
            )),
            None => wrong.push(format!(
                "table {} is missing on the destination",
                entry.table.id
            )),
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Refused(format!(
            "the destination does not hold what the snapshot holds: {}",
            wrong.join("; ")
        )))
    }
}
