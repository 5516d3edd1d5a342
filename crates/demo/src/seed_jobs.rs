//! Job history: the seeded project's SQL transformations run for real, in the order their data
//! flows, so the source has jobs and logs that a migration leaves behind (and reports).

use std::time::Duration;

use anyhow::{ensure, Context};
use stackport_client::Client;
use stackport_model::api::{JobStatus, NewJob};

use crate::seed_configs::ConfigRef;

/// Runs each transformation once and waits for it; returns the number of jobs.
pub(crate) async fn seed_jobs(
    client: &Client,
    transformations: &[ConfigRef],
) -> anyhow::Result<usize> {
    for (component, id) in transformations {
        let job = client
            .create_job(&NewJob {
                component: component.clone(),
                config: id.to_string(),
                config_row_ids: vec![],
                mode: Default::default(),
            })
            .await
            .with_context(|| format!("cannot queue a job of transformation {id}"))?;
        let done = client
            .wait_for_job(job.id, Duration::from_secs(120))
            .await
            .with_context(|| format!("waiting for job {} of transformation {id}", job.id))?;
        ensure!(
            done.status == JobStatus::Success,
            "job {} of transformation {id} ended {}: {}",
            done.id,
            done.status.as_str(),
            done.result["message"]
        );
    }
    Ok(transformations.len())
}
