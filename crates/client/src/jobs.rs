//! The job queue: run configurations and orchestrations, follow them, stop them.

use std::time::Duration;

use stackport_model::api::query::{JobListQuery, Query};
use stackport_model::api::{Event, Job, JobMode, JobStatus, NewJob};
use stackport_model::{ComponentId, JobId};

use crate::{Client, ClientError, EventQuery, Result};

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    /// Only jobs of this component.
    pub component: Option<String>,
    /// Only jobs of this configuration.
    pub config: Option<String>,
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// Only the jobs of this run.
    pub run_id: Option<String>,
    /// At most this many.
    pub limit: Option<u32>,
}

impl JobQuery {
    fn query(&self) -> Vec<(String, String)> {
        JobListQuery {
            component: self.component.clone(),
            config: self.config.clone(),
            status: self.status.map(|s| s.as_str().to_string()),
            run_id: self.run_id.clone(),
            limit: self.limit,
        }
        .to_pairs()
    }
}

impl Client {
    /// Queues a job.
    pub async fn create_job(&self, new: &NewJob) -> Result<Job> {
        self.post("/v2/queue/jobs", new).await
    }

    /// Queues a dry run of an SQL transformation: its outputs are fingerprinted in a throw-away
    /// workspace and never written. A read-only client (a migration's source) may do this: it
    /// adds a job and its log to the project's history, and changes nothing else.
    pub async fn create_dry_run_job(&self, component: &ComponentId, config: &str) -> Result<Job> {
        let new = NewJob {
            component: component.clone(),
            config: config.to_string(),
            config_row_ids: vec![],
            mode: JobMode::DryRun,
        };
        self.json(
            self.request_unchecked(reqwest::Method::POST, "/v2/queue/jobs")
                .json(&new),
        )
        .await
    }

    /// One job.
    pub async fn get_job(&self, id: JobId) -> Result<Job> {
        self.get(&format!("/v2/queue/jobs/{id}")).await
    }

    /// Jobs of the project, newest first.
    pub async fn list_jobs(&self, query: &JobQuery) -> Result<Vec<Job>> {
        self.json(
            self.request(reqwest::Method::GET, "/v2/queue/jobs")?
                .query(&query.query()),
        )
        .await
    }

    /// Stops a job.
    pub async fn kill_job(&self, id: JobId) -> Result<Job> {
        self.post(&format!("/v2/queue/jobs/{id}/kill"), &serde_json::json!({}))
            .await
    }

    /// The job's log, oldest line first.
    pub async fn job_log(&self, id: JobId) -> Result<Vec<Event>> {
        let mut events = self
            .list_events(&EventQuery {
                object_type: Some("job".into()),
                object_id: Some(id.to_string()),
                limit: Some(1000),
                ..Default::default()
            })
            .await?;
        events.reverse();
        Ok(events)
    }

    /// Polls a job until it has ended, at most `timeout`.
    pub async fn wait_for_job(&self, id: JobId, timeout: Duration) -> Result<Job> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let job = self.get_job(id).await?;
            if job.is_finished {
                return Ok(job);
            }
            if started.elapsed() >= timeout {
                return Err(ClientError::Timeout(format!(
                    "job {id} was still {} after {} s",
                    job.status.as_str(),
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }
}
