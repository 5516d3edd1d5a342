//! `migrate run`: plan, snapshot, restore and report as one command.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::error::Result;
use crate::plan::{plan, Plan};
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
    /// How it is restored.
    pub restore: RestoreOptions,
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
    let timer = PhaseTimer::start(progress.as_ref(), Phase::Plan, 0, 0, 0);
    let plan = plan(source, destination).await?;
    timer.finish();
    if plan.is_blocked() {
        return Ok(RunOutcome {
            plan,
            report: None,
            files: None,
        });
    }
    let snapshot_dir = options.work_dir.join("snapshot");
    let made = snapshot::create(source, &snapshot_dir, &options.snapshot, progress.clone()).await?;
    let opened = snapshot::open(&snapshot_dir)?;
    let outcome = restore(&opened, destination, &options.restore, progress.clone()).await?;
    let timer = PhaseTimer::start(progress.as_ref(), Phase::Verify, 0, 0, 0);
    let map = outcome
        .orchestrations
        .iter()
        .map(|m| (m.old_id, m.new_id))
        .collect();
    let verification = verify_with(source, destination, Some(&map)).await?;
    timer.finish();
    let timer = PhaseTimer::start(progress.as_ref(), Phase::Report, 0, 0, 1);
    let mut report = Report::build(
        &opened,
        &outcome,
        made.seconds,
        started.elapsed().as_secs_f64(),
    );
    report.verification = Some(verification);
    let files = report.write(&options.work_dir)?;
    timer.finish();
    Ok(RunOutcome {
        plan,
        report: Some(report),
        files: Some(files),
    })
}
