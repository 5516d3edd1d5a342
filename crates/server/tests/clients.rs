//! The reference platform's official Python client, `kbcstorage`, against a real stack: runs
//! `tests/clients/kbcstorage_suite.py` in the venv `scripts/client-venv` makes, and fails unless every
//! case of the suite passed. A missing Python or an unreachable PyPI fails the test: the suite is the
//! proof that users' scripts run unchanged, so it must never be skipped quietly.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use stackport_client::Client;
use stackport_model::api::NewProject;
use stackport_stack::StackSettings;
use tokio::io::{AsyncBufReadExt, BufReader};

const MANAGE_TOKEN: &str = "clients-manage-token-0123456789abcdefghij";

/// What one case may take before the suite reports it as a FAIL and goes on (the client retries a 5xx
/// for ~17 minutes and polls a job without end, so a case must not be able to hang the run).
const CASE_TIMEOUT_SECONDS: &str = "120";

/// A generous bound on the whole suite, so that a stack that hangs fails CI instead of stalling it.
const SUITE_DEADLINE: Duration = Duration::from_secs(15 * 60);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// Builds or checks `target/client-venv`; returns its python, or why there is none.
fn client_venv(root: &Path) -> Result<PathBuf, String> {
    let script = root.join("scripts/client-venv");
    // Its stderr goes straight to the terminal, so pip's progress and errors show as they happen.
    let status = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("{} could not be run with bash: {e}", script.display()))?;
    if !status.success() {
        return Err(format!(
            "{} failed ({status}): the kbcstorage suite needs Python 3 with venv and PyPI; \
             see its message above",
            script.display()
        ));
    }
    Ok(root.join("target/client-venv/bin/python"))
}

/// How many cases the suite has: the `@case(...)` registrations of its modules plus the closing
/// coverage case. Counted from the source, so a suite that stops registering some cannot pass.
fn case_count(cases: &Path) -> usize {
    let modules = std::fs::read_dir(cases)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", cases.display()));
    let mut count = 1;
    for module in modules {
        let path = module.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
            count += source.lines().filter(|l| l.starts_with("@case(")).count();
        }
    }
    count
}

/// A stack served on a free loopback port whose settings carry that port, so that the URLs it hands
/// out (the blob endpoint of an upload, `uri`s) are the ones it is reached at.
async fn serve_stack(dir: &Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("the listener has an address");
    let dir = dir.to_path_buf();
    let stack = tokio::task::spawn_blocking(move || {
        let settings = StackSettings::local_default(&addr.to_string());
        let stack = stackport_stack_sqlite::open(&dir, || settings).expect("the stack opens");
        stack
            .ensure_manage_token(Some(MANAGE_TOKEN))
            .expect("the manage token is set");
        stack
    })
    .await
    .expect("opening the stack did not panic");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(stackport_server::serve(
        listener,
        Arc::new(stack),
        async move {
            let _ = stopped.await;
        },
    ));
    (format!("http://{addr}"), stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kbcstorage_suite_passes_against_a_stack() {
    let root = repo_root();
    let suite = root.join("tests/clients/kbcstorage_suite.py");
    let python = tokio::task::spawn_blocking({
        let root = root.clone();
        move || client_venv(&root)
    })
    .await
    .expect("the venv step did not panic")
    .unwrap_or_else(|why| panic!("{why}"));
    let cases = case_count(&root.join("tests/clients/kbcsuite"));

    let dir = stackport_testkit::TempDir::new("clients-test");
    let (url, stop) = serve_stack(&dir).await;
    let project = Client::new(&url)
        .with_manage_token(MANAGE_TOKEN)
        .create_project(&NewProject {
            name: "kbcstorage suite".into(),
            backend: None,
        })
        .await
        .expect("the project is created");

    let mut child = tokio::process::Command::new(&python)
        .arg(&suite)
        .env("STACK_URL", &url)
        .env("STACK_TOKEN", &project.token)
        .env("CASE_TIMEOUT_SECONDS", CASE_TIMEOUT_SECONDS)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{} could not be started: {e}", python.display()));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
    let mut output = Vec::new();
    let read_all = async {
        while let Some(line) = lines
            .next_line()
            .await
            .expect("the suite's output is UTF-8")
        {
            // Written to stderr directly, not through the test harness's capture: the suite's
            // progress shows while it runs.
            let _ = writeln!(std::io::stderr(), "kbcstorage suite: {line}");
            output.push(line);
        }
        child.wait().await.expect("the suite's exit status")
    };
    let status = tokio::time::timeout(SUITE_DEADLINE, read_all)
        .await
        .unwrap_or_else(|_| {
            panic!("the kbcstorage suite did not finish within {SUITE_DEADLINE:?}")
        });
    let _ = stop.send(());

    let failures: Vec<&String> = output.iter().filter(|l| l.starts_with("FAIL ")).collect();
    let passes = output.iter().filter(|l| l.starts_with("PASS ")).count();
    let closing = output.last().map(String::as_str).unwrap_or("");
    let want = format!("{cases} passed, 0 failed");
    assert!(
        closing == want && passes == cases && status.success(),
        "the kbcstorage suite must pass all {cases} cases; it ended with {closing:?} ({status}), \
         {passes} PASS lines, and these failures:\n{}",
        failures
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
