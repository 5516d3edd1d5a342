//! A real PostgreSQL server for the tests: one private cluster per test process, started by
//! `scripts/postgres` (the same script developers use), and one fresh database per test, so tests
//! never see each other's tables and need no cleanup. `STACKPORT_TEST_POSTGRES` points the tests at a
//! server of the developer's own instead. There is no skipping: if no server can be had the test
//! fails, saying what is missing, since a PostgreSQL test that silently passes proves nothing.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The superuser URL of an already running server to use instead of starting one.
pub const URL_VAR: &str = "STACKPORT_TEST_POSTGRES";

/// A PostgreSQL server the tests may create databases on, reached as a superuser.
#[derive(Debug)]
pub struct Cluster {
    url: String,
}

impl Cluster {
    /// The cluster of this test process, started on first use. The script is told this process's
    /// id, and its watchdog stops the server and removes its directory when the process ends,
    /// however it ends: statics are never dropped, so a Drop guard could not do it.
    pub fn shared() -> &'static Cluster {
        static SHARED: OnceLock<Cluster> = OnceLock::new();
        SHARED.get_or_init(Cluster::start)
    }

    fn start() -> Cluster {
        if let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.trim().is_empty()) {
            return Cluster {
                url: url.trim().to_owned(),
            };
        }
        let script = script();
        let out = Command::new("bash")
            .arg(&script)
            .arg("--watch")
            .arg(std::process::id().to_string())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e} (is bash installed?)", script.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let url = stdout.lines().last().unwrap_or("").trim();
        if !out.status.success() || !url.starts_with("postgres://") {
            panic!(
                "the PostgreSQL tests need a server and {} could not start one ({}):\n{}\n\
                 Install the PostgreSQL server, or set {URL_VAR}=postgres://USER@HOST:PORT/postgres \
                 to a server of your own.",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Cluster {
            url: url.to_owned(),
        }
    }

    /// The superuser URL, for a test that must act as the server's administrator.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Creates an empty database whose name starts with `prefix` (made safe as an identifier) and
    /// returns its superuser URL. The name also holds this process's id and a counter, so tests in
    /// parallel, and test processes sharing a developer's server, never get the same one. Nothing
    /// drops it: a private cluster goes with its process, and on a server of one's own the databases
    /// of a failed test stay to be looked into.
    pub fn fresh_database(&self, prefix: &str) -> String {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let mut safe: String = prefix
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(32)
            .collect();
        if safe.is_empty() {
            safe.push_str("test");
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "{safe}_{}_{}_{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = self.connect();
        // From PostgreSQL 15 a new database is written to the WAL block by block; copying the
        // template's files is several times cheaper, and every stack a test opens on
        // PostgreSQL pays for one.
        let version: i32 = admin
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .map(|row| row.get(0))
            .unwrap_or(0);
        let strategy = if version >= 150_000 {
            " STRATEGY FILE_COPY"
        } else {
            ""
        };
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\"{strategy}"))
            .unwrap_or_else(|e| panic!("creating the test database {name} on {}: {e}", self.url));
        with_database(&self.url, &name)
    }

    /// A superuser connection to the cluster's `postgres` database.
    pub fn connect(&self) -> ::postgres::Client {
        ::postgres::Client::connect(&self.url, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL at {}: {e}", self.url))
    }
}

/// `url` with its database (the path) replaced by `database`, keeping any `?options`.
pub fn with_database(url: &str, database: &str) -> String {
    stackport_stack::table_servers::with_database(url, database)
        .unwrap_or_else(|e| panic!("the test PostgreSQL URL: {e}"))
}

/// `scripts/postgres` of this checkout, found from the crate's own path at build time.
fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres")
}
