//! The demo's source project: everything a real project has that a migration must carry, made
//! through the public API only, so it is exactly what a user could have made.

use std::str::FromStr;

use anyhow::{ensure, Context};
use stackport_model::api::NewProject;
use stackport_model::ProjectId;

use crate::seed_access::{seed_tokens, seed_users};
use crate::seed_configs::seed_configs;
use crate::seed_files::seed_files;
use crate::seed_orchestrations::seed_orchestrations;
use crate::seed_provisioned::seed_provisioned;
use crate::seed_tables::seed_tables;
use crate::EmbeddedStack;

/// How big the seeded project is.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedOptions {
    /// Multiplies the row counts of the tables: 1.0 is the full demo (over 100,000 rows), tests
    /// take a small fraction to stay fast. Every table keeps a few rows at any scale, and the
    /// awkward values are always all there.
    pub rows_scale: f64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions { rows_scale: 1.0 }
    }
}

/// A seeded project and how to reach it.
#[derive(Debug, Clone)]
pub struct SeededProject {
    pub id: ProjectId,
    /// The project's master Storage API token.
    pub token: String,
    pub summary: SeedSummary,
}

/// How much of each kind the seed made, for the demo to print and the tests to compare a
/// migrated project against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSummary {
    pub buckets: usize,
    /// Tables holding data, aliases not counted.
    pub tables: usize,
    pub aliases: usize,
    /// Rows in all tables, aliases not counted.
    pub rows: u64,
    /// Configurations not in the trash, provisioned writers included.
    pub configurations: usize,
    pub trashed_configurations: usize,
    pub config_rows: usize,
    pub oauth_credentials: usize,
    pub ssh_keys: usize,
    pub workspaces: usize,
    pub bi_projects: usize,
    pub orchestrations: usize,
    /// Jobs run in the source: its job history.
    pub jobs: usize,
    /// SQL transformations, in the dialect of the project's backend.
    pub transformations: usize,
    pub files: usize,
    /// Tokens besides the master token the project came with.
    pub tokens: usize,
    pub users: usize,
}

/// Parses an id the seed spells out; failing names the id, as a seed bug should.
pub(crate) fn parse_id<T>(text: &str) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse()
        .with_context(|| format!("the demo's id '{text}' is not valid"))
}

/// Creates a project named `name` on `stack` and fills it (all through the client).
pub async fn seed_source_project(
    stack: &EmbeddedStack,
    name: &str,
    options: &SeedOptions,
) -> anyhow::Result<SeededProject> {
    ensure!(
        options.rows_scale.is_finite() && options.rows_scale > 0.0,
        "the rows scale must be a positive number, not {}",
        options.rows_scale
    );
    let (id, token) = create_empty_project(stack, name).await?;
    let client = stack.storage_client(&token);
    let context = || format!("cannot seed project {id} ('{name}') on stack {}", stack.id);

    let tables = seed_tables(&client, options.rows_scale)
        .await
        .with_context(context)?;
    let configs = seed_configs(&client, &stack.backend)
        .await
        .with_context(context)?;
    let provisioned = seed_provisioned(&client).await.with_context(context)?;
    let mut writers = configs.writers.clone();
    writers.extend(provisioned.writers.iter().cloned());
    let orchestrations = seed_orchestrations(
        &client,
        &configs.extractors,
        &configs.transformations,
        &writers,
    )
    .await
    .with_context(context)?;
    let files = seed_files(&client).await.with_context(context)?;
    let jobs = crate::seed_jobs::seed_jobs(&client, &configs.transformations)
        .await
        .with_context(context)?;
    // The transformations wrote their outputs: count the rows as they are now.
    let rows = client
        .list_tables()
        .await
        .with_context(context)?
        .iter()
        .filter(|t| !t.is_alias)
        .map(|t| t.rows_count)
        .sum::<u64>();
    ensure!(
        rows >= tables.rows,
        "the project holds {rows} rows, fewer than the {} seeded",
        tables.rows
    );
    let tokens = seed_tokens(&client).await.with_context(context)?;
    let users = seed_users(&stack.manage_client(), id)
        .await
        .with_context(context)?;

    Ok(SeededProject {
        id,
        token,
        summary: SeedSummary {
            buckets: tables.buckets,
            tables: tables.tables,
            aliases: tables.aliases,
            rows,
            configurations: configs.live + provisioned.writers.len(),
            trashed_configurations: configs.trashed,
            config_rows: configs.rows,
            oauth_credentials: configs.oauth_credentials,
            ssh_keys: configs.ssh_keys,
            workspaces: provisioned.workspaces,
            bi_projects: provisioned.bi_projects,
            orchestrations,
            jobs,
            transformations: configs.transformations.len(),
            files,
            tokens,
            users,
        },
    })
}

/// Creates an empty project on the stack's demo backend; returns id and master token.
pub async fn create_empty_project(
    stack: &EmbeddedStack,
    name: &str,
) -> anyhow::Result<(ProjectId, String)> {
    let created = stack
        .manage_client()
        .create_project(&NewProject {
            name: name.into(),
            backend: Some(stack.backend.to_string()),
        })
        .await
        .with_context(|| format!("cannot create project '{name}' on stack {}", stack.id))?;
    Ok((created.project.id, created.token))
}
