//! Component programs, run through the common interface: the job writes the data folder
//! (`config.json` with the configuration's secrets opened, input tables as CSV), runs the
//! registry's command in it with a time limit and in a process group of its own, logs what it
//! prints (with every secret masked), and loads the tables it wrote back into Storage. A
//! configuration with rows runs once per enabled row, the row's document merged over the
//! configuration's. The data folder is deleted after each run, whatever happened.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;
use stackport_model::api::RawJson;
use stackport_model::{ConfigId, TableId};

use super::cancel::Cancel;
use super::datadir::{csv_header, DataDir};
use super::log::Level;
use super::queue::JobRecord;
use super::runner::Failure;
use super::transformation::{prepare_target, Input, Output};
use crate::ops::auth::TokenAuth;
use crate::ops::configs::{load_live_config, rows::load_rows};
use crate::{ImportOptions, Stack};

/// At most this many lines of a program's output go into the job's log.
const MAX_LOG_LINES: usize = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Mapping {
    storage: Storage,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Storage {
    input: Tables<Input>,
    output: Tables<Output>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Tables<T> {
    tables: Vec<T>,
}

impl<T> Default for Tables<T> {
    fn default() -> Self {
        Tables { tables: Vec::new() }
    }
}

/// What the registry says to run.
pub(crate) struct Program<'a> {
    pub command: &'a [String],
    pub timeout: Duration,
}

/// Runs the component program of `job`.
pub(crate) fn run(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    program: &Program<'_>,
) -> Result<serde_json::Value, Failure> {
    let config_id: ConfigId = job
        .config
        .parse()
        .map_err(|e| Failure::failed(format!("config: {e}")))?;
    let (config, rows) = stack.store.read(|c| {
        let config = load_live_config(c, job.project, &job.component, &config_id)?;
        let rows = load_rows(c, job.project, &config)?;
        Ok((config, rows))
    })?;
    let root = open(stack, job, &config_id, &config.configuration)?;
    let runs: Vec<(Option<String>, serde_json::Value)> = if rows.is_empty() {
        vec![(None, root)]
    } else {
        let mut runs = Vec::new();
        for row in rows.iter().filter(|r| {
            if job.config_row_ids.is_empty() {
                !r.is_disabled
            } else {
                job.config_row_ids.iter().any(|id| id == r.id.as_str())
            }
        }) {
            let mut merged = root.clone();
            merge(
                &mut merged,
                open(stack, job, &config_id, row.configuration.get())?,
            );
            runs.push((Some(row.id.to_string()), merged));
        }
        runs
    };
    let state: serde_json::Value =
        serde_json::from_str(&config.state).unwrap_or_else(|_| json!({}));
    let mut results = Vec::new();
    for (row, document) in runs {
        cancel.check()?;
        let outputs = run_once(
            stack,
            auth,
            job,
            cancel,
            program,
            &document,
            &state,
            row.as_deref(),
        )?;
        results.push(json!({"row": row, "output": {"tables": outputs}}));
    }
    Ok(json!({"runs": results}))
}

/// The document with its `#` values opened.
fn open(
    stack: &Stack,
    job: &JobRecord,
    config: &ConfigId,
    doc: &str,
) -> Result<serde_json::Value, Failure> {
    let raw = RawJson::from_string(doc.to_string())
        .map_err(|e| Failure::failed(format!("configuration {config} is not JSON: {e}")))?;
    let opened = stack.open_secrets(job.project, &job.component, config, &raw)?;
    serde_json::from_str(&opened)
        .map_err(|e| Failure::failed(format!("configuration {config}: {e}")))
}

/// Merges `over` into `base`: objects key by key, anything else replaced.
fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Every secret value of the run, to mask in what the program prints.
fn secrets_of(document: &serde_json::Value, out: &mut Vec<String>) {
    match document {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) if k.starts_with('#') && !s.is_empty() => {
                        out.push(s.clone())
                    }
                    _ => secrets_of(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| secrets_of(v, out)),
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn run_once(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    program: &Program<'_>,
    document: &serde_json::Value,
    state: &serde_json::Value,
    row: Option<&str>,
) -> Result<Vec<serde_json::Value>, Failure> {
    let mapping: Mapping = serde_json::from_value(document.clone())
        .map_err(|e| Failure::failed(format!("the configuration's storage mapping: {e}")))?;
    let data = DataDir::create(&stack.dir.join(super::JOBS_DIR).join(format!(
        "{}-{}",
        job.id,
        row.unwrap_or("root")
    )))?;
    for input in &mapping.storage.input.tables {
        cancel.check()?;
        let (name, rows) = data.write_input(stack, auth, input)?;
        stack.job_log(
            job,
            Level::Info,
            "job.inputLoaded",
            format!(
                "Wrote {rows} row(s) of {} to in/tables/{name}",
                input.source
            ),
            json!({"rows": rows}),
        );
    }
    let mut config = document.clone();
    config["action"] = json!("run");
    data.write_config(&config, state)?;

    let mut secrets = Vec::new();
    secrets_of(document, &mut secrets);
    execute(stack, job, cancel, program, &data, &secrets)?;

    let mut written = Vec::new();
    for (path, output) in data.outputs(&mapping.storage.output.tables)? {
        cancel.check()?;
        let destination: TableId = output
            .destination
            .parse()
            .map_err(|e| Failure::failed(format!("out/tables/{}: {e}", output.source)))?;
        let columns = csv_header(&path)?;
        prepare_target(stack, auth, &output, &destination, &columns)?;
        let mut file = std::fs::File::open(&path).map_err(crate::Error::from)?;
        let imported = stack
            .import_table(
                auth,
                &destination,
                &ImportOptions {
                    incremental: output.incremental,
                    ..Default::default()
                },
                &mut file,
            )
            .map_err(|e| {
                Failure::failed(format!(
                    "loading out/tables/{} into {destination}: {e}",
                    output.source
                ))
            })?;
        stack.job_log(
            job,
            Level::Info,
            "job.outputWritten",
            format!(
                "Loaded {} row(s) of out/tables/{} into {destination}",
                imported.imported_rows, output.source
            ),
            json!({"destination": destination, "rows": imported.imported_rows}),
        );
        written.push(json!({"source": output.source, "destination": destination, "rows": imported.imported_rows, "incremental": output.incremental}));
    }
    if let (Some(new_state), None) = (data.out_state()?, row) {
        let raw = RawJson::from_string(new_state.to_string()).map_err(crate::Error::from)?;
        let config: ConfigId = job
            .config
            .parse()
            .map_err(|e| Failure::failed(format!("config: {e}")))?;
        stack.update_config_state(auth, &job.component, &config, &raw)?;
    }
    Ok(written)
}

/// Runs the program in `data` until it exits, the time limit passes, or the job is stopped.
fn execute(
    stack: &Stack,
    job: &JobRecord,
    cancel: &Cancel,
    program: &Program<'_>,
    data: &DataDir,
    secrets: &[String],
) -> Result<(), Failure> {
    let (exe, args) = program.command.split_first().ok_or_else(|| {
        Failure::failed(format!(
            "component {}: its registry entry has an empty command",
            job.component
        ))
    })?;
    let exe = resolve(stack, exe);
    let mut child = Command::new(&exe)
        .args(args.iter().map(|a| resolve(stack, a)))
        .current_dir(data.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KBC_DATADIR", data.path())
        .env("KBC_RUNID", &job.run_id)
        .env("KBC_JOBID", job.id.to_string())
        .env("KBC_PROJECTID", job.project.to_string())
        .env("KBC_CONFIGID", &job.config)
        .env("KBC_COMPONENTID", job.component.as_str())
        .env("KBC_STACKID", &stack.settings.id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| {
            Failure::failed(format!(
                "component {}: cannot start {exe}: {e}",
                job.component
            ))
        })?;
    cancel.watch_child(Some(child.id()));
    let started = Instant::now();
    let last_error = std::sync::Mutex::new(String::new());
    let lines = std::sync::atomic::AtomicUsize::new(0);
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let pump = |reader: Box<dyn std::io::Read + Send>, level: Level| {
        for line in BufReader::new(reader).lines() {
            let Ok(mut line) = line else { break };
            for secret in secrets {
                line = line.replace(secret.as_str(), "*****");
            }
            if matches!(level, Level::Warn) {
                *last_error.lock().unwrap_or_else(|e| e.into_inner()) = line.clone();
            }
            let n = lines.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n < MAX_LOG_LINES {
                stack.job_log(job, level, "job.output", line, json!({}));
            } else if n == MAX_LOG_LINES {
                stack.job_log(
                    job,
                    Level::Warn,
                    "job.output",
                    format!("(more output than {MAX_LOG_LINES} lines; the rest is not kept)"),
                    json!({}),
                );
            }
        }
    };
    let status = std::thread::scope(|scope| {
        scope.spawn(|| pump(Box::new(stdout), Level::Info));
        scope.spawn(|| pump(Box::new(stderr), Level::Warn));
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    // Whatever it left running in its group goes too, so the pipes close.
                    // SAFETY: kill has no memory preconditions.
                    unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
                    break Ok(status);
                }
                Ok(None) => {}
                Err(e) => break Err(Failure::from(crate::Error::from(e))),
            }
            if started.elapsed() > program.timeout {
                // SAFETY: kill has no memory preconditions.
                unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
                let _ = child.wait();
                break Err(Failure::failed(format!(
                    "component {} ran longer than its limit of {} s and was stopped",
                    job.component,
                    program.timeout.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    cancel.watch_child(None);
    cancel.check()?;
    let status = status?;
    if status.success() {
        return Ok(());
    }
    let last = last_error.into_inner().unwrap_or_else(|e| e.into_inner());
    let kind = match status.code() {
        Some(1) => "failed (user error, exit code 1)".to_string(),
        Some(code) => format!("failed (application error, exit code {code})"),
        None => "was killed by a signal".to_string(),
    };
    Err(Failure::failed(if last.is_empty() {
        format!("component {} {kind}", job.component)
    } else {
        format!("component {} {kind}: {last}", job.component)
    }))
}

/// In a registry command, `{stackport}` is this stack's own binary (so the components shipped
/// with it are found wherever it is installed) and `{data}` its data dir.
fn resolve(stack: &Stack, word: &str) -> String {
    let mut out = word.replace("{data}", &stack.dir.to_string_lossy());
    if out.contains("{stackport}") {
        if let Ok(path) = std::env::current_exe() {
            out = out.replace("{stackport}", &path.to_string_lossy());
        }
    }
    out
}
