//! A real server whose stack offers a PostgreSQL backend (a fresh database on the test
//! cluster) besides SQLite, and the few things the workspace and transformation tests share:
//! a project on either backend, a table with rows, a login with a workspace's credentials.

#![allow(dead_code)] // each test binary uses its part

use std::sync::Arc;
use std::time::Duration;

use stackport_client::{Client, ImportParams};
use stackport_model::api::{NewBucket, NewProject, NewTable, WorkspaceConnection};
use stackport_model::{BackendName, ColumnName, ProjectId, Stage, TableId};
use stackport_stack::table_servers::PostgresServer;
use stackport_stack::{Stack, StackSettings};
use stackport_testkit::postgres::Cluster;
use stackport_testkit::stack::Backend;
use stackport_testkit::TempDir;
use tokio::sync::oneshot;

pub const MANAGE_TOKEN: &str = "test-manage-token-0123456789abcdefghij";
pub const WAIT: Duration = Duration::from_secs(60);

/// A served stack; the server stops when it is dropped.
pub struct App {
    pub url: String,
    /// The superuser URL of the stack's PostgreSQL database.
    pub db_url: String,
    pub manage: Client,
    _dir: TempDir,
    _stop: oneshot::Sender<()>,
}

/// Serves a new stack on a fresh database, `settings` applied to the local defaults.
pub async fn spawn(settings: impl FnOnce(&mut StackSettings) + Send + 'static) -> App {
    let dir = TempDir::new("pg-served");
    let db_url = blocking(|| Cluster::shared().fresh_database("served")).await;
    let (path, url) = (dir.to_path_buf(), db_url.clone());
    let stack = blocking(move || {
        let stack = open_stack(&path, &url, settings);
        stack.ensure_manage_token(Some(MANAGE_TOKEN)).unwrap();
        stack
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(stackport_server::serve(
        listener,
        Arc::new(stack),
        async move {
            let _ = stopped.await;
        },
    ));
    let url = format!("http://{addr}");
    App {
        manage: Client::new(&url).with_manage_token(MANAGE_TOKEN),
        url,
        db_url,
        _dir: dir,
        _stop: stop,
    }
}

/// Opens the stack in `dir` as `serve` would, with the PostgreSQL database at `db_url`
/// registered as server `pg1` (SQLite stays the default backend).
pub fn open_stack(
    dir: &std::path::Path,
    db_url: &str,
    settings: impl FnOnce(&mut StackSettings),
) -> Stack {
    let url = db_url.to_string();
    stackport_testkit::stack::open_on(dir, Backend::Sqlite, None, move |s| {
        s.postgres.push(PostgresServer {
            id: "pg1".into(),
            url,
            sealed_password: None,
            accepts_new_projects: true,
        });
        s.backends.push(BackendName::POSTGRESQL);
        settings(s);
    })
}

impl App {
    /// A new project on `backend` and a client with its master token.
    pub async fn project(&self, backend: &str) -> (ProjectId, Client) {
        let created = self
            .manage
            .create_project(&NewProject {
                name: format!("on {backend}"),
                backend: Some(backend.into()),
            })
            .await
            .expect("the project is created");
        (
            created.project.id,
            Client::new(&self.url).with_storage_token(created.token),
        )
    }
}

/// `in.c-main.<name>` with columns `id, v` holding `rows`.
pub async fn table_with(client: &Client, name: &str, rows: &[(&str, &str)]) -> TableId {
    let bucket = match client
        .create_bucket(&NewBucket {
            name: "main".into(),
            stage: Stage::In,
            display_name: None,
            description: None,
            backend: None,
        })
        .await
    {
        Ok(b) => b.id,
        Err(_) => "in.c-main".parse().unwrap(),
    };
    let table = client
        .create_table(
            &bucket,
            &NewTable {
                name: name.into(),
                columns: ["id", "v"].map(|c| ColumnName::parse(c).unwrap()).to_vec(),
                ..Default::default()
            },
        )
        .await
        .expect("the table is created");
    let mut csv = String::from("\"id\",\"v\"\n");
    for (id, v) in rows {
        csv.push_str(&format!("\"{id}\",\"{v}\"\n"));
    }
    client
        .import_table(&table.id, &ImportParams::default(), csv)
        .await
        .expect("the rows are imported");
    table.id
}

/// Runs `f` (blocking PostgreSQL calls) off the async runtime.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Logs in as a workspace's user, as any PostgreSQL client would.
pub fn login(c: &WorkspaceConnection, password: &str) -> Result<postgres::Client, postgres::Error> {
    postgres::Config::new()
        .host(&c.host)
        .port(c.port.expect("a PostgreSQL workspace shows its port"))
        .dbname(&c.database)
        .user(&c.user)
        .password(password)
        .connect(postgres::NoTls)
}

/// The SQLSTATE of a failed statement (`42501`: insufficient privilege).
pub fn sqlstate(e: &postgres::Error) -> String {
    e.code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| e.to_string())
}

/// The superuser's session on the stack's database.
pub fn superuser(db_url: &str) -> postgres::Client {
    postgres::Client::connect(db_url, postgres::NoTls).unwrap()
}

/// The roles and schemas of transformation sandboxes of the stack's database (roles belong to
/// the whole cluster, which tests share: only this database's prefix counts).
pub fn sandboxes(db_url: &str) -> Vec<String> {
    let mut su = superuser(db_url);
    let prefix = sandbox_prefix(&mut su);
    let mut names: Vec<String> = su
        .query(
            "SELECT rolname::text FROM pg_roles WHERE starts_with(rolname, $1) \
             UNION ALL SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, '_sandbox_')",
            &[&prefix],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    names.sort();
    names
}

/// What the stack's sandbox roles on this database start with (the database name's hash).
pub fn sandbox_prefix(su: &mut postgres::Client) -> String {
    use sha2::Digest;
    let db: String = su
        .query_one("SELECT current_database()::text", &[])
        .unwrap()
        .get(0);
    format!(
        "sp{}_sandbox_",
        &hex::encode(sha2::Sha256::digest(db.as_bytes()))[..10]
    )
}
