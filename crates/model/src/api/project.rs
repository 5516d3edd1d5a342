use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::ProjectId;
use crate::time::{serde_rfc3339, Timestamp};

/// A project on a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Assigned by the stack.
    pub id: ProjectId,
    /// A name for people.
    pub name: String,
    /// The table storage backend the project's tables live in.
    pub backend: String,
    /// Which of the stack's servers of that backend holds the project's tables (the id of a
    /// PostgreSQL server in its `stack.json`); none for the embedded backend. Chosen when the
    /// project is created and never changed, so its tables are always found where they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    /// The backend a workspace gets when none is asked: the project's own. kbcstorage reads
    /// it (token verify's `owner.defaultBackend`) before creating a workspace, and would make
    /// Snowflake key pairs were it `snowflake`.
    #[serde(default)]
    pub default_backend: String,
    /// Feature flags of the project.
    #[serde(default)]
    pub features: Vec<String>,
    /// When the project was created.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
}

/// Body of `POST /manage/projects`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProject {
    /// A name for people.
    pub name: String,
    /// The backend; the stack's default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// Answer of `POST /manage/projects`: the project and a master token for it, shown only here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedProject {
    /// The new project.
    #[serde(flatten)]
    pub project: Project,
    /// A master Storage API token of the project; the stack keeps only its hash.
    pub token: String,
}
