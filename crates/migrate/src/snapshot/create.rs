//! `snapshot create`: reads the source project into a snapshot directory.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{StreamExt, TryStreamExt};
use sha2::Digest;
use stackport_client::{Client, ExportParams};
use stackport_model::api::Table;

use super::chunker::ChunkWriter;
use super::format::*;
use super::strip::strip_configuration;
use super::write::{write_json, SnapshotDir};
use crate::error::{ApiContext, MigrateError, Result};
use crate::progress::{Event, Phase, PhaseTimer, Progress, Tally};
use crate::read::{read_project, SourceProject};
use crate::Endpoint;

/// How a snapshot is written.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// Chunk compression.
    pub codec: Codec,
    /// Most uncompressed bytes of rows per chunk.
    pub chunk_bytes: u64,
    /// Tables read at the same time.
    pub parallel_tables: usize,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            codec: Codec::Zstd,
            chunk_bytes: 64 * 1024 * 1024,
            // Two cores: one table compresses while the next one's export streams in.
            parallel_tables: 3,
        }
    }
}

/// What `create` made.
#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    /// The manifest, as written.
    pub manifest: Manifest,
    /// How long it took.
    pub seconds: f64,
    /// Tables that changed while they were read, and were read again.
    pub reread: Vec<String>,
}

/// Reads the project of `source` into the new directory `out`. The source is only read: its
/// client refuses every write. The manifest is written last, so an interrupted run leaves a
/// directory no reader accepts.
pub async fn create(
    source: &Endpoint,
    out: &Path,
    options: &SnapshotOptions,
    progress: Arc<dyn Progress>,
) -> Result<SnapshotOutcome> {
    prepare_dir(out)?;
    let client = source.reader();
    let project = read_project(&client).await?;
    create_from(&client, &project, out, options, progress).await
}

fn prepare_dir(out: &Path) -> Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .map_err(|e| MigrateError::io(out, "reading the snapshot dir", e))?;
        if entries.next().is_some() {
            return Err(MigrateError::Refused(format!(
                "{} is not empty; a snapshot goes into a new or empty directory",
                out.display()
            )));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| MigrateError::io(out, "creating the snapshot dir", e))
}

pub(crate) async fn create_from(
    client: &Client,
    project: &SourceProject,
    out: &Path,
    options: &SnapshotOptions,
    progress: Arc<dyn Progress>,
) -> Result<SnapshotOutcome> {
    let started = Instant::now();
    let real_tables: Vec<&Table> = project.tables.iter().filter(|t| !t.is_alias).collect();
    let timer = PhaseTimer::start(
        progress.as_ref(),
        Phase::Snapshot,
        project.data_bytes(),
        project.data_rows(),
        (real_tables.len() + project.configs.len()) as u64,
    );
    let mut dir = SnapshotDir::new(out);
    let owner = &project.verified.owner;
    dir.json(
        paths::PROJECT,
        &ProjectDoc {
            project: owner.clone(),
            metadata: project.metadata.clone(),
            stack: StackRef::from(&project.verified.stack),
        },
    )?;
    dir.json(paths::BUCKETS, &project.buckets)?;

    // Table data: a few tables at once, each streamed into chunks on the blocking pool. Tables
    // the listing shows empty are not read; one listing at the end finds any that got rows
    // meanwhile, and those are read like the others.
    let reread = std::sync::Mutex::new(Vec::new());
    let (empty, filled): (Vec<&Table>, Vec<&Table>) =
        real_tables.iter().copied().partition(|t| t.rows_count == 0);
    let mut results = read_tables(client, filled, out, options, &progress, &reread).await?;
    let now: std::collections::HashMap<String, Table> = client
        .list_tables()
        .await
        .api(|| "listing the source's tables".into())?
        .into_iter()
        .map(|t| (t.id.to_string(), t))
        .collect();
    let (changed, still_empty): (Vec<&Table>, Vec<&Table>) = empty.into_iter().partition(|t| {
        now.get(&t.id.to_string()).is_none_or(|n| {
            n.rows_count != 0 || n.last_change_date != t.last_change_date || n.columns != t.columns
        })
    });
    results.extend(read_tables(client, changed, out, options, &progress, &reread).await?);
    for t in still_empty {
        results.push((
            t.clone(),
            TableData {
                codec: options.codec,
                sha256: super::chunker::hex(&sha2::Sha256::digest([])),
                ..Default::default()
            },
            Vec::new(),
        ));
    }
    let mut inventory = Inventory::default();
    let mut entries: Vec<TableEntry> = Vec::new();
    for (table, data, files) in results {
        timer.item(format!("table {}", table.id));
        inventory.tables += 1;
        inventory.rows += data.rows;
        inventory.data_bytes += data.bytes;
        inventory.stored_bytes += files.iter().map(|f| f.bytes).sum::<u64>();
        dir.files.extend(files);
        entries.push(TableEntry {
            table,
            data: Some(data),
        });
    }
    for alias in project.tables.iter().filter(|t| t.is_alias) {
        inventory.aliases += 1;
        entries.push(TableEntry {
            table: alias.clone(),
            data: None,
        });
    }
    entries.sort_by_key(|e| e.table.id.to_string());
    dir.json(paths::TABLES, &entries)?;

    // Configurations: secrets out, everything else as the stack returned it.
    let mut secrets: Vec<RemovedSecret> = Vec::new();
    // Metadata of every configuration, a few requests in flight at once.
    let metadata: Vec<Vec<stackport_model::api::MetadataEntry>> = futures_util::stream::iter(
        project
            .configs
            .iter()
            .map(|(component, config)| async move {
                client.config_metadata(component, &config.id).await.api(|| {
                    format!(
                        "reading the metadata of configuration {component}/{}",
                        config.id
                    )
                })
            }),
    )
    .buffered(8)
    .try_collect()
    .await?;
    for ((component, config), metadata) in project.configs.iter().zip(metadata) {
        let mut config = config.clone();
        let removed = strip_configuration(component, &mut config)?;
        inventory.secrets_removed += removed.len() as u64;
        secrets.extend(removed);
        inventory.configurations += 1;
        inventory.configuration_rows += config.rows.as_ref().map_or(0, |r| r.len()) as u64;
        dir.json(&paths::configuration(component, &config.id), &config)?;
        dir.json(
            &paths::configuration_metadata(component, &config.id),
            &metadata,
        )?;
        timer.item(format!("configuration {component}/{}", config.id));
    }
    secrets.sort();
    inventory.buckets = project.buckets.len() as u64;
    inventory.orchestrations = project.orchestrations.len() as u64;
    inventory.provisioned = project.provisioned.len() as u64;
    inventory.triggers = project.triggers.len() as u64;
    dir.json(paths::ORCHESTRATIONS, &project.orchestrations)?;
    dir.json(paths::TRIGGERS, &project.triggers)?;
    dir.json(paths::PROVISIONED, &project.provisioned)?;
    dir.json(paths::SECRETS, &secrets)?;
    dir.json(paths::NOT_MOVED, &project.not_moved)?;

    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: concat!("stackport ", env!("CARGO_PKG_VERSION")).to_string(),
        created: stackport_model::time::format(&chrono::Utc::now()),
        source: SourceRef {
            stack_id: project.verified.stack.id.clone(),
            stack_url: client.base_url().to_string(),
            project_id: owner.id.0,
            project_name: owner.name.clone(),
            backend: owner.backend.clone(),
        },
        inventory,
        files: dir.files,
    };
    // Last, and atomically: a manifest exists only for a complete snapshot.
    let tmp = "manifest.json.partial";
    write_json(out, tmp, &manifest)?;
    std::fs::rename(out.join(tmp), out.join(paths::MANIFEST))
        .map_err(|e| MigrateError::io(&out.join(paths::MANIFEST), "writing the manifest", e))?;
    // The rename is durable only once the directory itself is synced.
    std::fs::File::open(out)
        .and_then(|d| d.sync_all())
        .map_err(|e| MigrateError::io(out, "syncing the snapshot dir", e))?;
    crate::crash::point(format_args!("snapshot: manifest written"));
    timer.finish();
    Ok(SnapshotOutcome {
        manifest,
        seconds: started.elapsed().as_secs_f64(),
        reread: reread.into_inner().unwrap_or_else(|e| e.into_inner()),
    })
}

type ReadTable = (Table, TableData, Vec<FileEntry>);

/// Reads `tables`, a few at once; notes the ones that had to be read again.
async fn read_tables(
    client: &Client,
    tables: Vec<&Table>,
    out: &Path,
    options: &SnapshotOptions,
    progress: &Arc<dyn Progress>,
    reread: &std::sync::Mutex<Vec<String>>,
) -> Result<Vec<ReadTable>> {
    futures_util::stream::iter(tables.into_iter().map(|t| {
        let progress = progress.clone();
        async move {
            let (data, files, attempts) = snapshot_table(client, t, out, options, progress).await?;
            if attempts > 1 {
                reread.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                    "table {} changed while it was read; it was read {attempts} times and the snapshot holds the last, unchanged read",
                    t.id
                ));
            }
            Ok::<_, MigrateError>((t.clone(), data, files))
        }
    }))
    .buffer_unordered(options.parallel_tables.max(1))
    .try_collect()
    .await
}

/// How often a table that keeps changing while it is read is read again before giving up.
const READ_ATTEMPTS: usize = 3;

/// Reads one table into chunks; when the table changed while it was read (its row count or
/// last change differ before and after), its chunks are thrown away and it is read again.
async fn snapshot_table(
    client: &Client,
    table: &Table,
    root: &Path,
    options: &SnapshotOptions,
    progress: Arc<dyn Progress>,
) -> Result<(TableData, Vec<FileEntry>, usize)> {
    let data_dir = root.join("storage/data").join(table.id.to_string());
    for attempt in 1..=READ_ATTEMPTS {
        let before = client
            .get_table(&table.id)
            .await
            .api(|| format!("reading table {}", table.id))?;
        let (data, files) = export_table(client, table, root, options, progress.clone()).await?;
        let after = client
            .get_table(&table.id)
            .await
            .api(|| format!("reading table {}", table.id))?;
        let unchanged = before.last_change_date == after.last_change_date
            && before.rows_count == after.rows_count
            && after.rows_count == data.rows
            && after.columns == table.columns;
        if unchanged {
            return Ok((data, files, attempt));
        }
        let _ = std::fs::remove_dir_all(&data_dir);
        progress.event(Event::Warning {
            phase: Phase::Snapshot,
            message: format!(
                "table {} changed while it was read (attempt {attempt} of {READ_ATTEMPTS}); reading it again",
                table.id
            ),
        });
    }
    Err(MigrateError::Refused(format!(
        "table {} kept changing while it was read ({READ_ATTEMPTS} attempts); pause what writes to it (orchestrations, loads) and take the snapshot again",
        table.id
    )))
}

/// Streams one table's export into chunks.
async fn export_table(
    client: &Client,
    table: &Table,
    root: &Path,
    options: &SnapshotOptions,
    progress: Arc<dyn Progress>,
) -> Result<(TableData, Vec<FileEntry>)> {
    let mut stream = client
        .export_table_stream(&table.id, &ExportParams::default())
        .await
        .api(|| format!("exporting table {}", table.id))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
    let mut writer = ChunkWriter::new(
        root,
        table.id.clone(),
        table.columns.clone(),
        options.codec,
        options.chunk_bytes,
    );
    let worker = tokio::task::spawn_blocking(move || {
        let mut tally = Tally::new(progress, Phase::Snapshot);
        while let Some(block) = rx.blocking_recv() {
            let rows = writer.feed(&block)?;
            tally.add(block.len() as u64, rows);
        }
        writer.finish()
    });
    let mut failed = None;
    while let Some(block) = stream.next().await {
        match block {
            Ok(block) => {
                if tx.send(block).await.is_err() {
                    break; // The writer stopped; its error is below.
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let written = worker
        .await
        .map_err(|e| MigrateError::Refused(format!("writing table {} failed: {e}", table.id)))?;
    if let Some(e) = failed {
        return Err(e).api(|| format!("exporting table {}", table.id));
    }
    written
}
