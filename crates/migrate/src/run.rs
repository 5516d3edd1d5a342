//! `migrate run`: plan, snapshot, restore and report as one command.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::error::{MigrateError, Result};
use crate::journal::Journal;
use crate::plan::{plan_resuming, Plan, PlanOptions};
use crate::progress::{Phase, PhaseTimer, Progress};
use crate::report::{Report, ReportFiles};
use crate::restore::{restore, RestoreOptions};
use crate::snapshot::{self, SnapshotOptions};
use crate::verify::verify_with;
use crate::Endpoint;

/// How to run a migration.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Holds the snapshot (`snapshot/`) and the report.
    pub work_dir: PathBuf,
    /// How the snapshot is written.
    pub snapshot: SnapshotOptions,
    /// How it is restored. `skip_verify` is decided here: a snapshot this run writes is not
    /// read through again, one reused from an earlier run is. `allow_backend_change` also
    /// applies to the plan: `backend.mismatch` then does not block.
    pub restore: RestoreOptions,
    /// After the comparison, run every SQL transformation as a dry run in both projects and
    /// compare their outputs.
    pub run_transformations: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The validation; when it blocks, nothing else ran.
    pub plan: Plan,
    /// The report, when the migration ran.
    pub report: Option<Report>,
    /// Where the report was written.
    pub files: Option<ReportFiles>,
}

/// Validates, and when nothing blocks, migrates the project of `source` into that of
/// `destination`.
pub async fn run(
    source: &Endpoint,
    destination: &Endpoint,
    options: &RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<RunOutcome> {
    let started = Instant::now();
    std::fs::create_dir_all(&options.work_dir)
        .map_err(|e| MigrateError::io(&options.work_dir, "creating the work dir", e))?;
    let journal = Journal::new(&options.work_dir);
    // A complete snapshot from an earlier run of this command is used again: the restore it
    // started is then finished rather than begun anew. An incomplete one is taken again.
    let snapshot_dir = options.work_dir.join("snapshot");
    let earlier = if snapshot_dir
        .join(snapshot::format::paths::MANIFEST)
        .exists()
    {
        Some(snapshot::open(&snapshot_dir)?)
    } else {
        if snapshot_dir.exists() {
            std::fs::remove_dir_all(&snapshot_dir).map_err(|e| {
                MigrateError::io(&snapshot_dir, "clearing an incomplete snapshot", e)
            })?;
            journal.record(serde_json::json!({"event": "incompleteSnapshotRemoved"}))?;
        }
        None
    };
    let timer = PhaseTimer::start(progress.as_ref(), Phase::Plan, 0, 0, 0);
    let plan_options = PlanOptions {
        allow_backend_change: options.restore.allow_backend_change,
    };
    let plan = plan_resuming(
        source,
        destination,
        earlier.as_ref().map(|s| s.id.as_str()),
        &plan_options,
    )
    .await?;
    timer.finish();
    if plan.is_blocked() {
        return Ok(RunOutcome {
            plan,
            report: None,
            files: None,
        });
    }
    // A snapshot this process has just written holds what its writer counted into it; one left
    // by an earlier process is files anyone could have changed since, so the restore reads it
    // through before its first write.
    let mut restore_options = options.restore.clone();
    restore_options.skip_verify = earlier.is_none();
    let (opened, snapshot_seconds, reread) = match earlier {
        Some(s) => {
            journal.record(serde_json::json!({"event": "snapshotReused", "snapshot": s.id}))?;
            (s, 0.0, Vec::new())
        }
        None => {
            let made = snapshot::create(source, &snapshot_dir, &options.snapshot, progress.clone())
                .await?;
            let opened = snapshot::open(&snapshot_dir)?;
            journal.record(serde_json::json!({"event": "snapshotComplete", "snapshot": opened.id, "seconds": made.seconds}))?;
            (opened, made.seconds, made.reread)
        }
    };
    let allowed: Vec<_> = plan
        .findings
        .iter()
        .filter(|f| f.code.starts_with("backend."))
        .map(|f| serde_json::json!({"code": f.code, "object": f.object}))
        .collect();
    if !allowed.is_empty() {
        // Before the first write, so an interrupted run's journal says what it was allowed.
        journal
            .record(serde_json::json!({"event": "backendChangeAllowed", "findings": allowed}))?;
    }
    journal.record(serde_json::json!({"event": "restoreStarted", "snapshot": opened.id, "destination": destination.url}))?;
    let outcome = restore(&opened, destination, &restore_options, progress.clone()).await?;
    if let Some(change) = &outcome.backend_change {
        // What the person allowed, and what it did, next to the phases it happened between.
        journal.record(serde_json::json!({
            "event": "backendChanged",
            "snapshot": opened.id,
            "from": change.from,
            "to": change.to,
            "restoredDisabled": change.rewrite.iter().map(|t| t.object()).collect::<Vec<_>>(),
            "typedColumns": change.typed_columns.iter().map(|c| c.object()).collect::<Vec<_>>(),
        }))?;
    }
    journal.record(serde_json::json!({
        "event": "restoreComplete",
        "snapshot": opened.id,
        "resumed": outcome.resumed,
        "alreadyRestored": outcome.already_restored,
    }))?;
    let timer = PhaseTimer::start(progress.as_ref(), Phase::Verify, 0, 0, 0);
    let map = outcome
        .orchestrations
        .iter()
        .map(|m| (m.old_id, m.new_id))
        .collect();
    let mut verification = verify_with(source, destination, Some(&map)).await?;
    if options.run_transformations {
        crate::verify::verify_transformations(source, destination, &mut verification).await?;
    }
    timer.finish();
    let timer = PhaseTimer::start(progress.as_ref(), Phase::Report, 0, 0, 1);
    let mut report = Report::build(
        &opened,
        &outcome,
        snapshot_seconds,
        started.elapsed().as_secs_f64(),
    );
    report.verification = Some(verification);
    report.warnings.extend(reread);
    let files = report.write(&options.work_dir)?;
    timer.finish();
    Ok(RunOutcome {
        plan,
        report: Some(report),
        files: Some(files),
    })
}
