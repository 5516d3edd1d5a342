//! The nouns of stackport: typed identifiers and the JSON shapes of the stack's HTTP API.
//!
//! Both the server and the typed client use these types, so a field renamed here is renamed on
//! both sides of the wire at once. Field names follow the reference platform's Storage API
//! (camelCase), see `docs/api.md`.

pub mod api;
pub mod backend_name;
pub mod ids;
pub mod json_depth;
pub mod secret_json;
pub mod time;

pub use backend_name::BackendName;
pub use ids::{
    BucketId, ColumnName, ComponentId, ConfigId, CredentialsId, EventId, FileId, IdError, JobId,
    MetadataId, OrchestrationId, ProjectId, RowId, Stage, StorageJobId, TableId, TokenId,
    TriggerId, WorkspaceId,
};
