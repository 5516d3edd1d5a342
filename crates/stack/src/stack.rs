use std::path::{Path, PathBuf};
use std::sync::Arc;

use stackport_model::api::{Project, StackInfo};
use stackport_model::{BackendName, ProjectId};

use crate::backend::{BackendRegistry, TableBackend};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::files::FileStore;
use crate::jobs::JobControl;
use crate::registry::Registry;
use crate::secrets::Keyring;
use crate::settings::StackSettings;
use crate::store::{Meta, MetadataStore};
use crate::table_servers::PostgresServer;
use crate::{fsutil, secret};

/// The storage a stack runs on, one implementation per seam, chosen by whoever opens the stack
/// (the embedded default is `stackport_stack_sqlite::open`).
pub struct Storage {
    /// Projects, tokens, the catalog, configurations, jobs, events.
    pub metadata: Box<dyn MetadataStore>,
    /// Where table rows live: every backend this build implements; the stack keeps those its
    /// settings offer and refuses settings naming one it lacks.
    pub tables: Vec<Arc<dyn TableBackend>>,
    /// Where the bytes of Storage files live.
    pub files: Box<dyn FileStore>,
}

/// A running stack over its data dir.
pub struct Stack {
    pub(crate) settings: StackSettings,
    pub(crate) store: Meta,
    pub(crate) backends: BackendRegistry,
    pub(crate) files: Box<dyn FileStore>,
    pub(crate) dir: PathBuf,
    /// Seals and opens secrets; its key is derived from `master.key` and never leaves the stack.
    pub(crate) keyring: Keyring,
    pub(crate) registry: Registry,
    /// The job queue's wake-up and the stop switches of running jobs.
    pub(crate) jobs: JobControl,
    /// Uncommitted blocks of blob uploads, in memory: a restart drops them.
    pub(crate) blocks: crate::blob::BlockLogs,
    /// How storage jobs read a `dataUrl`; none until the server installs one.
    pub(crate) url_fetch: std::sync::OnceLock<Arc<dyn crate::url_fetch::UrlFetch>>,
}

const SETTINGS_FILE: &str = "stack.json";
const MASTER_KEY_FILE: &str = "master.key";
/// Where request bodies are spooled; its files are unlinked at once, so a name found here at
/// start is one a crash left between creating and unlinking it.
const SPOOL_DIR: &str = "spool";

impl Stack {
    /// Writes a new stack's settings and master key into `dir`, registering the PostgreSQL
    /// servers `postgres` gives (URLs whose passwords are sealed, see
    /// [`crate::table_servers`]) as `pg1`, `pg2`, …; with any, the stack offers `postgresql`.
    /// Refuses a dir that already holds a stack: its keys would no longer open its secrets.
    pub fn init(dir: &Path, settings: &StackSettings, postgres: &[String]) -> Result<()> {
        // Everything that can be refused is refused before the dir is touched.
        let with_servers = |keyring: &Keyring| -> Result<StackSettings> {
            let mut s = settings.clone();
            for url in postgres {
                let id = format!("pg{}", s.postgres.len() + 1);
                s.postgres
                    .push(PostgresServer::register(&id, url, keyring)?);
            }
            if !s.postgres.is_empty() && !s.backends.contains(&BackendName::POSTGRESQL) {
                s.backends.push(BackendName::POSTGRESQL);
            }
            s.validate()?;
            Ok(s)
        };
        with_servers(&Keyring::new(&settings.id, [0; 32]))?;
        std::fs::create_dir_all(dir)?;
        let path = dir.join(SETTINGS_FILE);
        if path.exists() {
            return Err(Error::conflict(
                "stack.exists",
                format!(
                    "{} already holds a stack; edit its {SETTINGS_FILE} or choose another directory",
                    dir.display()
                ),
            ));
        }
        let keyring = Keyring::new(&settings.id, ensure_master_key(dir)?);
        with_servers(&keyring)?.save(&path)
    }

    /// Registers one more PostgreSQL server in the (stopped) stack in `dir`, its password
    /// sealed; returns its id. New `postgresql` projects may be placed on it from the next
    /// start; projects already placed stay where they are.
    pub fn add_postgres_server(dir: &Path, url: &str) -> Result<String> {
        let path = dir.join(SETTINGS_FILE);
        if !path.exists() {
            return Err(Error::not_found(
                "stack.notFound",
                format!(
                    "{} holds no stack; create one with `stackport stack init`",
                    dir.display()
                ),
            ));
        }
        let mut settings = StackSettings::load(&path)?;
        let keyring = Keyring::new(&settings.id, ensure_master_key(dir)?);
        let id = (1..)
            .map(|n| format!("pg{n}"))
            .find(|id| settings.postgres.iter().all(|s| s.id != *id))
            .expect("an unused id");
        settings
            .postgres
            .push(PostgresServer::register(&id, url, &keyring)?);
        if !settings.backends.contains(&BackendName::POSTGRESQL) {
            settings.backends.push(BackendName::POSTGRESQL);
        }
        settings.save(&path)?;
        Ok(id)
    }

    /// Opens the stack in `dir` on the storage `storage` builds from its settings; a dir without
    /// settings gets `default_settings()` first.
    pub fn open_with(
        dir: &Path,
        default_settings: impl FnOnce() -> StackSettings,
        storage: impl FnOnce(&Path, &StackSettings, &Keyring) -> Result<Storage>,
    ) -> Result<Stack> {
        std::fs::create_dir_all(dir)?;
        let settings_path = dir.join(SETTINGS_FILE);
        if !settings_path.exists() {
            Stack::init(dir, &default_settings(), &[])?;
        }
        let settings = StackSettings::load(&settings_path)?;
        let keyring = Keyring::new(&settings.id, ensure_master_key(dir)?);
        let Storage {
            metadata,
            tables,
            files,
        } = storage(dir, &settings, &keyring)?;
        let backends = BackendRegistry::new(tables, &settings)?;
        let registry = Registry::open(dir)?;
        match std::fs::remove_dir_all(dir.join(SPOOL_DIR)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        let stack = Stack {
            keyring,
            settings,
            store: Meta::new(metadata, Arc::new(SystemClock)),
            backends,
            files,
            dir: dir.to_path_buf(),
            registry,
            jobs: JobControl::default(),
            blocks: Default::default(),
            url_fetch: Default::default(),
        };
        stack.sweep_orphaned_tables()?;
        stack.sweep_sandboxes()?;
        stack.recover_jobs()?;
        stack.recover_storage_jobs()?;
        let swept = stack.sweep_stored_files()?;
        if swept > 0 {
            tracing::warn!(files = swept, "removed stored files that had no record");
        }
        Ok(stack)
    }

    /// A new file for spooling a request body: owner-only, and already unlinked, so it takes no
    /// name on disk and vanishes with its handle, also in a crash.
    pub fn spool_file(&self) -> Result<std::fs::File> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = self.dir.join(SPOOL_DIR);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(secret::random_string(24));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(file)
    }

    /// The same stack going by `clock`: a test moves it to see schedules fire.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Stack {
        self.store.set_clock(clock);
        self
    }

    /// Lets storage jobs fetch `dataUrl` through `fetch`; the first one installed stays.
    pub fn install_url_fetch(&self, fetch: Arc<dyn crate::url_fetch::UrlFetch>) {
        let _ = self.url_fetch.set(fetch);
    }

    /// Now, by the stack's clock: every time the stack records comes from here.
    pub(crate) fn now_micros(&self) -> i64 {
        self.store.now_micros()
    }

    /// The stack's settings.
    pub fn settings(&self) -> &StackSettings {
        &self.settings
    }

    /// The URL of a Storage API path on this stack (`buckets/in.c-x`), for the `uri` fields
    /// the reference platform puts in its answers and its clients read.
    pub(crate) fn storage_url(&self, path: &str) -> String {
        format!(
            "{}/v2/storage/{path}",
            self.settings.url.trim_end_matches('/')
        )
    }

    /// What `GET /v2/storage` shows.
    pub fn info(&self) -> StackInfo {
        let s = &self.settings;
        StackInfo {
            id: s.id.clone(),
            name: s.name.clone(),
            region: s.region.clone(),
            url: s.url.clone(),
            ip_addresses: s.ip_addresses.clone(),
            backends: s.backends.iter().map(|b| b.to_string()).collect(),
            default_backend: s.default_backend.to_string(),
            components: self.registry.all(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    /// Runs `f` as the project's only writer of table data (imports and structure changes).
    pub(crate) fn as_project_writer<T>(
        &self,
        project: ProjectId,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let _guard = self.store.lock_project_writer(project)?;
        f()
    }

    /// The backend holding a project's tables.
    pub(crate) fn project_backend(&self, project: &Project) -> Result<&dyn TableBackend> {
        self.backend(&project.backend, project.placement.as_deref())
    }

    /// The backend `name` on the server `placement`, as a project's record names them.
    pub(crate) fn backend(&self, name: &str, placement: Option<&str>) -> Result<&dyn TableBackend> {
        self.backends.get(name, placement).ok_or_else(|| {
            Error::new(
                crate::ErrorKind::Unavailable,
                "storage.backend.notConfigured",
                match placement {
                    Some(server) => format!(
                        "the project's tables are on {name} server '{server}', which this \
                         stack's settings no longer register; add it back to stack.json"
                    ),
                    None => format!(
                        "the project's tables are in backend '{name}', which this stack no \
                         longer offers; add it back to stack.json"
                    ),
                },
            )
        })
    }
}

/// Reads the master key, creating it (owner-readable only) on first use.
fn ensure_master_key(dir: &Path) -> Result<[u8; 32]> {
    let path = dir.join(MASTER_KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            Error::internal(
                "reading the master key",
                format!(
                    "{} is not 32 bytes; restore it from your backup",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = secret::random_key();
            fsutil::write_atomic(&path, &key, true)?;
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}
