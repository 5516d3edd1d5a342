//! A real server on a fresh data dir per test, and small helpers to talk to it.

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use stackport_client::{Client, ClientError, ExportParams, ImportParams};
use stackport_model::api::{
    Bucket, CreatedProject, ErrorBody, ImportResult, NewBucket, NewProject, NewTable, Table,
};
use stackport_model::{BucketId, ColumnName, ProjectId, Stage, TableId};
use stackport_stack::{ManualClock, StackSettings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use stackport_testkit::stack::Backend;

/// The manage token every test stack gets.
pub const MANAGE_TOKEN: &str = "test-manage-token-0123456789abcdefghij";

/// How long a stopping server may take before the test fails instead of hanging.
const STOP_GUARD: Duration = Duration::from_secs(60);

/// A running server.
struct Server {
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<std::io::Result<()>>,
}

/// A stack served over HTTP from its own temporary data dir.
pub struct TestApp {
    /// The base URL of the running server.
    pub url: String,
    /// The stack's data dir; removed when the app is dropped.
    pub dir: PathBuf,
    /// A client with the manage token.
    pub manage: Client,
    /// Where the stack keeps new projects' tables.
    pub backend: Backend,
    server: Option<Server>,
    /// The clock the stack goes by, when a test moves it.
    clock: Option<Arc<ManualClock>>,
}

fn unique_dir() -> PathBuf {
    // The app removes it when dropped; it outlives a restart of the server in between.
    stackport_testkit::TempDir::new("api-test").keep()
}

/// Opens the stack in `dir` (with `settings`, new projects on `backend`, if the dir holds none
/// yet) on every engine its settings name, as `serve` does, and serves it.
async fn start_server(
    dir: &Path,
    backend: Backend,
    settings: StackSettings,
    clock: Option<Arc<ManualClock>>,
) -> (String, Server) {
    let dir = dir.to_path_buf();
    let stack = tokio::task::spawn_blocking(move || {
        let settings = || {
            let mut settings = settings;
            backend.apply(&mut settings);
            settings
        };
        let mut stack = stackport_engines::open(&dir, settings).expect("the stack opens");
        if let Some(clock) = clock {
            stack = stack.with_clock(clock);
        }
        stack
            .ensure_manage_token(Some(MANAGE_TOKEN))
            .expect("the manage token is set");
        stack
    })
    .await
    .expect("opening the stack did not panic");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("the listener has an address");
    let (shutdown, stop) = oneshot::channel::<()>();
    let handle = tokio::spawn(stackport_server::serve(
        listener,
        Arc::new(stack),
        async move {
            let _ = stop.await;
        },
    ));
    (format!("http://{addr}"), Server { shutdown, handle })
}

/// Starts a server on a fresh data dir, its projects on SQLite: for a test that does not touch
/// table data.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::Sqlite).await
}

/// Starts a server on a fresh data dir with `settings`, its projects on SQLite.
pub async fn spawn_app_with(settings: StackSettings) -> TestApp {
    spawn_app_with_on(Backend::Sqlite, settings).await
}

/// Starts a server whose stack goes by `clock`, which the test moves; projects on SQLite.
pub async fn spawn_app_with_clock(clock: Arc<ManualClock>) -> TestApp {
    spawn_app_with_clock_on(Backend::Sqlite, clock).await
}

/// Starts a server on a fresh data dir whose new projects keep their tables on `backend`.
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_with_on(backend, StackSettings::local_default("127.0.0.1:0")).await
}

/// As [`spawn_app_on`], with `settings` (to which `backend` adds its server).
pub async fn spawn_app_with_on(backend: Backend, settings: StackSettings) -> TestApp {
    start_app(backend, settings, None).await
}

/// As [`spawn_app_on`], the stack going by `clock`, which the test moves.
pub async fn spawn_app_with_clock_on(backend: Backend, clock: Arc<ManualClock>) -> TestApp {
    let settings = StackSettings::local_default("127.0.0.1:0");
    start_app(backend, settings, Some(clock)).await
}

async fn start_app(
    backend: Backend,
    settings: StackSettings,
    clock: Option<Arc<ManualClock>>,
) -> TestApp {
    let dir = unique_dir();
    let (url, server) = start_server(&dir, backend, settings, clock.clone()).await;
    TestApp {
        manage: Client::new(&url).with_manage_token(MANAGE_TOKEN),
        url,
        dir,
        backend,
        server: Some(server),
        clock,
    }
}

/// A test body `async fn name(backend: Backend)` run once per table backend, as the tests
/// `name::sqlite` and `name::postgresql`: written above the body, so each backend runs the same
/// assertions and `-- postgresql` picks out one backend's runs.
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgresql() {
                super::$name($crate::helpers::Backend::Postgresql).await
            }
        }
    };
}
pub(crate) use both_backends;

impl TestApp {
    /// A client without any token.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.url)
    }

    /// A client with a Storage API token.
    pub fn client(&self, token: &str) -> Client {
        Client::new(&self.url).with_storage_token(token)
    }

    /// Creates a project; returns it (with its master token) and a client using that token.
    pub async fn new_project_full(&self, name: &str) -> (CreatedProject, Client) {
        let created = self
            .manage
            .create_project(&NewProject {
                name: name.into(),
                backend: None,
            })
            .await
            .expect("the project is created");
        let client = self.client(&created.token);
        (created, client)
    }

    /// Creates a project and returns a client with its master token.
    pub async fn new_project(&self, name: &str) -> Client {
        self.new_project_full(name).await.1
    }

    /// Stops the server gracefully and waits until it has stopped.
    pub async fn stop(&mut self) {
        let server = self.server.take().expect("the server is running");
        server
            .shutdown
            .send(())
            .expect("the server is still waiting for its shutdown signal");
        tokio::time::timeout(STOP_GUARD, server.handle)
            .await
            .expect("the server stops after its shutdown signal")
            .expect("the server task did not panic")
            .expect("the server stopped without an error");
    }

    /// Starts a new server on the same data dir (on a new port); `url` and `manage` follow it.
    pub async fn start(&mut self) {
        assert!(self.server.is_none(), "stop the server first");
        // The settings are read from the data dir; these are not used.
        let (url, server) = start_server(
            &self.dir,
            self.backend,
            StackSettings::local_default("127.0.0.1:0"),
            self.clock.clone(),
        )
        .await;
        self.manage = Client::new(&url).with_manage_token(MANAGE_TOKEN);
        self.url = url;
        self.server = Some(server);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.shutdown.send(());
            server.handle.abort();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether `project` has its tables' storage on the stack: on SQLite its file, on PostgreSQL
/// its schema in the database of server `pg1`, read straight from the server.
pub async fn project_storage_exists(app: &TestApp, project: ProjectId) -> bool {
    match app.backend {
        Backend::Sqlite => app
            .dir
            .join("tables")
            .join(format!("{project}.sqlite"))
            .exists(),
        Backend::Postgresql => {
            let settings: serde_json::Value =
                serde_json::from_slice(&std::fs::read(app.dir.join("stack.json")).unwrap())
                    .expect("stack.json is JSON");
            let url = settings["postgres"][0]["url"]
                .as_str()
                .expect("stack.json registers a PostgreSQL server")
                .to_owned();
            tokio::task::spawn_blocking(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls)
                    .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
                let row = client
                    .query_one(
                        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
                        &[&format!("p{}", project.0)],
                    )
                    .unwrap();
                row.get::<_, i64>(0) == 1
            })
            .await
            .unwrap()
        }
    }
}

// Ids.

pub fn bucket_id(s: &str) -> BucketId {
    s.parse().expect("a valid bucket id")
}

pub fn table_id(s: &str) -> TableId {
    s.parse().expect("a valid table id")
}

pub fn col(s: &str) -> ColumnName {
    ColumnName::parse(s).expect("a valid column name")
}

pub fn cols(names: &[&str]) -> Vec<ColumnName> {
    names.iter().map(|n| col(n)).collect()
}

pub fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

// Errors.

/// Asserts that `result` is an API error with `status` and `code`; returns its body.
#[track_caller]
pub fn expect_error<T: Debug>(
    result: Result<T, ClientError>,
    status: u16,
    code: &str,
) -> ErrorBody {
    match result {
        Ok(v) => panic!("expected HTTP {status} ({code}), got success: {v:?}"),
        Err(ClientError::Api { status: s, body }) => {
            assert_eq!(
                (s, body.code.as_str()),
                (status, code),
                "unexpected error: {}",
                body.error
            );
            assert_eq!(body.status, status, "the body repeats the status");
            body
        }
        Err(e) => panic!("expected HTTP {status} ({code}), got {e}"),
    }
}

/// Asserts that `result` is an API error with `status`; returns its body.
#[track_caller]
pub fn expect_status<T: Debug>(result: Result<T, ClientError>, status: u16) -> ErrorBody {
    match result {
        Ok(v) => panic!("expected HTTP {status}, got success: {v:?}"),
        Err(ClientError::Api { status: s, body }) => {
            assert_eq!(
                s, status,
                "unexpected error: {} ({})",
                body.error, body.code
            );
            body
        }
        Err(e) => panic!("expected HTTP {status}, got {e}"),
    }
}

// Buckets and tables.

pub async fn create_bucket(client: &Client, stage: Stage, name: &str) -> Bucket {
    client
        .create_bucket(&NewBucket {
            name: name.into(),
            stage,
            display_name: None,
            description: None,
            backend: None,
        })
        .await
        .expect("the bucket is created")
}

pub async fn create_table(
    client: &Client,
    bucket: &BucketId,
    name: &str,
    columns: &[&str],
    primary_key: &[&str],
) -> Table {
    client
        .create_table(
            bucket,
            &NewTable {
                name: name.into(),
                columns: cols(columns),
                primary_key: cols(primary_key),
                ..Default::default()
            },
        )
        .await
        .expect("the table is created")
}

/// A bucket `in.c-<bucket>` with a table `<table>` of `columns`.
pub async fn bucket_with_table(
    client: &Client,
    bucket: &str,
    table: &str,
    columns: &[&str],
    primary_key: &[&str],
) -> TableId {
    let b = create_bucket(client, Stage::In, bucket).await;
    create_table(client, &b.id, table, columns, primary_key)
        .await
        .id
}

// CSV.

/// One record in the canonical form exports use: every value quoted, quotes doubled, `\n`.
pub fn csv_record(values: &[&str]) -> String {
    let mut out = values
        .iter()
        .map(|v| format!("\"{}\"", v.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

/// A header and rows in the canonical form.
pub fn canonical(header: &[&str], rows: &[&[&str]]) -> String {
    let mut out = csv_record(header);
    for row in rows {
        out.push_str(&csv_record(row));
    }
    out
}

/// Imports `csv` (with a header row) with `params`.
pub async fn import_with(
    client: &Client,
    table: &TableId,
    params: &ImportParams,
    csv: &str,
) -> Result<ImportResult, ClientError> {
    client
        .import_table(table, params, csv.as_bytes().to_vec())
        .await
}

/// Replaces a table's rows with `csv` (with a header row).
pub async fn import_csv(client: &Client, table: &TableId, csv: &str) -> ImportResult {
    import_with(client, table, &ImportParams::default(), csv)
        .await
        .expect("the import succeeds")
}

/// Adds `csv` (with a header row) to a table.
pub async fn import_incremental(client: &Client, table: &TableId, csv: &str) -> ImportResult {
    let params = ImportParams {
        incremental: true,
        ..Default::default()
    };
    import_with(client, table, &params, csv)
        .await
        .expect("the incremental import succeeds")
}

/// Exports with `params`, as text.
pub async fn export_with(client: &Client, table: &TableId, params: &ExportParams) -> String {
    let bytes = client
        .export_table(table, params)
        .await
        .expect("the export succeeds");
    String::from_utf8(bytes).expect("the export is UTF-8")
}

/// Exports the whole table, as text.
pub async fn export_csv(client: &Client, table: &TableId) -> String {
    export_with(client, table, &ExportParams::default()).await
}

/// The sum of the byte lengths of all values, what `dataSizeBytes` counts.
pub fn value_bytes(rows: &[&[&str]]) -> u64 {
    rows.iter()
        .flat_map(|r| r.iter())
        .map(|v| v.len() as u64)
        .sum()
}

pub use stackport_testkit::files_under;

/// Asserts that no file under `dir` holds `secret`'s bytes.
#[track_caller]
pub fn assert_no_plaintext(dir: &Path, secret: &str) {
    assert!(
        secret.len() >= 8,
        "a secret this short could match by chance"
    );
    let files = files_under(dir);
    assert!(files.iter().any(|f| f.ends_with("metadata.sqlite")));
    for file in files {
        // SQLite removes a -wal or -shm file when its last connection closes, which can still
        // happen just after a stop; what it held is in the database file by then.
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", file.display()),
        };
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} holds a secret in plain text",
            file.display()
        );
    }
}
