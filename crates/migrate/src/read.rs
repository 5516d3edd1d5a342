//! Reads everything a migration needs to know about the source project, with read-only calls.

use stackport_client::{Client, ClientError, EventQuery, JobQuery};
use stackport_model::api::query::StorageJobListQuery;
use stackport_model::api::{
    Bucket, Configuration, MetadataEntry, Orchestration, ProvisionedResource, Table, Trigger,
    VerifiedToken,
};
use stackport_model::ComponentId;

use crate::error::{ApiContext, Result};
use crate::snapshot::format::{NotMoved, TokenEntry, TrashedConfig, UserEntry};

/// The most files or events a listing returns; counts at this value mean "at least".
pub(crate) const LISTING_LIMIT: u32 = 1000;

/// The source project as the migration sees it.
pub(crate) struct SourceProject {
    pub verified: VerifiedToken,
    pub buckets: Vec<Bucket>,
    pub tables: Vec<Table>,
    pub configs: Vec<(ComponentId, Configuration)>,
    pub orchestrations: Vec<Orchestration>,
    pub triggers: Vec<Trigger>,
    pub provisioned: Vec<ProvisionedResource>,
    pub metadata: Vec<MetadataEntry>,
    pub not_moved: NotMoved,
}

impl SourceProject {
    pub(crate) fn data_rows(&self) -> u64 {
        self.tables
            .iter()
            .filter(|t| !t.is_alias)
            .map(|t| t.rows_count)
            .sum()
    }

    pub(crate) fn data_bytes(&self) -> u64 {
        self.tables
            .iter()
            .filter(|t| !t.is_alias)
            .map(|t| t.data_size_bytes)
            .sum()
    }
}

fn is_forbidden(e: &ClientError) -> bool {
    matches!(e, ClientError::Api { status: 403, .. })
}

/// Reads the project behind `client`'s token.
pub(crate) async fn read_project(client: &Client) -> Result<SourceProject> {
    let verified = client
        .verify_token()
        .await
        .api(|| format!("verifying the token at {}", client.base_url()))?;
    let buckets = client
        .list_buckets(true)
        .await
        .api(|| "listing the source's buckets".into())?;
    let tables = client
        .list_tables()
        .await
        .api(|| "listing the source's tables".into())?;
    let components = client
        .list_components("configuration,rows,state", false)
        .await
        .api(|| "listing the source's configurations".into())?;
    let mut configs = Vec::new();
    let mut versions = 0;
    for component in components {
        for config in component.configurations {
            versions += config.version;
            configs.push((component.id.clone(), config));
        }
    }
    let trashed: Vec<TrashedConfig> = client
        .list_components("", true)
        .await
        .api(|| "listing the source's trash".into())?
        .into_iter()
        .flat_map(|c| {
            let component = c.id;
            c.configurations
                .into_iter()
                .map(move |config| TrashedConfig {
                    component_id: component.clone(),
                    config_id: config.id,
                    name: config.name,
                })
        })
        .collect();
    let orchestrations = client
        .list_orchestrations()
        .await
        .api(|| "listing the source's orchestrations".into())?;
    let triggers = client
        .list_triggers()
        .await
        .api(|| "listing the source's triggers".into())?;
    let provisioned = client
        .list_provisioned()
        .await
        .api(|| "listing the source's provisioned resources".into())?;
    let metadata = client
        .project_metadata()
        .await
        .api(|| "reading the source project's metadata".into())?;

    let mut incomplete = Vec::new();
    let users = match client.list_project_users().await {
        Ok(users) => users
            .into_iter()
            .map(|u| UserEntry {
                email: u.email,
                role: u.role,
                status: u.status,
            })
            .collect(),
        Err(e) if is_forbidden(&e) => {
            incomplete.push("users: the source token is not a master token".to_string());
            Vec::new()
        }
        Err(e) => return Err(e).api(|| "listing the source's members".into()),
    };
    let tokens = match client.list_tokens().await {
        Ok(tokens) => tokens
            .into_iter()
            .map(|t| TokenEntry {
                id: t.id,
                description: t.description,
                is_master_token: t.is_master_token,
                can_manage_buckets: t.can_manage_buckets,
                can_manage_tokens: t.can_manage_tokens,
                bucket_permissions: t.bucket_permissions,
                component_access: t.component_access,
            })
            .collect(),
        Err(e) if is_forbidden(&e) => {
            incomplete.push("tokens: the source token may not list tokens".to_string());
            Vec::new()
        }
        Err(e) => return Err(e).api(|| "listing the source's tokens".into()),
    };
    let files = client
        .list_files(&[], Some(LISTING_LIMIT))
        .await
        .api(|| "listing the source's files".into())?
        .len() as u64;
    let events = client
        .list_events(&EventQuery {
            limit: Some(LISTING_LIMIT),
            ..Default::default()
        })
        .await
        .api(|| "listing the source's events".into())?
        .len() as u64;
    let jobs = client
        .list_jobs(&JobQuery {
            limit: Some(LISTING_LIMIT),
            ..Default::default()
        })
        .await
        .api(|| "listing the source's jobs".into())?
        .len() as u64;
    // A stack from before storage jobs has no such endpoint (404): it has none to leave behind.
    let storage_jobs = match client
        .list_storage_jobs(&StorageJobListQuery {
            limit: Some(LISTING_LIMIT),
            offset: None,
        })
        .await
    {
        Ok(jobs) => jobs.len() as u64,
        Err(ClientError::Api { status: 404, .. }) => 0,
        Err(e) => return Err(e).api(|| "listing the source's storage jobs".into()),
    };
    Ok(SourceProject {
        verified,
        buckets,
        tables,
        configs,
        orchestrations,
        triggers,
        provisioned,
        metadata,
        not_moved: NotMoved {
            users,
            tokens,
            files,
            events,
            jobs,
            storage_jobs,
            configuration_versions: versions,
            trashed_configurations: trashed,
            incomplete,
        },
    })
}
