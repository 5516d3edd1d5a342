use serde::{Deserialize, Serialize};

use crate::ids::ComponentId;

/// What a component does; decides where it shows up and what a migration checks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComponentType {
    /// Brings data into Storage.
    Extractor,
    /// Sends data out of Storage.
    Writer,
    /// Anything else that runs: data apps, utilities.
    Application,
    /// Runs code (SQL, Python) over Storage tables.
    Transformation,
    /// Runs other configurations in order.
    Orchestrator,
}

/// Something a stack creates in accounts it owns, for a configuration of this component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provision {
    /// A SQL workspace in the stack's own backend.
    Workspace,
    /// A project in the stack's BI account.
    BiProject,
}

impl Provision {
    /// The name people read in a report: `workspace`, `BI project`.
    pub fn label(self) -> &'static str {
        match self {
            Provision::Workspace => "workspace",
            Provision::BiProject => "BI project",
        }
    }
}

/// The stack's OAuth application for a component: users authorize it, the stack keeps the
/// resulting credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthApp {
    /// The application's public id at the provider.
    pub app_key: String,
    /// `1.0` or `2.0`.
    #[serde(default = "oauth_version")]
    pub version: String,
    /// Where users go to authorize it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
}

fn oauth_version() -> String {
    "2.0".into()
}

/// Flag of a component that should no longer be used; a migration refuses to carry its
/// configurations to a stack where it is deprecated or missing.
pub const DEPRECATED: &str = "deprecated";

/// One entry of a stack's component registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// E.g. `keboola.ex-db-mysql`.
    pub id: ComponentId,
    /// What it does.
    #[serde(rename = "type")]
    pub component_type: ComponentType,
    /// A name for people.
    pub name: String,
    /// One line for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Markers such as `deprecated`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// The component to move to instead of a deprecated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<ComponentId>,
    /// What the stack provisions for each configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisions: Option<Provision>,
    /// The stack's OAuth application, for components that authorize with OAuth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthApp>,
    /// How this stack runs the component's jobs; none when it cannot run them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<Runner>,
}

/// How a stack runs a component's jobs. Every kind may set `timeoutSeconds`: the job is stopped
/// and fails after that many seconds; without it the stack's `jobs.timeLimitSeconds` applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Runner {
    /// An SQL transformation, run by the stack in a fresh workspace of the project's backend.
    #[serde(rename = "sql", rename_all = "camelCase")]
    Sql {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_seconds: Option<u64>,
        /// The backend whose SQL the scripts are written in (`postgresql`); none for SQLite.
        /// A project on another backend refuses to run it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backend: Option<String>,
    },
    /// A program run through the common interface (`docs/common-interface.md`): `command` is the
    /// executable and its arguments.
    #[serde(rename = "program", rename_all = "camelCase")]
    Program {
        command: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_seconds: Option<u64>,
    },
}

impl Runner {
    /// The registry's own time limit for this component's jobs, if it sets one.
    pub fn timeout_seconds(&self) -> Option<u64> {
        match self {
            Runner::Sql {
                timeout_seconds, ..
            }
            | Runner::Program {
                timeout_seconds, ..
            } => *timeout_seconds,
        }
    }

    /// The backend an SQL transformation runs in (`sqlite` unless the entry names another);
    /// none for a program.
    pub fn sql_backend(&self) -> Option<&str> {
        match self {
            Runner::Sql { backend, .. } => Some(backend.as_deref().unwrap_or("sqlite")),
            Runner::Program { .. } => None,
        }
    }

    /// Whether this is an SQL transformation, the only kind that can run as a dry run.
    pub fn is_sql(&self) -> bool {
        matches!(self, Runner::Sql { .. })
    }
}

impl Component {
    /// Whether the component carries the `deprecated` flag.
    pub fn is_deprecated(&self) -> bool {
        self.flags.iter().any(|f| f == DEPRECATED)
    }
}
