//! `--run-transformations`: the migrated SQL transformations run as dry runs in both projects,
//! on whole input tables, and their outputs are compared by fingerprint. A dry run writes
//! nothing to Storage on either side; each adds a job and its log to the project's history.

use std::time::Duration;

use stackport_client::Client;
use stackport_model::api::{Job, JobStatus, Runner};

use super::Verification;
use crate::backend_change::needs_rewrite;
use crate::error::{ApiContext, Result};

/// How long one dry run may take before the comparison gives up on it.
const JOB_TIMEOUT: Duration = Duration::from_secs(3600);

/// `changed_to`: the destination's backend when it is not the source's; transformations of the
/// source's dialect are then disabled there on purpose and not run.
pub(crate) async fn compare(
    src: &Client,
    dst: &Client,
    changed_to: Option<&str>,
    v: &mut Verification,
) -> Result<()> {
    let info = src
        .index()
        .await
        .api(|| "reading the source stack".into())?;
    let sql: Vec<_> = info
        .components
        .iter()
        .filter(|c| c.runner.as_ref().is_some_and(Runner::is_sql))
        .map(|c| c.id.clone())
        .collect();
    for component in sql {
        let configs = src
            .list_configs(&component)
            .await
            .api(|| format!("listing the source's configurations of {component}"))?;
        for config in configs.iter().filter(|c| !c.is_disabled) {
            if changed_to.is_some_and(|to| needs_rewrite(component.as_str(), to)) {
                let listed = format!("configuration {component}/{} ({})", config.id, config.name);
                if !v.disabled_for_rewrite.contains(&listed) {
                    v.disabled_for_rewrite.push(listed);
                }
                continue;
            }
            let object = format!("transformation {component}/{} ({})", config.id, config.name);
            let id = config.id.to_string();
            let (a, b) = tokio::join!(dry_run(src, &component, &id), dry_run(dst, &component, &id));
            v.transformations += 1;
            let (a, b) = match (a, b) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    let say = |r: &std::result::Result<Job, String>| match r {
                        Ok(j) => format!("job {} {}", j.id, j.status.as_str()),
                        Err(e) => e.clone(),
                    };
                    v.differ(&object, "dry run", say(&a), say(&b));
                    continue;
                }
            };
            compare_outputs(&object, &a, &b, v);
        }
    }
    Ok(())
}

/// Runs a dry run and waits for it; a job that ended in error is an `Err` with its message.
async fn dry_run(
    client: &Client,
    component: &stackport_model::ComponentId,
    config: &str,
) -> std::result::Result<Job, String> {
    let job = client
        .create_dry_run_job(component, config)
        .await
        .map_err(|e| format!("could not queue a dry run: {e}"))?;
    let job = client
        .wait_for_job(job.id, JOB_TIMEOUT)
        .await
        .map_err(|e| format!("job {}: {e}", job.id))?;
    if job.status == JobStatus::Success {
        Ok(job)
    } else {
        Err(format!(
            "job {} {}: {}",
            job.id,
            job.status.as_str(),
            job.result["message"].as_str().unwrap_or("")
        ))
    }
}

fn compare_outputs(object: &str, a: &Job, b: &Job, v: &mut Verification) {
    let outputs = |j: &Job| -> Vec<(String, serde_json::Value)> {
        j.result["output"]["tables"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|o| {
                        (
                            o["source"].as_str().unwrap_or("").to_string(),
                            o["fingerprint"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (src, dst) = (outputs(a), outputs(b));
    for (name, fa) in &src {
        let what = format!("{object} output '{name}'");
        match dst.iter().find(|(n, _)| n == name) {
            None => v.differ(&what, "output", "written", "missing"),
            Some((_, fb)) => {
                if fa["rowsCount"] != fb["rowsCount"] {
                    v.differ(&what, "rows", &fa["rowsCount"], &fb["rowsCount"]);
                } else if fa["columns"] != fb["columns"] {
                    v.differ(&what, "columns", &fa["columns"], &fb["columns"]);
                } else if fa["hash"] != fb["hash"] {
                    v.differ(
                        &what,
                        "rows hash (same count, different values)",
                        &fa["hash"],
                        &fb["hash"],
                    );
                }
            }
        }
    }
    for (name, _) in dst.iter().filter(|(n, _)| !src.iter().any(|(s, _)| s == n)) {
        v.differ(
            format!("{object} output '{name}'"),
            "output",
            "missing",
            "written",
        );
    }
}
