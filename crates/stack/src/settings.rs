//! A stack's settings file (`stack.json` in its data dir): who the stack is and its limits.

use std::path::Path;

use serde::{Deserialize, Serialize};
use stackport_model::BackendName;

use crate::error::{Error, Result};
use crate::table_servers::PostgresServer;

/// Limits the stack enforces where each resource is spent, so that one request, one slow client
/// or one project cannot exhaust what the others need. Every field is documented with its default
/// in `docs/api.md` ("Limits"); all are optional in `stack.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Limits {
    /// Most bytes of CSV one import may carry as sent (after gzip).
    pub max_import_bytes: u64,
    /// Most bytes of CSV one import may carry once decompressed: a small gzip body can expand
    /// a thousandfold, so the compressed size alone bounds nothing.
    pub max_import_decompressed_bytes: u64,
    /// Most bytes of one CSV value. A value is held in memory whole while it is checked.
    pub max_value_bytes: u64,
    /// Most bytes of one CSV record (all its values).
    pub max_record_bytes: u64,
    /// Most bytes one uploaded file may have.
    pub max_file_bytes: u64,
    /// Deepest nesting of arrays and objects in a JSON document the stack takes in. The
    /// reference platform's documents are shallow; deep ones only serve to exhaust the stack.
    pub max_json_depth: usize,
    /// Most columns a table may have (the stack adds two of its own; SQLite allows 2,000).
    pub max_columns: usize,
    /// Seconds a request body may go without a byte arriving before the request is dropped.
    pub body_idle_timeout_seconds: u64,
    /// Most open client connections; one more is answered 503 at once and closed.
    pub max_connections: usize,
    /// Most bulk data streams (imports being applied, exports, file downloads) at once, across
    /// all projects: each holds a thread, and threads are what ordinary requests need too.
    pub max_transfers: usize,
}

/// The hard ceiling of [`Limits::max_columns`]: SQLite's 2,000 less the stack's own two.
pub const MAX_COLUMNS_CEILING: usize = 1_998;
/// The hard ceiling of [`Limits::max_json_depth`]: the scanners recurse once per level.
pub const MAX_JSON_DEPTH_CEILING: usize = stackport_model::json_depth::MAX_DEPTH;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_import_bytes: 50 * GIB,
            max_import_decompressed_bytes: 200 * GIB,
            max_value_bytes: 16 * MIB,
            max_record_bytes: 64 * MIB,
            max_file_bytes: 5 * GIB,
            max_json_depth: 100,
            max_columns: 1_000,
            body_idle_timeout_seconds: 30,
            max_connections: 4_096,
            max_transfers: 64,
        }
    }
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Stored bytes one project may hold, per kind; a write that would go over is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Quotas {
    /// Table data (rows of all tables, as the backend reports their size).
    pub table_bytes: u64,
    /// Uploaded files.
    pub file_bytes: u64,
    /// Provisioned workspaces.
    pub workspace_bytes: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            table_bytes: 500 * GIB,
            file_bytes: 100 * GIB,
            workspace_bytes: 50 * GIB,
        }
    }
}

/// How a served stack runs jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct JobSettings {
    /// Worker threads running SQL transformations and programs (orchestrations get their own).
    pub workers: usize,
    /// Seconds a job may run before it is stopped, unless its component's registry entry says
    /// otherwise (`runner.timeoutSeconds`).
    pub time_limit_seconds: u64,
    /// Most jobs of one project running at once, so that one project cannot hold every worker
    /// while others wait.
    pub max_running_per_project: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            workers: 2,
            time_limit_seconds: 3_600,
            max_running_per_project: 1,
        }
    }
}

/// Where components running on the stack may connect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct NetworkSettings {
    /// Addresses or CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `::1/128`) that components may
    /// reach although they are loopback, private, link-local or unspecified. Empty by default:
    /// in a cloud such addresses include the instance metadata service.
    pub outbound_allow: Vec<String>,
}

/// The BI service account a stack owns; BI writer configurations get projects in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiAccount {
    /// The account's id at the BI service.
    pub id: String,
    /// A name for people.
    pub name: String,
}

/// The contents of `stack.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackSettings {
    /// A short stable id such as `eu-central`; part of every ciphertext's binding.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// The region the data lives in.
    pub region: String,
    /// The public base URL.
    pub url: String,
    /// Addresses the stack connects out from.
    pub ip_addresses: Vec<String>,
    /// Backends the stack offers; each must be one this build has (checked at `Stack::open`,
    /// where the storage says which it implements).
    pub backends: Vec<BackendName>,
    /// The backend of new projects; one of `backends`.
    pub default_backend: BackendName,
    /// Size limits.
    #[serde(default)]
    pub limits: Limits,
    /// Stored bytes per project.
    #[serde(default)]
    pub quotas: Quotas,
    /// Job workers and time limits.
    #[serde(default)]
    pub jobs: JobSettings,
    /// Outbound connections of components.
    #[serde(default)]
    pub network: NetworkSettings,
    /// The stack's BI account; without one, BI projects cannot be provisioned here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bi_account: Option<BiAccount>,
    /// The PostgreSQL servers `postgresql` projects are placed on; required when the stack
    /// offers that backend.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postgres: Vec<PostgresServer>,
}

impl StackSettings {
    /// The settings a fresh `serve` without `stack init` gets.
    pub fn local_default(listen: &str) -> Self {
        StackSettings {
            id: "local".into(),
            name: "Local stack".into(),
            region: "local".into(),
            url: format!("http://{listen}"),
            ip_addresses: vec!["127.0.0.1".into()],
            backends: vec![BackendName::SQLITE],
            default_backend: BackendName::SQLITE,
            limits: Limits::default(),
            quotas: Quotas::default(),
            jobs: JobSettings::default(),
            network: NetworkSettings::default(),
            bi_account: Some(BiAccount {
                id: "local-bi".into(),
                name: "Local BI account".into(),
            }),
            postgres: Vec::new(),
        }
    }

    /// Checks what a hand-edited file could get wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::invalid("stack.invalidSettings", m));
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(format!(
                "stack id '{}' must be letters, digits, '-' or '_'",
                self.id
            ));
        }
        if self.backends.is_empty() {
            return bad("a stack must offer at least one backend".into());
        }
        if !self.backends.contains(&self.default_backend) {
            return bad(format!(
                "default backend '{}' is not one of the backends {:?}",
                self.default_backend, self.backends
            ));
        }
        let offers_postgres = self.backends.contains(&BackendName::POSTGRESQL);
        if offers_postgres == self.postgres.is_empty() {
            return bad(if offers_postgres {
                "the stack offers the backend 'postgresql' but registers no PostgreSQL server; \
                 add one with `stackport stack add-postgres DIR URL`"
                    .into()
            } else {
                "PostgreSQL servers are registered but 'postgresql' is not one of the backends; \
                 add it to \"backends\""
                    .into()
            });
        }
        for (i, server) in self.postgres.iter().enumerate() {
            server.validate()?;
            if self.postgres[..i].iter().any(|s| s.id == server.id) {
                return bad(format!(
                    "two PostgreSQL servers have the id '{}'",
                    server.id
                ));
            }
        }
        let l = &self.limits;
        if l.max_columns == 0 || l.max_columns > MAX_COLUMNS_CEILING {
            return bad(format!(
                "limits.maxColumns is {}; it must be between 1 and {MAX_COLUMNS_CEILING}",
                l.max_columns
            ));
        }
        if l.max_json_depth < 2 || l.max_json_depth > MAX_JSON_DEPTH_CEILING {
            return bad(format!(
                "limits.maxJsonDepth is {}; it must be between 2 and {MAX_JSON_DEPTH_CEILING}",
                l.max_json_depth
            ));
        }
        if l.max_value_bytes == 0 || l.max_record_bytes < l.max_value_bytes {
            return bad(format!(
                "limits.maxValueBytes ({}) must be at least 1 \
                 and limits.maxRecordBytes ({}) at least as large",
                l.max_value_bytes, l.max_record_bytes
            ));
        }
        if l.body_idle_timeout_seconds == 0 || l.max_connections == 0 || l.max_transfers == 0 {
            return bad("limits.bodyIdleTimeoutSeconds, limits.maxConnections \
                 and limits.maxTransfers must be at least 1"
                .into());
        }
        if self.jobs.workers == 0
            || self.jobs.max_running_per_project == 0
            || self.jobs.time_limit_seconds == 0
        {
            return bad("jobs.workers, jobs.maxRunningPerProject \
                 and jobs.timeLimitSeconds must be at least 1"
                .into());
        }
        if let Err(e) = crate::jobs::outbound::AllowList::parse(&self.network.outbound_allow) {
            return bad(format!("network.outboundAllow: {e}"));
        }
        for ip in &self.ip_addresses {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return bad(format!("'{ip}' is not an IP address"));
            }
        }
        Ok(())
    }

    /// Reads and validates a settings file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let settings: StackSettings = serde_json::from_str(&text).map_err(|e| {
            Error::invalid(
                "stack.invalidSettings",
                format!("{} is not valid: {e}", path.display()),
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Writes the settings file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.validate()?;
        let text = serde_json::to_string_pretty(self)?;
        crate::fsutil::write_atomic(path, text.as_bytes(), false)
    }
}
