//! `migrate plan|run` and `snapshot create|inspect|restore`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use stackport_migrate::snapshot::{self, format::Codec, SnapshotOptions};
use stackport_migrate::{
    Endpoint, Plan, PlanOptions, Progress, Report, RestoreOptions, RunOptions, Severity,
};

use crate::progress_view::{Bars, JsonLines};

/// Exit code when a migration is refused by a blocking finding, or when verification finds a
/// difference.
const BLOCKED: u8 = 1;

#[derive(Args, Clone)]
pub struct SourceArgs {
    /// The source stack's URL.
    #[arg(id = "source", long = "source")]
    pub url: String,
    /// A master Storage API token of the source project (only read with).
    #[arg(
        id = "source_token",
        long = "source-token",
        env = "STACKPORT_SOURCE_TOKEN",
        hide_env_values = true
    )]
    pub token: String,
}

#[derive(Args, Clone)]
pub struct DestArgs {
    /// The destination stack's URL.
    #[arg(id = "dest", long = "dest")]
    pub url: String,
    /// A master Storage API token of the new, empty destination project.
    #[arg(
        id = "dest_token",
        long = "dest-token",
        env = "STACKPORT_DEST_TOKEN",
        hide_env_values = true
    )]
    pub token: String,
}

#[derive(Subcommand)]
pub enum MigrateCommand {
    /// Pre-migration validation: findings, inventory, estimate. Writes nothing anywhere.
    Plan(PlanArgs),
    /// Plan, snapshot, restore, verify and report in one go. A snapshot left in the work dir
    /// by an earlier run is read through before the restore goes on.
    Run(RunCommandArgs),
    /// Compare the source and destination projects; exit 1 on any difference.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    dest: DestArgs,
    /// The migration's work dir: its report.json maps old orchestration ids to new ones
    /// (without it orchestrations are matched by name).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Also run each SQL transformation as a dry run in both projects (nothing is written to
    /// Storage; each run adds a job to the projects' history) and compare their outputs.
    #[arg(long)]
    run_transformations: bool,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    dest: DestArgs,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
    /// Migrate into a project of another table backend (SQLite into PostgreSQL, or back): the
    /// rows move as they are; SQL transformations of the source's dialect are restored disabled
    /// and listed to rewrite, typed columns PostgreSQL may store differently are listed.
    #[arg(long)]
    allow_backend_change: bool,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub dest: DestArgs,
    /// Where the snapshot and the report go. Run the same command again after an interruption:
    /// it finishes the job from there.
    #[arg(long, default_value = "stackport-migration")]
    pub work: PathBuf,
    /// Most uncompressed KiB of rows per snapshot chunk.
    #[arg(long, default_value_t = 64 * 1024)]
    pub chunk_kib: u64,
    /// JSON-lines events on stdout instead of bars.
    #[arg(long)]
    pub json: bool,
    /// After the restore, run each SQL transformation as a dry run in both projects (nothing
    /// is written to Storage) and compare their outputs.
    #[arg(long)]
    pub run_transformations: bool,
}

/// `migrate run`'s arguments: [`RunArgs`] (which the demo builds too), the record limit and
/// what the person allows.
#[derive(Args)]
pub struct RunCommandArgs {
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    record: RecordLimitArgs,
    /// Migrate into a project of another table backend (SQLite into PostgreSQL, or back): the
    /// rows move as they are; SQL transformations of the source's dialect are restored disabled
    /// and listed to rewrite, typed columns PostgreSQL may store differently are listed.
    #[arg(long)]
    allow_backend_change: bool,
}

/// The record limit of the chunk checks.
#[derive(Args, Clone)]
pub struct RecordLimitArgs {
    /// Most MiB one record (row) of a chunk may hold; a longer one is refused. The default is
    /// the stack's default limits.maxRecordBytes: raise both together.
    #[arg(long, default_value_t = snapshot::MAX_RECORD_BYTES / (1024 * 1024))]
    pub max_record_mib: u64,
}

impl RecordLimitArgs {
    fn bytes(&self) -> u64 {
        self.max_record_mib.max(1).saturating_mul(1024 * 1024)
    }
}

#[derive(Subcommand)]
pub enum SnapshotCommand {
    /// Read the source project into a new snapshot directory.
    Create(CreateArgs),
    /// Print what a snapshot holds (after checking it).
    Inspect(InspectArgs),
    /// Check every file against the manifest and read every chunk through.
    Verify(VerifySnapshotArgs),
    /// Restore a snapshot into an empty destination project.
    Restore(RestoreArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// The snapshot directory (new or empty).
    #[arg(long)]
    out: PathBuf,
    /// Chunk compression: zstd or gzip.
    #[arg(long, default_value = "zstd")]
    codec: Codec,
    /// Most uncompressed MiB of rows per chunk.
    #[arg(long, default_value_t = 64)]
    chunk_mib: u64,
    /// JSON-lines events on stdout instead of bars.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct InspectArgs {
    /// The snapshot directory.
    dir: PathBuf,
    /// Print the manifest as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VerifySnapshotArgs {
    /// The snapshot directory.
    dir: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    record: RecordLimitArgs,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The snapshot directory.
    dir: PathBuf,
    #[command(flatten)]
    dest: DestArgs,
    /// Do not read every chunk through before the first write (as `snapshot verify` does).
    /// Chunks are still checked as they load and the destination refuses one whose rows do not
    /// match, but a chunk found wrong then stops the restore part-way, leaving a partly filled
    /// project. Only for a snapshot you have just verified.
    #[arg(long)]
    skip_verify: bool,
    #[command(flatten)]
    record: RecordLimitArgs,
    /// Where report.md and report.json go; the snapshot's parent dir when left out.
    #[arg(long)]
    work: Option<PathBuf>,
    /// Migrate into a project of another table backend (SQLite into PostgreSQL, or back): the
    /// rows move as they are; SQL transformations of the source's dialect are restored disabled
    /// and listed to rewrite, typed columns PostgreSQL may store differently are listed.
    #[arg(long)]
    allow_backend_change: bool,

    /// JSON-lines events on stdout instead of bars.
    #[arg(long)]
    json: bool,
}

fn endpoint(url: &str, token: &str) -> Endpoint {
    Endpoint::new(url, token)
}

fn progress(json: bool) -> Arc<dyn Progress> {
    if json {
        Arc::new(JsonLines)
    } else {
        Arc::new(Bars::new())
    }
}

pub async fn migrate(command: MigrateCommand) -> Result<ExitCode> {
    match command {
        MigrateCommand::Plan(args) => {
            let plan = stackport_migrate::plan_with(
                &endpoint(&args.source.url, &args.source.token),
                &endpoint(&args.dest.url, &args.dest.token),
                &PlanOptions {
                    allow_backend_change: args.allow_backend_change,
                },
            )
            .await
            .context("the validation could not run")?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else {
                print!("{}", plan_text(&plan));
            }
            Ok(if plan.is_blocked() {
                ExitCode::from(BLOCKED)
            } else {
                ExitCode::SUCCESS
            })
        }
        MigrateCommand::Run(args) => {
            run_with(args.run, args.record.bytes(), args.allow_backend_change).await
        }
        MigrateCommand::Verify(args) => {
            let source = endpoint(&args.source.url, &args.source.token);
            let dest = endpoint(&args.dest.url, &args.dest.token);
            let mut v = stackport_migrate::verify(&source, &dest, args.work.as_deref())
                .await
                .context("the verification could not run")?;
            if args.run_transformations {
                stackport_migrate::verify_transformations(&source, &dest, &mut v)
                    .await
                    .context("the transformations could not be compared")?;
            }
            if args.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if v.matches() {
                println!(
                    "The projects match: {} tables ({} rows, by fingerprint), {} configurations, {} orchestrations ({:.1} s).",
                    v.tables, v.rows, v.configurations, v.orchestrations, v.seconds
                );
                if args.run_transformations {
                    println!(
                        "{} SQL transformation(s) ran as dry runs in both projects and produced the same outputs.",
                        v.transformations
                    );
                }
                for c in &v.disabled_for_rewrite {
                    println!("  {c}: disabled on the destination on purpose (a backend change; rewrite it)");
                }
            } else {
                println!("{} difference(s):", v.differences.len());
                for d in &v.differences {
                    println!(
                        "  {}  {}\n      source:      {}\n      destination: {}",
                        d.object, d.field, d.source, d.destination
                    );
                }
            }
            Ok(if v.matches() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(BLOCKED)
            })
        }
    }
}

pub async fn run(args: RunArgs) -> Result<ExitCode> {
    run_with(args, snapshot::MAX_RECORD_BYTES, false).await
}

async fn run_with(
    args: RunArgs,
    max_record_bytes: u64,
    allow_backend_change: bool,
) -> Result<ExitCode> {
    let options = RunOptions {
        work_dir: args.work.clone(),
        snapshot: SnapshotOptions {
            chunk_bytes: args.chunk_kib.max(1) * 1024,
            ..Default::default()
        },
        restore: RestoreOptions {
            max_record_bytes,
            allow_backend_change,
            ..Default::default()
        },
        run_transformations: args.run_transformations,
    };
    let outcome = match stackport_migrate::run(
        &endpoint(&args.source.url, &args.source.token),
        &endpoint(&args.dest.url, &args.dest.token),
        &options,
        progress(args.json),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(e) => {
            let e = anyhow::Error::new(e)
                .context("the migration failed; the source project was not changed");
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"event": "failed", "error": format!("{e:#}")})
                );
            }
            return Err(e);
        }
    };
    let Some(report) = outcome.report else {
        if args.json {
            println!(
                "{}",
                serde_json::json!({"event": "refused", "plan": outcome.plan})
            );
        } else {
            eprint!("{}", plan_text(&outcome.plan));
            eprintln!("\nThe migration did not start: resolve the blocking findings above and run it again.");
        }
        return Ok(ExitCode::from(BLOCKED));
    };
    let files = outcome.files.expect("a report was written");
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "event": "finished",
                "report": report,
                "reportFile": files.json,
                "httpRequests": stackport_client::requests_sent(),
            })
        );
    } else {
        print_report(&report, &files.markdown);
    }
    // A migration whose verification found a difference is not done.
    let verified = report.verification.as_ref().is_none_or(|v| v.matches());
    Ok(if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(BLOCKED)
    })
}

pub fn print_report(report: &Report, markdown: &Path) {
    println!();
    print!("{}", report.summary());
    println!(
        "\nWhat to do now ({} items; also in {}):",
        report.checklist.len(),
        markdown.display()
    );
    print!("{}", report.checklist_text());
}

pub async fn snapshot(command: SnapshotCommand) -> Result<ExitCode> {
    match command {
        SnapshotCommand::Create(args) => {
            let options = SnapshotOptions {
                codec: args.codec,
                chunk_bytes: args.chunk_mib.max(1) * 1024 * 1024,
                ..Default::default()
            };
            let made = snapshot::create(
                &endpoint(&args.source.url, &args.source.token),
                &args.out,
                &options,
                progress(args.json),
            )
            .await
            .with_context(|| format!("cannot create the snapshot in {}", args.out.display()))?;
            let inv = &made.manifest.inventory;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"event": "snapshotCreated", "dir": args.out, "inventory": inv, "seconds": made.seconds})
                );
            } else {
                println!(
                    "snapshot of project {} ({}) on {} written to {} in {:.1} s: {} tables, {} rows, {:.1} MiB of CSV in {:.1} MiB, {} configurations, {} secrets removed",
                    made.manifest.source.project_id,
                    made.manifest.source.project_name,
                    made.manifest.source.stack_id,
                    args.out.display(),
                    made.seconds,
                    inv.tables,
                    inv.rows,
                    inv.data_bytes as f64 / 1048576.0,
                    inv.stored_bytes as f64 / 1048576.0,
                    inv.configurations,
                    inv.secrets_removed
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Inspect(args) => {
            let snap = snapshot::open(&args.dir)
                .with_context(|| format!("{} is not a usable snapshot", args.dir.display()))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&snap.manifest)?);
            } else {
                print!("{}", inspect_text(&snap));
            }
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Verify(args) => {
            let snap = snapshot::open(&args.dir)
                .with_context(|| format!("{} is not a usable snapshot", args.dir.display()))?;
            let shown: Arc<dyn Progress> = if args.json {
                Arc::new(stackport_migrate::NoProgress)
            } else {
                Arc::new(Bars::new())
            };
            let check = snapshot::verify_data_with(&snap, args.record.bytes(), shown)
                .with_context(|| format!("{} is damaged", args.dir.display()))?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": true, "files": snap.manifest.files.len(), "data": check})
                );
            } else {
                println!(
                    "{}: all {} files match the manifest; {} tables in {} chunks read through: {} rows, {:.1} MiB, every hash matches",
                    args.dir.display(),
                    snap.manifest.files.len(),
                    check.tables,
                    check.chunks,
                    check.rows,
                    check.bytes as f64 / 1048576.0
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Restore(args) => {
            let started = std::time::Instant::now();
            let snap = snapshot::open(&args.dir)
                .with_context(|| format!("{} is not a usable snapshot", args.dir.display()))?;
            let outcome = stackport_migrate::restore(
                &snap,
                &endpoint(&args.dest.url, &args.dest.token),
                &RestoreOptions {
                    skip_verify: args.skip_verify,
                    max_record_bytes: args.record.bytes(),
                    allow_backend_change: args.allow_backend_change,
                    ..Default::default()
                },
                progress(args.json),
            )
            .await
            .context("the restore failed")?;
            let work = args
                .work
                .clone()
                .unwrap_or_else(|| args.dir.parent().map(Path::to_path_buf).unwrap_or_default());
            let report = Report::build(&snap, &outcome, 0.0, started.elapsed().as_secs_f64());
            let files = report.write(&work)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"event": "finished", "report": report, "reportFile": files.json})
                );
            } else {
                print_report(&report, &files.markdown);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn plan_text(plan: &Plan) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Migration plan: project {} on {} → project {} on {}\n",
        plan.source_project,
        plan.source_stack.id,
        plan.destination_project,
        plan.destination_stack.id
    );
    if plan.findings.is_empty() {
        let _ = writeln!(s, "No findings.");
    }
    for f in &plan.findings {
        let tag = match f.severity {
            Severity::Blocking => "BLOCKING",
            Severity::Warning => "warning ",
            Severity::Info => "info    ",
        };
        let _ = writeln!(
            s,
            "{tag} {:<28} {}\n         {}\n         → {}",
            f.code, f.object, f.message, f.action
        );
    }
    let i = &plan.inventory;
    let _ = writeln!(s, "\nInventory:");
    let _ = writeln!(
        s,
        "  {} buckets, {} tables, {} aliases, {} rows, {:.1} MiB",
        i.buckets,
        i.tables,
        i.aliases,
        i.rows,
        i.bytes as f64 / 1048576.0
    );
    let configs: u64 = i.configurations.values().sum();
    let _ = writeln!(
        s,
        "  {configs} configurations ({} rows):",
        i.configuration_rows
    );
    for (component, n) in &i.configurations {
        let _ = writeln!(s, "    {n:>4}  {component}");
    }
    let _ = writeln!(
        s,
        "  {} orchestrations, {} provisioned resources",
        i.orchestrations, i.provisioned
    );
    let _ = writeln!(s, "  will not move:");
    for (what, n) in &i.not_moved {
        let _ = writeln!(s, "    {n:>6}  {what}");
    }
    let _ = writeln!(
        s,
        "\nEstimated duration: {:.0} s ({})",
        plan.estimated_seconds.ceil(),
        plan.estimate_basis
    );
    let blocking = plan.blocking().count();
    if blocking > 0 {
        let _ = writeln!(s, "\n{blocking} blocking finding(s): the migration will not start until they are resolved.");
    } else {
        let _ = writeln!(s, "\nNothing blocks the migration.");
    }
    s
}

fn inspect_text(snap: &snapshot::Snapshot) -> String {
    use std::fmt::Write;
    let m = &snap.manifest;
    let i = &m.inventory;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Snapshot {} (format {}, {}, created {})",
        snap.root.display(),
        m.format_version,
        m.tool,
        m.created
    );
    let _ = writeln!(
        s,
        "Source: project {} ({}) on stack {} ({}), backend {}",
        m.source.project_id,
        m.source.project_name,
        m.source.stack_id,
        m.source.stack_url,
        m.source.backend
    );
    let _ = writeln!(s, "All {} files match the manifest.\n", m.files.len());
    let _ = writeln!(
        s,
        "Storage: {} buckets, {} tables, {} aliases",
        i.buckets, i.tables, i.aliases
    );
    for t in &snap.tables {
        match &t.data {
            Some(d) => {
                let _ = writeln!(
                    s,
                    "  {:<40} {:>10} rows {:>4} chunk(s) {:>10.1} MiB",
                    t.table.id.to_string(),
                    d.rows,
                    d.chunks.len(),
                    d.bytes as f64 / 1048576.0
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  {:<40} alias of {}",
                    t.table.id.to_string(),
                    t.table
                        .source_table
                        .as_ref()
                        .map(|x| x.to_string())
                        .unwrap_or_default()
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "Data: {} rows, {:.1} MiB of CSV stored in {:.1} MiB",
        i.rows,
        i.data_bytes as f64 / 1048576.0,
        i.stored_bytes as f64 / 1048576.0
    );
    let _ = writeln!(
        s,
        "\nConfigurations: {} ({} rows)",
        i.configurations, i.configuration_rows
    );
    for c in &snap.configurations {
        let _ = writeln!(
            s,
            "  {}/{}  {}",
            c.component_id, c.configuration.id, c.configuration.name
        );
    }
    let _ = writeln!(
        s,
        "Orchestrations: {}; provisioned resources: {}",
        i.orchestrations, i.provisioned
    );
    let _ = writeln!(
        s,
        "Secrets removed: {} (paths in secrets.json)",
        i.secrets_removed
    );
    let nm = &snap.not_moved;
    let _ = writeln!(
        s,
        "Not moved: {} users, {} tokens, {} files, {} events, {} jobs, {} configuration versions, {} trashed configurations",
        nm.users.len(),
        nm.tokens.len(),
        nm.files,
        nm.events,
        nm.jobs,
        nm.configuration_versions,
        nm.trashed_configurations.len()
    );
    s
}
