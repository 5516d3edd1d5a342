//! Component programs, run through the common interface: the job writes the data folder
//! (`config.json` with the configuration's secrets opened, input tables as CSV), runs the
//! registry's command in it with a time limit and in a process group of its own, logs what it
//! prints (with every secret masked), and loads the tables it wrote back into Storage. A
//! configuration with rows runs once per enabled row, the row's document merged over the
//! configuration's. The data folder is deleted after each run, whatever happened.

use std::io::{BufRead, BufReader, Read};
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

/// Runs the component program of `job`.
pub(crate) fn run(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
    command: &[String],
) -> Result<serde_json::Value, Failure> {
    let config_id = job.config_id()?;
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
            command,
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
    command: &[String],
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
    execute(stack, job, cancel, command, &data, &secrets)?;

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
        written.push(json!({
            "source": output.source,
            "destination": destination,
            "rows": imported.imported_rows,
            "incremental": output.incremental,
        }));
    }
    if let (Some(new_state), None) = (data.out_state()?, row) {
        let raw = RawJson::from_string(new_state.to_string()).map_err(crate::Error::from)?;
        let config = job.config_id()?;
        stack.update_config_state(auth, &job.component, &config, &raw)?;
    }
    Ok(written)
}

/// Runs the program in `data` until it exits or the job is stopped (killed, or at its time
/// limit: both kill the program's process group through `cancel`).
fn execute(
    stack: &Stack,
    job: &JobRecord,
    cancel: &Cancel,
    command: &[String],
    data: &DataDir,
    secrets: &[String],
) -> Result<(), Failure> {
    let (exe, args) = command.split_first().ok_or_else(|| {
        Failure::failed(format!(
            "component {}: its registry entry has an empty command",
            job.component
        ))
    })?;
    let exe = resolve(stack, exe);
    let mut command = Command::new(&exe);
    // If the stack dies (kill -9), the program dies with it instead of running on unseen
    // while the next start deletes its data folder.
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    #[cfg(target_os = "linux")]
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
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
        .env(
            super::outbound::ALLOW_ENV,
            stack.settings.network.outbound_allow.join(","),
        )
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
    // Output is read on threads of their own and logged here, so a program (or something it
    // left running) that keeps its pipes open cannot hold the job once the program has ended.
    let (tx, rx) = std::sync::mpsc::channel::<(Level, String)>();
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    for (reader, level) in [
        (
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Level::Info,
        ),
        (Box::new(stderr), Level::Warn),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || pump(reader, level, tx));
    }
    drop(tx);
    let mut output = ProgramOutput::new(stack, job, secrets);
    let status = loop {
        output.log_waiting(&rx);
        match child.try_wait() {
            Ok(Some(status)) => {
                // Whatever it left running in its group goes too, so the pipes close.
                // SAFETY: kill has no memory preconditions.
                unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
                output.log_rest(&rx, Duration::from_secs(2));
                break Ok(status);
            }
            Ok(None) => {}
            Err(e) => break Err(Failure::from(crate::Error::from(e))),
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    cancel.watch_child(None);
    cancel.check()?;
    let status = status?;
    if status.success() {
        return Ok(());
    }
    let last = output.last_error;
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

/// The longest piece of one line a program's output is read in; a longer line is logged in
/// pieces, so output without line breaks cannot fill memory.
const MAX_LINE_BYTES: u64 = 64 * 1024;

/// Reads `reader` line by line (invalid UTF-8 replaced) and hands each line on.
fn pump(
    reader: Box<dyn std::io::Read + Send>,
    level: Level,
    tx: std::sync::mpsc::Sender<(Level, String)>,
) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if tx.send((level, line)).is_err() {
                    return;
                }
            }
        }
    }
}

/// A program's output on its way into the job's log: secrets masked, at most
/// [`MAX_LOG_LINES`] lines, the last line of stderr kept for the job's message.
struct ProgramOutput<'a> {
    stack: &'a Stack,
    job: &'a JobRecord,
    masks: Vec<String>,
    lines: usize,
    last_error: String,
}

impl<'a> ProgramOutput<'a> {
    fn new(stack: &'a Stack, job: &'a JobRecord, secrets: &[String]) -> Self {
        // Longest first, so a secret that contains another is masked whole; each line of a
        // multi-line secret (a PEM key) too, since output is logged line by line.
        let mut masks: Vec<String> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .chain(secrets.iter().filter(|s| s.contains('\n')).flat_map(|s| {
                s.lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| l.len() >= 4)
                    .collect::<Vec<_>>()
            }))
            .collect();
        masks.sort_by_key(|m| std::cmp::Reverse(m.len()));
        masks.dedup();
        ProgramOutput {
            stack,
            job,
            masks,
            lines: 0,
            last_error: String::new(),
        }
    }

    fn log(&mut self, level: Level, mut line: String) {
        for mask in &self.masks {
            if line.contains(mask.as_str()) {
                line = line.replace(mask.as_str(), "*****");
            }
        }
        if matches!(level, Level::Warn) {
            self.last_error = line.clone();
        }
        self.lines += 1;
        if self.lines <= MAX_LOG_LINES {
            self.stack
                .job_log(self.job, level, "job.output", line, json!({}));
        } else if self.lines == MAX_LOG_LINES + 1 {
            self.stack.job_log(
                self.job,
                Level::Warn,
                "job.output",
                format!("(more output than {MAX_LOG_LINES} lines; the rest is not kept)"),
                json!({}),
            );
        }
    }

    /// Logs what has arrived.
    fn log_waiting(&mut self, rx: &std::sync::mpsc::Receiver<(Level, String)>) {
        while let Ok((level, line)) = rx.try_recv() {
            self.log(level, line);
        }
    }

    /// After the program ended: logs the rest, waiting at most `grace` for the pipes to close.
    fn log_rest(&mut self, rx: &std::sync::mpsc::Receiver<(Level, String)>, grace: Duration) {
        let deadline = Instant::now() + grace;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok((level, line)) => self.log(level, line),
                Err(_) => return,
            }
        }
    }
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
