//! Queries of listings and of the few other endpoints that take options.

use super::query;
use crate::{ComponentId, ConfigId, EventId, ProjectId};

query! {
    /// Listings of buckets and tables: which extra parts each item carries.
    pub struct IncludeQuery {
        /// Extra parts, comma-separated: `columns`, `metadata`, `columnMetadata` (tables), `metadata` (buckets).
        pub include: Option<Vec<String>> = list "include",
    }
}

impl IncludeQuery {
    /// Whether `include` names `part`.
    pub fn includes(&self, part: &str) -> bool {
        self.include
            .as_ref()
            .is_some_and(|l| l.iter().any(|i| i == part))
    }
}

query! {
    /// `DELETE /v2/storage/buckets/{id}`.
    pub struct BucketDeleteQuery {
        /// Also delete the bucket's tables.
        pub force: bool = flag "force",
        /// Answer 202 with a storage job that deletes the bucket, instead of deleting it now.
        pub asynchronous: bool = flag "async",
    }
}

query! {
    /// `GET /v2/storage/events`.
    pub struct EventListQuery {
        /// Only of this object type: bucket, table, file, token or project.
        pub object_type: Option<String> = string "objectType",
        /// Only of this object (its id).
        pub object_id: Option<String> = string "objectId",
        /// Only events after this one.
        pub since_id: Option<EventId> = parse "sinceId",
        /// At most this many (1 to 1000, default 100).
        pub limit: Option<u32> = parse "limit",
    }
}

query! {
    /// `GET /v2/storage/jobs`.
    pub struct JobListQuery {
        /// Only jobs of this component.
        pub component: Option<String> = string "component",
        /// Only jobs of this configuration.
        pub config: Option<String> = string "config",
        /// Only jobs in this status: waiting, processing, success, error or cancelled.
        pub status: Option<String> = string "status",
        /// Only this run: the job and every job it started.
        pub run_id: Option<String> = string "runId",
        /// At most this many (1 to 1000, default 100).
        pub limit: Option<u32> = parse "limit",
    }
}

query! {
    /// `GET /v2/storage/components`.
    pub struct ComponentListQuery {
        /// Comma-separated parts: `configuration,rows,state`.
        pub include: Option<Vec<String>> = list "include",
        /// List the trash.
        pub is_deleted: bool = flag "isDeleted",
        /// Only components of this type: extractor, writer, application, transformation or orchestrator.
        pub component_type: Option<String> = string "componentType",
    }
}

query! {
    /// `GET /v2/storage/components/{component}/configs`.
    pub struct ConfigListQuery {
        /// Comma-separated parts: `configuration,rows,state` (all when left out).
        pub include: Option<Vec<String>> = list "include",
        /// List the trash.
        pub is_deleted: bool = flag "isDeleted",
    }
}

query! {
    /// `POST /v2/storage/encrypt` (and its aliases).
    pub struct EncryptQuery {
        /// The component that may open the ciphertexts.
        pub component_id: Option<ComponentId> = parse "componentId",
        /// The project that may open them.
        pub project_id: Option<ProjectId> = parse "projectId",
        /// The configuration that may open them (needs both of the above).
        pub config_id: Option<ConfigId> = parse "configId",
    }
}

query! {
    /// `POST /manage/projects/{id}/tokens`.
    pub struct MasterTokenQuery {
        /// What the token is for.
        pub description: Option<String> = string "description",
    }
}
