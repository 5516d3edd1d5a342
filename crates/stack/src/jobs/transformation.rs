//! SQL transformations: the input mapping copies Storage tables into a fresh workspace, the
//! blocks' scripts run there in order, and the output mapping writes the tables they made back
//! to Storage. Outputs are read out of the workspace only after every statement succeeded, and
//! written only after all of them were read, each as one import, so a failing script or a kill
//! leaves Storage as it was.
//!
//! This file runs them in SQLite and holds what both runners share; a transformation whose
//! registry entry names a server backend (`runner.backend: postgresql`) runs in a sandbox on
//! the project's server (`server_transformation`). Each refuses a project on the other backend.

use serde::Deserialize;
use serde_json::json;
use stackport_model::api::{ColumnFilter, FilterOperator, JobMode, NewBucket, NewColumn, NewTable};
use stackport_model::{ColumnName, TableId};

use super::cancel::Cancel;
use super::log::Level;
use super::queue::JobRecord;
use super::runner::Failure;
use super::workspace::Workspace;
use crate::csv::CsvWriter;
use crate::error::ErrorKind;
use crate::ops::auth::TokenAuth;
use crate::ops::configs::load_live_config;
use crate::ops::fingerprint::{RowSum, FINGERPRINT_ALGORITHM};
use crate::{ExportOptions, ImportOptions, Stack};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Document {
    pub storage: Storage,
    pub parameters: Parameters,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Storage {
    pub input: Inputs,
    pub output: Outputs,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Inputs {
    pub tables: Vec<Input>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Outputs {
    pub tables: Vec<Output>,
}

/// One table of the input mapping, in the reference platform's snake_case.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Input {
    pub source: String,
    #[serde(default)]
    pub destination: Option<String>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub changed_since: Option<String>,
    #[serde(default)]
    pub where_column: Option<String>,
    #[serde(default)]
    pub where_values: Vec<String>,
    #[serde(default)]
    pub where_operator: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
}

/// One table of the output mapping.
#[derive(Debug, Deserialize)]
pub(crate) struct Output {
    pub source: String,
    pub destination: String,
    #[serde(default)]
    pub incremental: bool,
    #[serde(default)]
    pub primary_key: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Parameters {
    pub blocks: Vec<Block>,
    /// A statement timeout below the job's time limit, for transformations on a database
    /// server (each statement is cancelled past it); the SQLite runner has only the job's.
    #[serde(rename = "statementTimeoutSeconds")]
    pub statement_timeout_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Block {
    pub name: String,
    pub codes: Vec<Code>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Code {
    pub name: String,
    pub script: Vec<String>,
}

/// Runs the SQL transformation `job` names.
pub(crate) fn run(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
) -> Result<serde_json::Value, Failure> {
    let config_id = job.config_id()?;
    let config = stack
        .store
        .read(|c| load_live_config(c, job.project, &job.component, &config_id))?;
    let doc: Document = serde_json::from_str(&config.configuration).map_err(|e| {
        Failure::failed(format!(
            "configuration {config_id} of {} is not a transformation: {e}",
            job.component
        ))
    })?;
    let project = stack.get_project(job.project)?;
    let runs_in = stack
        .registry
        .get(&job.component)
        .and_then(|c| c.runner)
        .and_then(|r| r.sql_backend().map(str::to_owned))
        .unwrap_or_else(|| "sqlite".to_owned());
    if project.backend != runs_in {
        return Err(Failure::failed(backend_mismatch(
            stack,
            job,
            &runs_in,
            &project.backend,
        )));
    }
    if runs_in != "sqlite" {
        return super::server_transformation::run(stack, auth, job, cancel, &project, &doc);
    }
    let ws = Workspace::create(
        &stack
            .dir
            .join(super::JOBS_DIR)
            .join(format!("{}-workspace.sqlite", job.id)),
        stack.settings.quotas.workspace_bytes,
    )?;
    cancel.watch_sql(Some(ws.conn().get_interrupt_handle()));
    let outcome = transform(stack, auth, job, cancel, &ws, &doc);
    cancel.watch_sql(None);
    outcome
}

fn transform(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    ws: &Workspace,
    doc: &Document,
) -> Result<serde_json::Value, Failure> {
    let mut inputs = Vec::new();
    for input in &doc.storage.input.tables {
        cancel.check()?;
        let (destination, rows) = if job.mode == JobMode::DryRun {
            // The same input in two projects whose rows carry different times.
            let whole = Input {
                changed_since: None,
                ..input.clone()
            };
            load_input(stack, auth, ws, &whole)?
        } else {
            load_input(stack, auth, ws, input)?
        };
        stack.job_log(
            job,
            Level::Info,
            "job.inputLoaded",
            format!(
                "Loaded {rows} row(s) of {} into '{destination}'",
                input.source
            ),
            json!({"source": input.source, "destination": destination, "rows": rows}),
        );
        inputs.push(json!({"source": input.source, "destination": destination, "rows": rows}));
    }

    for block in &doc.parameters.blocks {
        for code in &block.codes {
            for (i, statement) in code.script.iter().enumerate() {
                cancel.check()?;
                if let Err(e) = ws.conn().execute_batch(statement) {
                    cancel.check()?;
                    let full = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull);
                    let message = format!(
                        "block '{}', code '{}', statement {}: {e}{}. The statement: {}",
                        block.name,
                        code.name,
                        i + 1,
                        if full {
                            format!(
                                " (the job's workspace reached the project's quota of {} bytes, \
                                 quotas.workspaceBytes)",
                                stack.settings.quotas.workspace_bytes
                            )
                        } else {
                            String::new()
                        },
                        shorten(statement)
                    );
                    return Err(Failure::Failed {
                        message,
                        details: json!({"error": {
                            "block": block.name,
                            "code": code.name,
                            "statement": statement,
                            "error": e.to_string(),
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
        let columns = ws.columns_of(&output.source)?.ok_or_else(|| {
            Failure::failed(format!(
                "output mapping: the scripts made no table '{}' to write to {}",
                output.source, output.destination
            ))
        })?;
        let destination: TableId = output
            .destination
            .parse()
            .map_err(|e| Failure::failed(format!("output mapping of '{}': {e}", output.source)))?;
        for key in &output.primary_key {
            if !columns.iter().any(|c| c == key) {
                return Err(Failure::failed(format!(
                    "output mapping of '{}': primary key column '{key}' is not one of its \
                     columns ({})",
                    output.source,
                    columns.join(", ")
                )));
            }
        }
        planned.push((output, destination, columns));
    }
    if job.mode == JobMode::DryRun {
        let mut outputs = Vec::new();
        for (output, destination, columns) in planned {
            cancel.check()?;
            let mut sum = RowSum::default();
            let rows = ws.read_table(&output.source, &columns, &mut |values| {
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
        return Ok(
            json!({"dryRun": true, "input": {"tables": inputs}, "output": {"tables": outputs}}),
        );
    }
    // Every output is read out of the workspace into a file first: a kill or a failing read
    // then stops the job before Storage is touched, and an import never waits on a reader.
    let mut spooled = Vec::new();
    for (n, (output, destination, columns)) in planned.into_iter().enumerate() {
        cancel.check()?;
        let path = stack
            .dir
            .join(super::JOBS_DIR)
            .join(format!("{}-output-{n}.csv", job.id));
        let spool = Spool(path);
        spool_output(ws, output, &columns, &spool.0)?;
        spooled.push((output, destination, columns, spool));
    }
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

/// Why a transformation cannot run in a project: its SQL is another backend's. Names the
/// components of the registry that run in the project's backend.
fn backend_mismatch(
    stack: &Stack,
    job: &JobRecord,
    runs_in: &str,
    project_backend: &str,
) -> String {
    let fitting: Vec<String> = stack
        .registry
        .all()
        .into_iter()
        .filter(|c| c.runner.as_ref().and_then(|r| r.sql_backend()) == Some(project_backend))
        .map(|c| c.id.to_string())
        .collect();
    format!(
        "{} runs SQL in {runs_in}, but project {}'s backend is {project_backend}, so its \
         tables are not there; {}",
        job.component,
        job.project,
        if fitting.is_empty() {
            format!("this stack has no SQL transformation for {project_backend}")
        } else {
            format!(
                "write the transformation for {}, whose SQL runs in {project_backend}",
                fitting.join(" or ")
            )
        }
    )
}

pub(super) fn shorten(statement: &str) -> String {
    let one_line = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 300 {
        format!("{}…", one_line.chars().take(300).collect::<String>())
    } else {
        one_line
    }
}

/// Checks one table of an input mapping and prepares reading it.
pub(crate) fn input_stream(
    stack: &Stack,
    auth: &TokenAuth,
    input: &Input,
) -> Result<(TableId, crate::ExportStream), Failure> {
    let source: TableId = input
        .source
        .parse()
        .map_err(|e| Failure::failed(format!("input mapping: {e}")))?;
    let mut filters = Vec::new();
    if let Some(column) = &input.where_column {
        let operator = match input.where_operator.as_deref() {
            None | Some("eq") => FilterOperator::Eq,
            Some("ne") => FilterOperator::Ne,
            Some(other) => {
                return Err(Failure::failed(format!(
                    "input mapping of {source}: where_operator '{other}' is not 'eq' or 'ne'"
                )))
            }
        };
        filters.push(ColumnFilter {
            column: ColumnName::parse(column)
                .map_err(|e| Failure::failed(format!("input mapping of {source}: {e}")))?,
            operator,
            values: input.where_values.clone(),
        });
    }
    let options = ExportOptions {
        columns: (!input.columns.is_empty()).then(|| input.columns.clone()),
        changed_since: input.changed_since.clone(),
        where_filters: filters,
        limit: input.limit,
        ..Default::default()
    };
    let stream = stack
        .prepare_export(auth, &source, &options)
        .map_err(|e| Failure::failed(format!("input mapping of {source}: {e}")))?;
    Ok((source, stream))
}

/// Copies one input table into the workspace; returns its name there and its rows.
fn load_input(
    stack: &Stack,
    auth: &TokenAuth,
    ws: &Workspace,
    input: &Input,
) -> Result<(String, u64), Failure> {
    let (source, stream) = input_stream(stack, auth, input)?;
    let destination = input
        .destination
        .clone()
        .unwrap_or_else(|| source.name().to_string());
    let columns: Vec<&str> = stream.columns().iter().map(|c| c.as_str()).collect();
    let rows = ws.load_table(&destination, &columns, |insert| {
        stream.visit_rows(stack, &mut |values, _| insert(values))
    })?;
    Ok((destination, rows))
}

/// A file of output rows, removed when dropped.
pub(super) struct Spool(pub std::path::PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes one workspace table to `path` as CSV with a header row.
fn spool_output(
    ws: &Workspace,
    output: &Output,
    columns: &[String],
    path: &std::path::Path,
) -> Result<u64, Failure> {
    let file = std::fs::File::create(path).map_err(crate::Error::from)?;
    let mut csv = CsvWriter::new(std::io::BufWriter::new(file));
    csv.write_record(columns.iter().map(|c| c.as_bytes()))
        .map_err(crate::Error::from)?;
    let rows = ws.read_table(&output.source, columns, &mut |values| {
        csv.write_record(values.iter().map(|v| v.as_bytes()))?;
        Ok(())
    })?;
    let mut inner = csv.finish().map_err(crate::Error::from)?;
    std::io::Write::flush(&mut inner).map_err(crate::Error::from)?;
    Ok(rows)
}

/// Writes one spooled output to Storage: the bucket and the table are made when missing, new
/// columns are added, and the rows are imported in one transaction (replacing the table's rows,
/// or with `incremental` appended, or upserted on the primary key).
pub(super) fn import_output(
    stack: &Stack,
    auth: &TokenAuth,
    output: &Output,
    destination: &TableId,
    columns: &[String],
    path: &std::path::Path,
) -> Result<u64, Failure> {
    prepare_target(stack, auth, output, destination, columns)?;
    let mut file = std::fs::File::open(path).map_err(crate::Error::from)?;
    let options = ImportOptions {
        incremental: output.incremental,
        ..Default::default()
    };
    let imported = stack
        .import_table(auth, destination, &options, &mut file)
        .map_err(|e| Failure::failed(format!("output mapping to {destination}: {e}")))?;
    Ok(imported.imported_rows)
}

/// Makes the destination of an output ready for `columns`: see [`ensure_table`].
pub(crate) fn prepare_target(
    stack: &Stack,
    auth: &TokenAuth,
    output: &Output,
    destination: &TableId,
    columns: &[String],
) -> Result<(), Failure> {
    let parse = |names: &[String]| {
        names
            .iter()
            .map(|c| ColumnName::parse(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::failed(format!("output '{}': {e}", output.source)))
    };
    for key in &output.primary_key {
        if !columns.iter().any(|c| c == key) {
            return Err(Failure::failed(format!(
                "output '{}': primary key column '{key}' is not one of its columns ({})",
                output.source,
                columns.join(", ")
            )));
        }
    }
    ensure_table(
        stack,
        auth,
        destination,
        &parse(columns)?,
        &parse(&output.primary_key)?,
    )
}

fn ensure_table(
    stack: &Stack,
    auth: &TokenAuth,
    id: &TableId,
    columns: &[ColumnName],
    primary_key: &[ColumnName],
) -> Result<(), Failure> {
    let bucket = id.bucket();
    if let Err(e) = stack.get_bucket(auth, bucket) {
        if e.kind() != ErrorKind::NotFound {
            return Err(e.into());
        }
        stack.create_bucket(
            auth,
            &NewBucket {
                name: bucket.name().to_string(),
                stage: bucket.stage(),
                display_name: None,
                description: None,
                backend: None,
            },
        )?;
    }
    match stack.get_table(auth, id) {
        Ok(table) => {
            if !primary_key.is_empty() && table.primary_key != primary_key {
                return Err(Failure::failed(format!(
                    "output mapping: {id} has primary key [{}], but the mapping asks for [{}]; \
                     change the mapping or the table's primary key",
                    join(&table.primary_key),
                    join(primary_key)
                )));
            }
            for column in columns {
                if !table.columns.iter().any(|c| c.folded() == column.folded()) {
                    stack.add_column(
                        auth,
                        id,
                        &NewColumn {
                            name: column.clone(),
                            definition: None,
                        },
                    )?;
                }
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            stack.create_table(
                auth,
                bucket,
                &NewTable {
                    name: id.name().to_string(),
                    columns: columns.to_vec(),
                    primary_key: primary_key.to_vec(),
                    ..Default::default()
                },
            )?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn join(columns: &[ColumnName]) -> String {
    columns
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
