//! `migrate verify`: compares the source and destination projects through their APIs and lists
//! every difference with its object and field. Tables are compared by fingerprints the stacks
//! compute next to their data, so nothing is downloaded; configurations after removing what a
//! migration legitimately changes (secrets, creation date, author, version); orchestrations
//! through the id map.

mod configs;
mod orchestrations;
mod tables;
mod transformations;
mod triggers;

use std::path::Path;

use serde::Serialize;

use crate::error::{ApiContext, Result};
use crate::Endpoint;

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// The object, e.g. `table in.c-shop.orders`.
    pub object: String,
    /// The field that differs, e.g. `rows` or `configuration.parameters.host`.
    pub field: String,
    /// The value on the source (shortened).
    pub source: String,
    /// The value on the destination (shortened).
    pub destination: String,
}

/// What verification compared and found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Tables compared.
    pub tables: u64,
    /// Rows compared (source side).
    pub rows: u64,
    /// Configurations compared.
    pub configurations: u64,
    /// Orchestrations compared.
    pub orchestrations: u64,
    /// Triggers compared.
    pub triggers: u64,
    /// SQL transformations run as dry runs on both sides and compared by their outputs
    /// (`--run-transformations`; 0 otherwise).
    pub transformations: u64,
    /// Every difference.
    pub differences: Vec<Difference>,
    /// Configurations the destination holds disabled on purpose, not a difference: SQL
    /// transformations of the source's dialect in a project of another backend
    /// (`--allow-backend-change`), each `configuration component/id (name)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_for_rewrite: Vec<String>,
    /// Seconds it took.
    pub seconds: f64,
}

impl Verification {
    /// Whether the projects match.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }

    pub(crate) fn differ(
        &mut self,
        object: impl Into<String>,
        field: impl Into<String>,
        source: impl ToString,
        destination: impl ToString,
    ) {
        self.differences.push(Difference {
            object: object.into(),
            field: field.into(),
            source: shorten(&source.to_string()),
            destination: shorten(&destination.to_string()),
        });
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Compares the two projects. `work_dir` may hold the report of the run that migrated them; its
/// orchestration id map is used when present, otherwise orchestrations are matched by name.
pub async fn verify(
    source: &Endpoint,
    destination: &Endpoint,
    work_dir: Option<&Path>,
) -> Result<Verification> {
    let map = work_dir.and_then(orchestrations::id_map_from_report);
    verify_with(source, destination, map.as_ref()).await
}

/// Runs every enabled SQL transformation of the source as a dry run in both projects and adds
/// each difference of their outputs to `v`. Storage is not touched on either side.
pub async fn verify_transformations(
    source: &Endpoint,
    destination: &Endpoint,
    v: &mut Verification,
) -> Result<()> {
    let started = std::time::Instant::now();
    let (src, dst) = (source.reader(), destination.writer());
    let change = backend_change(&src, &dst).await?;
    transformations::compare(&src, &dst, change.as_deref(), v).await?;
    v.seconds += started.elapsed().as_secs_f64();
    Ok(())
}

/// The destination project's backend when it is not the source's: then SQL transformations of
/// the source's dialect are expected disabled there.
async fn backend_change(
    src: &stackport_client::Client,
    dst: &stackport_client::Client,
) -> Result<Option<String>> {
    let s = src
        .verify_token()
        .await
        .api(|| "reading the source project's backend".into())?;
    let d = dst
        .verify_token()
        .await
        .api(|| "reading the destination project's backend".into())?;
    Ok((s.owner.backend != d.owner.backend).then_some(d.owner.backend))
}

/// Compares the two projects with a known orchestration id map (source id → destination id).
pub(crate) async fn verify_with(
    source: &Endpoint,
    destination: &Endpoint,
    map: Option<&std::collections::BTreeMap<u64, u64>>,
) -> Result<Verification> {
    let started = std::time::Instant::now();
    let src = source.reader();
    let dst = destination.reader();
    let mut v = Verification::default();
    let change = backend_change(&src, &dst).await?;
    tables::compare(&src, &dst, &mut v).await?;
    let provisioned = src
        .list_provisioned()
        .await
        .api(|| "listing the source's provisioned resources".into())?;
    configs::compare(&src, &dst, &provisioned, change.as_deref(), &mut v).await?;
    let orchestration_ids = orchestrations::compare(&src, &dst, map, &mut v).await?;
    triggers::compare(&src, &dst, &orchestration_ids, &mut v).await?;
    v.seconds = started.elapsed().as_secs_f64();
    Ok(v)
}
