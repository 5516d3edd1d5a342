//! `snapshot restore`: writes a checked snapshot into an empty destination project, in the order
//! the seed fixes: project metadata, buckets, tables and their metadata, table data, aliases,
//! configurations (rows, state, row order, `isDisabled`, metadata), provisioned resources,
//! orchestrations, triggers.

mod configs;
mod metadata;
mod orchestrations;
mod resume;
mod storage;
mod triggers;

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::backend_change::BackendChange;
use crate::error::ApiContext;
use crate::error::{MigrateError, Result};
use crate::plan::{read_destination, MARK_COMPLETED, MARK_INSTANT, MARK_PROVIDER, MARK_STARTED};
use crate::progress::{Phase, PhaseTimer, Progress};
use crate::snapshot::format::StackRef;
use crate::snapshot::Snapshot;
use crate::Endpoint;

pub(crate) use configs::secret_key;
pub use orchestrations::{OrchestrationMapping, ProvisionedMapping};
pub use triggers::TriggerMapping;

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// The `_timestamp` every restored row gets; now when `None`.
    pub migration_instant: Option<chrono::DateTime<chrono::Utc>>,
    /// Tables loaded at the same time.
    pub parallel_tables: usize,
    /// Leave out the pass that reads every chunk through before the first write. Only for a
    /// snapshot this process has just written: any other may lie inside a chunk (a row count,
    /// a size) in a way only reading it shows, and the restore would then stop part-way. The
    /// chunks are still checked as they load, and the destination refuses a chunk whose rows
    /// are not its entry's, but a restore stopped that way leaves a partly filled project.
    pub skip_verify: bool,
    /// The longest record a chunk may hold; the destination stack's `limits.maxRecordBytes`.
    pub max_record_bytes: u64,
    /// Restore into a project of another table backend (`--allow-backend-change`): SQL
    /// transformations of the source's dialect are created disabled, for a person to rewrite.
    /// `migrate run` plans with it too.
    pub allow_backend_change: bool,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            migration_instant: None,
            parallel_tables: 2,
            skip_verify: false,
            max_record_bytes: crate::snapshot::MAX_RECORD_BYTES,
            allow_backend_change: false,
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreOutcome {
    /// The one `_timestamp` of every restored row.
    pub migration_instant: String,
    /// The destination stack.
    pub destination_stack: StackRef,
    /// The destination project's id.
    pub destination_project_id: u64,
    /// The destination project's name.
    pub destination_project_name: String,
    /// Buckets created.
    pub buckets: u64,
    /// Tables created (aliases not counted).
    pub tables: u64,
    /// Aliases created.
    pub aliases: u64,
    /// Rows loaded.
    pub rows: u64,
    /// Uncompressed CSV bytes loaded.
    pub bytes: u64,
    /// Configurations created.
    pub configurations: u64,
    /// Their rows.
    pub configuration_rows: u64,
    /// Old and new orchestration ids.
    pub orchestrations: Vec<OrchestrationMapping>,
    /// Old and new trigger ids; every one restored inactive.
    pub triggers: Vec<TriggerMapping>,
    /// Resources provisioned again on the destination.
    pub provisioned: Vec<ProvisionedMapping>,
    /// Secrets the destination set itself (`component/config/path`), e.g. the credentials of
    /// a workspace it provisioned: they are not on the checklist.
    pub filled_by_destination: Vec<String>,
    /// Things a person should look at.
    pub warnings: Vec<String>,
    /// The destination project has another table backend than the snapshot's: what that
    /// changed (transformations restored disabled, typed columns to check).
    pub backend_change: Option<BackendChange>,
    /// Seconds spent loading table data.
    pub data_seconds: f64,
    /// Seconds in all.
    pub seconds: f64,
    /// An interrupted restore of the same snapshot was finished.
    pub resumed: bool,
    /// The destination already held the whole snapshot: nothing was written.
    pub already_restored: bool,
}

/// Project metadata entries under the restore's provider.
fn marks(entries: &[(&str, &str)]) -> stackport_model::api::MetadataWrite {
    stackport_model::api::MetadataWrite {
        provider: MARK_PROVIDER.into(),
        metadata: entries
            .iter()
            .map(|(k, v)| stackport_model::api::MetadataKeyValue {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
        ..Default::default()
    }
}

/// Restores `snapshot` into the project of `destination`. Every check that can fail without a
/// write runs first; the destination must be an empty project of the snapshot's backend on a
/// stack that has every component the snapshot uses.
pub async fn restore(
    snapshot: &Snapshot,
    destination: &Endpoint,
    options: &RestoreOptions,
    progress: Arc<dyn Progress>,
) -> Result<RestoreOutcome> {
    let started = Instant::now();
    let dest = read_destination(&destination.reader()).await?;
    let own = [dest.restoring(), dest.restored()].contains(&Some(snapshot.id.as_str()));
    precheck(snapshot, &dest, own, options.allow_backend_change)?;
    // Decided from the snapshot and the destination's backend alone, so a resumed restore
    // disables exactly what the interrupted one did.
    let backend_change = BackendChange::of(
        &snapshot.project.project.backend,
        &dest.verified.owner.backend,
        snapshot
            .configurations
            .iter()
            .map(|c| (&c.component_id, &c.configuration)),
        snapshot.tables.iter().map(|t| &t.table),
    );
    let finished = dest.restored() == Some(snapshot.id.as_str());
    if !finished && !options.skip_verify {
        read_through(snapshot, options, progress.clone()).await?;
    }
    // Whole seconds: the instant is read by people in the report and typed into filters. A
    // resumed restore keeps the instant the interrupted one chose, so all rows share it.
    let instant_text = match dest.mark(MARK_INSTANT).filter(|_| own) {
        Some(t) => t.to_string(),
        None => stackport_model::time::format(
            &options
                .migration_instant
                .unwrap_or_else(|| chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0)),
        ),
    };
    let client = destination.writer();
    let inv = &snapshot.manifest.inventory;
    let timer = PhaseTimer::start(
        progress.as_ref(),
        Phase::Restore,
        inv.data_bytes,
        inv.rows,
        inv.buckets
            + inv.tables
            + inv.aliases
            + inv.configurations
            + inv.orchestrations
            + inv.triggers
            + inv.provisioned,
    );
    let mut outcome = RestoreOutcome {
        migration_instant: instant_text.clone(),
        destination_stack: StackRef::from(&dest.verified.stack),
        destination_project_id: dest.verified.owner.id.0,
        destination_project_name: dest.verified.owner.name.clone(),
        buckets: 0,
        tables: 0,
        aliases: 0,
        rows: 0,
        bytes: 0,
        configurations: 0,
        configuration_rows: 0,
        orchestrations: Vec::new(),
        triggers: Vec::new(),
        provisioned: Vec::new(),
        filled_by_destination: Vec::new(),
        warnings: Vec::new(),
        backend_change,
        data_seconds: 0.0,
        seconds: 0.0,
        resumed: own && dest.restored().is_none(),
        already_restored: finished,
    };
    if outcome.already_restored {
        // A finished migration run again: read what is there, write nothing.
        resume::describe_finished(&client, snapshot, &mut outcome).await?;
        timer.finish();
        outcome.seconds = started.elapsed().as_secs_f64();
        return Ok(outcome);
    }
    if !own {
        // Before the first write: the mark that lets an interrupted run recognise its work.
        client
            .write_project_metadata(&marks(&[
                (MARK_STARTED, &snapshot.id),
                (MARK_INSTANT, &instant_text),
            ]))
            .await
            .api(|| "marking the destination project as being restored".into())?;
    }
    let written = write_all(
        &client,
        snapshot,
        &instant_text,
        options,
        progress.clone(),
        &timer,
        &mut outcome,
    )
    .await;
    if let Err(e) = written {
        return Err(MigrateError::PartlyRestored {
            project: format!(
                "{} ({})",
                outcome.destination_project_id, outcome.destination_project_name
            ),
            stack: outcome.destination_stack.id.clone(),
            source: Box::new(e),
        });
    }
    client
        .write_project_metadata(&marks(&[(MARK_COMPLETED, &snapshot.id)]))
        .await
        .api(|| "marking the destination project as restored".into())?;
    for w in &outcome.warnings {
        progress.event(crate::progress::Event::Warning {
            phase: Phase::Restore,
            message: w.clone(),
        });
    }
    timer.finish();
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}

/// Reads every chunk through, as `snapshot verify` does, before the first write: a chunk that
/// lies about its rows or size, or holds a record over the limit, then stops the restore while
/// the destination is still as it was.
async fn read_through(
    snapshot: &Snapshot,
    options: &RestoreOptions,
    progress: Arc<dyn Progress>,
) -> Result<()> {
    let root = snapshot.root.clone();
    let tables = snapshot.tables.clone();
    let max_record_bytes = options.max_record_bytes;
    let checked = tokio::task::spawn_blocking(move || {
        crate::snapshot::verify_tables(&root, &tables, max_record_bytes, progress)
    })
    .await
    .map_err(|e| MigrateError::Refused(format!("reading the snapshot through failed: {e}")))?;
    checked.map(|_| ()).map_err(|e| match e {
        MigrateError::Snapshot { file, problem } => MigrateError::Snapshot {
            file,
            problem: format!(
                "{problem}; the restore did not start, nothing was written to the destination"
            ),
        },
        other => other,
    })
}

/// Every write, in the seed's order.
async fn write_all(
    client: &stackport_client::Client,
    snapshot: &Snapshot,
    instant_text: &str,
    options: &RestoreOptions,
    progress: Arc<dyn Progress>,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    metadata::restore_project_metadata(client, &snapshot.project.metadata).await?;
    storage::restore_buckets(client, snapshot, timer, outcome).await?;
    // One listing serves tables and aliases: what this run creates is not "existing".
    let existing = storage::existing_tables(client).await?;
    storage::restore_tables(client, snapshot, &existing, timer, outcome).await?;
    let data_started = Instant::now();
    storage::restore_data(
        client,
        snapshot,
        instant_text,
        options,
        progress.clone(),
        outcome,
    )
    .await?;
    outcome.data_seconds = data_started.elapsed().as_secs_f64();
    storage::restore_aliases(client, snapshot, &existing, timer, outcome).await?;
    configs::restore_configurations(client, snapshot, instant_text, timer, outcome).await?;
    orchestrations::restore_provisioned(client, snapshot, timer, outcome, true).await?;
    orchestrations::restore_orchestrations(client, snapshot, timer, outcome, true).await?;
    triggers::restore_triggers(client, snapshot, timer, outcome, true).await?;
    configs::secrets_filled_by_destination(client, snapshot, outcome).await?;
    storage::check_row_counts(client, snapshot).await?;
    Ok(())
}

/// Refuses, before any write, what would make the restore fail half-way.
fn precheck(
    snapshot: &Snapshot,
    dest: &crate::plan::Destination,
    own: bool,
    allow_backend_change: bool,
) -> Result<()> {
    let mut problems = Vec::new();
    if !dest.verified.token.is_master_token {
        problems.push("the destination token is not a master token".to_string());
    }
    // What is there may be this very snapshot's, from an interrupted run.
    let existing = if own {
        0
    } else {
        dest.buckets.len()
            + dest.configurations.len()
            + dest.orchestrations.len()
            + dest.provisioned.len()
    };
    if existing > 0 {
        let mut what: Vec<String> = dest.buckets.iter().take(5).cloned().collect();
        what.extend(dest.configurations.iter().take(5).cloned());
        what.extend(dest.orchestrations.iter().take(5).cloned());
        what.extend(dest.provisioned.iter().take(5).cloned());
        problems.push(format!(
            "the destination project is not empty ({existing} objects, e.g. {}); restore into a new, empty project",
            what.join(", ")
        ));
    }
    let source_backend = &snapshot.project.project.backend;
    if source_backend != &dest.verified.owner.backend && !allow_backend_change {
        problems.push(format!(
            "the snapshot's project uses the {source_backend} backend, the destination project the {} backend; restore into a project of the {source_backend} backend, or pass --allow-backend-change to restore the rows into this one anyway (SQL transformations of the {source_backend} dialect are then restored disabled)",
            dest.verified.owner.backend
        ));
    }
    for config in &snapshot.configurations {
        let component = &config.component_id;
        if !own
            && dest
                .trashed
                .contains(&(component.to_string(), config.configuration.id.to_string()))
        {
            problems.push(format!(
                "configuration {component}/{} is in the destination's trash and keeps its id taken; purge it first",
                config.configuration.id
            ));
        }
        match dest.index.components.iter().find(|c| &c.id == component) {
            None => problems.push(format!(
                "component {component} (configuration {}) does not exist on stack {}",
                config.configuration.id, dest.verified.stack.id
            )),
            Some(c) if c.is_deprecated() => problems.push(format!(
                "component {component} (configuration {}) is deprecated on stack {}{}",
                config.configuration.id,
                dest.verified.stack.id,
                c.replaced_by
                    .as_ref()
                    .map(|r| format!("; migrate it to {r} first"))
                    .unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Refused(format!(
            "the restore did not start, nothing was written:\n  - {}",
            problems.join("\n  - ")
        )))
    }
}
