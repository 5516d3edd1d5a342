//! SQL transformations on a database server ([`SqlHost`], PostgreSQL): the input mapping is
//! copied on the server into a throw-away sandbox account, the blocks run in a session logged in
//! as that account (it can reach its own schema and nothing else), and the output mapping reads
//! the tables back through that session and writes them to Storage as the SQLite runner does:
//! every output spooled first, then each imported, so a failing script or a kill leaves Storage
//! as it was. The sandbox is dropped when the job ends, however it ends, and at each start
//! ([`Stack::sweep_sandboxes`]) if a crash left it.
//!
//! Every statement runs under a `statement_timeout`: the configuration's
//! `parameters.statementTimeoutSeconds` when it is below the job's time limit, else that limit
//! (`runner.timeoutSeconds` of the component, else `jobs.timeLimitSeconds`). As a script may
//! lift its own timeout (`SET statement_timeout = 0`), the time limit also cancels the running
//! statement from outside.

use std::time::Duration;

use serde_json::json;
use stackport_model::api::{JobMode, Project};
use stackport_model::TableId;

use super::cancel::Cancel;
use super::deadline::TimeLimit;
use super::log::Level;
use super::queue::JobRecord;
use super::runner::Failure;
use super::transformation::{import_output, input_stream, shorten, Document, Input, Output, Spool};
use crate::backend::{SqlHost, SqlSandbox};
use crate::csv::CsvWriter;
use crate::ops::auth::TokenAuth;
use crate::ops::fingerprint::{RowSum, FINGERPRINT_ALGORITHM};
use crate::ops::provisioning::sql_workspace::table_loads;
use crate::{secret, Stack};

/// Runs `job` (its configuration `doc`) in a sandbox on `project`'s server.
pub(super) fn run(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    project: &Project,
    doc: &Document,
) -> Result<serde_json::Value, Failure> {
    let host = stack.project_backend(project)?.sql_host().ok_or_else(|| {
        Failure::failed(format!(
            "{} runs SQL on a database server, but project {}'s backend {} has none",
            job.component, project.id, project.backend
        ))
    })?;
    let timeout = StatementTimeout::of(stack, job, doc);
    let password = secret::random_string(32);
    let mut sandbox = host.open_sandbox(
        &format!("job_{}", job.id),
        &password,
        Duration::from_secs(timeout.seconds),
    )?;
    cancel.watch_server_sql(Some(sandbox.canceller()));
    let outcome = transform(
        stack,
        auth,
        job,
        cancel,
        (host, &mut *sandbox, &password),
        doc,
        &timeout,
    );
    cancel.watch_server_sql(None);
    // The sandbox goes now, before the outputs' imports (they hold what it made).
    drop(sandbox);
    match outcome? {
        Done::Result(value) => Ok(value),
        Done::Outputs(inputs, spooled) => write_outputs(stack, auth, job, cancel, inputs, spooled),
    }
}

/// How long one statement may run, and which setting said so.
struct StatementTimeout {
    seconds: u64,
    from: String,
}

impl StatementTimeout {
    /// `parameters.statementTimeoutSeconds` of the configuration when it is below the job's
    /// time limit, else the time limit.
    fn of(stack: &Stack, job: &JobRecord, doc: &Document) -> StatementTimeout {
        let limit = TimeLimit::of(stack, job).seconds.max(1);
        match doc.parameters.statement_timeout_seconds {
            Some(asked) if asked < limit => StatementTimeout {
                seconds: asked.max(1),
                from: "parameters.statementTimeoutSeconds of the configuration".into(),
            },
            _ => StatementTimeout {
                seconds: limit,
                from: format!(
                    "the job's time limit: runner.timeoutSeconds of {} in the component \
                     registry, else jobs.timeLimitSeconds in stack.json",
                    job.component
                ),
            },
        }
    }
}

/// Outputs read out of the sandbox, waiting for their import.
type Spooled<'d> = Vec<(&'d Output, TableId, Vec<String>, Spool)>;

enum Done<'d> {
    /// The job's result as it is (a dry run's).
    Result(serde_json::Value),
    /// The inputs' log and the outputs to import.
    Outputs(Vec<serde_json::Value>, Spooled<'d>),
}

fn transform<'d>(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    (host, sandbox, password): (&dyn SqlHost, &mut dyn SqlSandbox, &str),
    doc: &'d Document,
    timeout: &StatementTimeout,
) -> Result<Done<'d>, Failure> {
    let inputs = load_inputs(stack, auth, job, host, sandbox, password, doc)?;
    for block in &doc.parameters.blocks {
        for code in &block.codes {
            for (i, statement) in code.script.iter().enumerate() {
                cancel.check()?;
                if let Err(e) = sandbox.execute(statement) {
                    cancel.check()?;
                    let why = if e.cancelled {
                        format!(
                            "it ran past the statement timeout of {} s and was cancelled ({})",
                            timeout.seconds, timeout.from
                        )
                    } else {
                        e.message.clone()
                    };
                    return Err(Failure::Failed {
                        message: format!(
                            "block '{}', code '{}', statement {}: {why}. The statement: {}",
                            block.name,
                            code.name,
                            i + 1,
                            shorten(statement)
                        ),
                        details: json!({"error": {
                            "block": block.name,
                            "code": code.name,
                            "statement": statement,
                            "error": e.message,
                        }}),
                    });
                }
            }
            stack.job_log(
                job,
                Level::Info,
                "job.codeDone",
                format!(
                    "Ran code '{}' of block '{}' ({} statement(s))",
                    code.name,
                    block.name,
                    code.script.len()
                ),
                json!({"block": block.name, "code": code.name}),
            );
        }
    }
    // Every output must exist before any is written.
    let mut planned = Vec::new();
    for output in &doc.storage.output.tables {
        let columns = sandbox.columns_of(&output.source)?.ok_or_else(|| {
            Failure::failed(format!(
                "output mapping: the scripts made no table '{}' to write to {}",
                output.source, output.destination
            ))
        })?;
        let destination: TableId = output
            .destination
            .parse()
            .map_err(|e| Failure::failed(format!("output mapping of '{}': {e}", output.source)))?;
        planned.push((output, destination, columns));
    }
    if job.mode == JobMode::DryRun {
        let mut outputs = Vec::new();
        for (output, destination, columns) in planned {
            cancel.check()?;
            let mut sum = RowSum::default();
            let rows = sandbox.read_table(&output.source, &columns, &mut |values| {
                let bytes: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
                sum.add_row(&bytes);
                Ok(())
            })?;
            outputs.push(json!({
                "source": output.source,
                "destination": destination,
                "rows": rows,
                "fingerprint": {
                    "rowsCount": rows,
                    "columns": columns,
                    "hash": sum.hex(),
                    "algorithm": FINGERPRINT_ALGORITHM,
                },
            }));
        }
        return Ok(Done::Result(json!({
            "dryRun": true,
            "input": {"tables": inputs},
            "output": {"tables": outputs},
        })));
    }
    let mut spooled = Vec::new();
    std::fs::create_dir_all(stack.dir.join(super::JOBS_DIR)).map_err(crate::Error::from)?;
    for (n, (output, destination, columns)) in planned.into_iter().enumerate() {
        cancel.check()?;
        let spool = Spool(
            stack
                .dir
                .join(super::JOBS_DIR)
                .join(format!("{}-output-{n}.csv", job.id)),
        );
        spool_output(sandbox, output, &columns, &spool.0)?;
        spooled.push((output, destination, columns, spool));
    }
    Ok(Done::Outputs(inputs, spooled))
}

/// Copies the input mapping into the sandbox on the server, in one transaction.
fn load_inputs(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    host: &dyn SqlHost,
    sandbox: &mut dyn SqlSandbox,
    password: &str,
    doc: &Document,
) -> Result<Vec<serde_json::Value>, Failure> {
    let mut streams = Vec::new();
    for input in &doc.storage.input.tables {
        let input = if job.mode == JobMode::DryRun {
            // The same input in two projects whose rows carry different times.
            Input {
                changed_since: None,
                ..input.clone()
            }
        } else {
            input.clone()
        };
        let (source, stream) = input_stream(stack, auth, &input)?;
        let destination = input
            .destination
            .clone()
            .unwrap_or_else(|| source.name().to_string());
        streams.push((source, stream, destination));
    }
    let project = stack.get_project(job.project)?;
    let loads = table_loads(
        host,
        &project,
        streams.iter().map(|(source, stream, destination)| {
            (stream, destination.as_str(), false, source.to_string())
        }),
    )
    .map_err(|e| Failure::failed(format!("input mapping: {e}")))?;
    let counts = host
        .load_tables(
            sandbox.account(),
            password,
            false,
            &loads,
            stack.settings.quotas.workspace_bytes,
        )
        .map_err(|e| Failure::failed(format!("input mapping: {e}")))?;
    let mut inputs = Vec::new();
    for ((source, _, destination), rows) in streams.iter().zip(counts) {
        stack.job_log(
            job,
            Level::Info,
            "job.inputLoaded",
            format!("Loaded {rows} row(s) of {source} into '{destination}'"),
            json!({"source": source, "destination": destination, "rows": rows}),
        );
        inputs.push(json!({"source": source, "destination": destination, "rows": rows}));
    }
    Ok(inputs)
}

/// Writes one sandbox table to `path` as CSV with a header row.
fn spool_output(
    sandbox: &mut dyn SqlSandbox,
    output: &Output,
    columns: &[String],
    path: &std::path::Path,
) -> Result<u64, Failure> {
    let file = std::fs::File::create(path).map_err(crate::Error::from)?;
    let mut csv = CsvWriter::new(std::io::BufWriter::new(file));
    csv.write_record(columns.iter().map(|c| c.as_bytes()))
        .map_err(crate::Error::from)?;
    let rows = sandbox.read_table(&output.source, columns, &mut |values| {
        csv.write_record(values.iter().map(|v| v.as_bytes()))?;
        Ok(())
    })?;
    let mut inner = csv.finish().map_err(crate::Error::from)?;
    std::io::Write::flush(&mut inner).map_err(crate::Error::from)?;
    Ok(rows)
}

/// Imports the spooled outputs into Storage, each in one import.
fn write_outputs(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    inputs: Vec<serde_json::Value>,
    spooled: Spooled<'_>,
) -> Result<serde_json::Value, Failure> {
    let mut outputs = Vec::new();
    for (output, destination, columns, spool) in spooled {
        cancel.check()?;
        let rows = import_output(stack, auth, output, &destination, &columns, &spool.0)?;
        stack.job_log(
            job,
            Level::Info,
            "job.outputWritten",
            format!(
                "Wrote {rows} row(s) of '{}' to {destination}{}",
                output.source,
                if output.incremental {
                    " (incremental)"
                } else {
                    ""
                }
            ),
            json!({"source": output.source, "destination": destination, "rows": rows}),
        );
        outputs.push(json!({
            "source": output.source,
            "destination": destination,
            "rows": rows,
            "incremental": output.incremental,
        }));
    }
    Ok(json!({"input": {"tables": inputs}, "output": {"tables": outputs}}))
}

impl Stack {
    /// Drops the transformation sandboxes a crash left on the servers of the stack's projects;
    /// one whose session is still open (a job of another process) is left alone. A server that
    /// cannot be reached is logged and swept at the next start.
    pub(crate) fn sweep_sandboxes(&self) -> crate::Result<usize> {
        let projects = self.store.read(|tx| tx.projects().list_projects())?;
        let mut servers: Vec<(String, Option<String>)> = projects
            .into_iter()
            .map(|p| (p.backend, p.placement))
            .collect();
        servers.sort();
        servers.dedup();
        let mut swept = 0;
        for (name, placement) in servers {
            let Some(host) = self
                .backend(&name, placement.as_deref())
                .ok()
                .and_then(|b| b.sql_host())
            else {
                continue;
            };
            match host.sweep_sandboxes() {
                Ok(n) => swept += n,
                Err(e) => tracing::warn!(
                    backend = %name,
                    server = ?placement,
                    error = %e,
                    "sweeping leftover transformation sandboxes failed"
                ),
            }
        }
        if swept > 0 {
            tracing::warn!(
                sandboxes = swept,
                "dropped transformation sandboxes a crash left"
            );
        }
        Ok(swept)
    }
}
