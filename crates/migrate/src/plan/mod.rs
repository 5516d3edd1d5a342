//! `migrate plan`: the pre-migration validation. Reads both projects, writes nothing anywhere
//! (both clients are read-only), and says what blocks the migration and what a person will
//! have to do after it.

mod evaluate;
#[cfg(test)]
mod tests;

pub(crate) use evaluate::evaluate;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use stackport_client::Client;
use stackport_model::api::StackInfo;

use crate::error::{ApiContext, Result};
use crate::read::read_project;
use crate::snapshot::format::StackRef;
use crate::Endpoint;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The migration will not start until it is resolved.
    Blocking,
    /// The migration can run, but something needs attention.
    Warning,
    /// Good to know.
    Info,
}

/// One result of the validation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// A stable code, e.g. `component.deprecated`.
    pub code: String,
    /// The object it is about, e.g. `configuration keboola.ex-db-mysql/123 (Orders)`.
    pub object: String,
    /// What was found.
    pub message: String,
    /// What to do about it.
    pub action: String,
}

/// What would move, in counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInventory {
    /// Buckets.
    pub buckets: u64,
    /// Tables (aliases not counted).
    pub tables: u64,
    /// Aliases.
    pub aliases: u64,
    /// Rows of all tables.
    pub rows: u64,
    /// Bytes of all tables as the source stores them.
    pub bytes: u64,
    /// Live configurations per component.
    pub configurations: BTreeMap<String, u64>,
    /// Rows of those configurations.
    pub configuration_rows: u64,
    /// Orchestrations.
    pub orchestrations: u64,
    /// Triggers.
    pub triggers: u64,
    /// Workspaces and BI projects to provision again.
    pub provisioned: u64,
    /// What will not move, with counts.
    pub not_moved: BTreeMap<String, u64>,
}

/// The validation's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The source stack.
    pub source_stack: StackRef,
    /// The source project's id and name.
    pub source_project: String,
    /// The destination stack.
    pub destination_stack: StackRef,
    /// The destination project's id and name.
    pub destination_project: String,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// What would move.
    pub inventory: PlanInventory,
    /// Estimated duration of the migration, in seconds.
    pub estimated_seconds: f64,
    /// What the estimate rests on.
    pub estimate_basis: String,
}

impl Plan {
    /// Whether a blocking finding stops the migration.
    pub fn is_blocked(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Blocking)
    }

    /// The blocking findings.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Blocking)
    }
}

/// What a person allows the migration that the rules refuse by default.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Projects of different table backends (`--allow-backend-change`): `backend.mismatch`
    /// becomes a warning, and each object that does not carry over becomes a finding.
    pub allow_backend_change: bool,
}

/// Validates a migration from `source` to `destination`.
pub async fn plan(source: &Endpoint, destination: &Endpoint) -> Result<Plan> {
    plan_with(source, destination, &PlanOptions::default()).await
}

/// Validates a migration from `source` to `destination` with what `options` allow.
pub async fn plan_with(
    source: &Endpoint,
    destination: &Endpoint,
    options: &PlanOptions,
) -> Result<Plan> {
    plan_resuming(source, destination, None, options).await
}

/// Validates a migration that may be resuming the restore of the snapshot `resuming`: a
/// destination holding part (or all) of exactly that snapshot is not "not empty".
pub(crate) async fn plan_resuming(
    source: &Endpoint,
    destination: &Endpoint,
    resuming: Option<&str>,
    options: &PlanOptions,
) -> Result<Plan> {
    let src = source.reader();
    let dst = destination.reader();
    let started = Instant::now();
    let project = read_project(&src).await?;
    let source_latency = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let sent = stackport_client::requests_sent();
    let dest = read_destination(&dst).await?;
    let requests = (stackport_client::requests_sent() - sent).max(1);
    let dest_latency = started.elapsed().as_secs_f64() / requests as f64;
    Ok(evaluate(
        &project,
        &dest,
        source_latency,
        dest_latency,
        resuming,
        options.allow_backend_change,
    ))
}

/// What the validation reads from the destination.
pub(crate) struct Destination {
    pub verified: stackport_model::api::VerifiedToken,
    pub index: StackInfo,
    pub buckets: Vec<String>,
    pub configurations: Vec<String>,
    /// (component, configuration) pairs in the destination's trash: they do not make it
    /// non-empty, but the stack keeps their ids taken.
    pub trashed: Vec<(String, String)>,
    pub orchestrations: Vec<String>,
    pub provisioned: Vec<String>,
    /// The project's metadata, where a restore leaves its marks.
    pub metadata: Vec<stackport_model::api::MetadataEntry>,
}

/// The metadata provider of a restore's marks on the destination project.
pub(crate) const MARK_PROVIDER: &str = "stackport.migration";
/// Written before a restore's first write: the snapshot being restored.
pub(crate) const MARK_STARTED: &str = "KBC.migration.restoring";
/// Written with it: the `_timestamp` every restored row gets, kept by a resumed run.
pub(crate) const MARK_INSTANT: &str = "KBC.migration.instant";
/// Written after its last: the snapshot restored completely.
pub(crate) const MARK_COMPLETED: &str = "KBC.migration.restored";

impl Destination {
    pub(crate) fn mark(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|m| m.provider == MARK_PROVIDER && m.key == key)
            .map(|m| m.value.as_str())
    }

    /// The snapshot a restore into this project started from, if any.
    pub(crate) fn restoring(&self) -> Option<&str> {
        self.mark(MARK_STARTED)
    }

    /// The snapshot fully restored into this project, if any.
    pub(crate) fn restored(&self) -> Option<&str> {
        self.mark(MARK_COMPLETED)
    }
}

pub(crate) async fn read_destination(client: &Client) -> Result<Destination> {
    let verified = client
        .verify_token()
        .await
        .api(|| format!("verifying the destination token at {}", client.base_url()))?;
    let index = client
        .index()
        .await
        .api(|| "reading the destination stack's component registry".into())?;
    let buckets = client
        .list_buckets(false)
        .await
        .api(|| "listing the destination's buckets".into())?
        .into_iter()
        .map(|b| format!("bucket {}", b.id))
        .collect();
    // The default listing leaves the trash out: trashed configurations do not count.
    let configurations = client
        .list_components("", false)
        .await
        .api(|| "listing the destination's configurations".into())?
        .into_iter()
        .flat_map(|c| {
            let component = c.id;
            c.configurations
                .into_iter()
                .map(move |cfg| format!("configuration {component}/{} ({})", cfg.id, cfg.name))
        })
        .collect();
    let trashed = client
        .list_components("", true)
        .await
        .api(|| "listing the destination's trash".into())?
        .into_iter()
        .flat_map(|c| {
            let component = c.id.to_string();
            c.configurations
                .into_iter()
                .map(move |cfg| (component.clone(), cfg.id.to_string()))
        })
        .collect();
    let orchestrations = client
        .list_orchestrations()
        .await
        .api(|| "listing the destination's orchestrations".into())?
        .into_iter()
        .map(|o| format!("orchestration {} ({})", o.id, o.name))
        .collect();
    let provisioned = client
        .list_provisioned()
        .await
        .api(|| "listing the destination's provisioned resources".into())?
        .into_iter()
        .map(|p| format!("{:?} {} ({})", p.kind, p.id, p.name).to_lowercase())
        .collect();
    let metadata = client
        .project_metadata()
        .await
        .api(|| "reading the destination project's metadata".into())?;
    Ok(Destination {
        metadata,
        verified,
        index,
        buckets,
        configurations,
        trashed,
        orchestrations,
        provisioned,
    })
}
