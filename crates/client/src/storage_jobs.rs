//! Storage jobs and the asynchronous table flows, as the reference clients use them: each call
//! answers the accepted job; [`Client::wait_for_storage_job`] polls it to its end.

use std::time::Duration;

use reqwest::Method;
use stackport_model::api::query::{
    AsyncTableCreateQuery, BucketDeleteQuery, ExportQuery, ImportQuery, Query, StorageJobListQuery,
    TableDeleteQuery,
};
use stackport_model::api::StorageJob;
use stackport_model::{BucketId, StorageJobId, TableId};

use crate::{Client, ClientError, Result};

impl Client {
    /// One storage job.
    pub async fn storage_job(&self, id: StorageJobId) -> Result<StorageJob> {
        self.json(self.request(Method::GET, &format!("/v2/storage/jobs/{id}"))?)
            .await
    }

    /// The project's storage jobs, newest first.
    pub async fn list_storage_jobs(&self, query: &StorageJobListQuery) -> Result<Vec<StorageJob>> {
        self.json(
            self.request(Method::GET, "/v2/storage/jobs")?
                .query(&query.to_pairs()),
        )
        .await
    }

    /// Polls a storage job until it ends (success or error), at most `timeout`.
    pub async fn wait_for_storage_job(
        &self,
        id: StorageJobId,
        timeout: Duration,
    ) -> Result<StorageJob> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let job = self.storage_job(id).await?;
            if job.is_finished() {
                return Ok(job);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Decode(format!(
                    "storage job {id} did not end within {} s (status {})",
                    timeout.as_secs(),
                    job.status.as_str()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn post_form(&self, path: &str, pairs: Vec<(String, String)>) -> Result<StorageJob> {
        self.json(self.request(Method::POST, path)?.form(&pairs))
            .await
    }

    /// `POST buckets/{id}/tables-async`: a table from a Storage file's header, loaded with it.
    pub async fn create_table_async(
        &self,
        bucket: &BucketId,
        query: &AsyncTableCreateQuery,
    ) -> Result<StorageJob> {
        self.post_form(
            &format!("/v2/storage/buckets/{bucket}/tables-async"),
            query.to_pairs(),
        )
        .await
    }

    /// `POST tables/{id}/import-async`: a Storage file (`data_file_id`) into the table.
    pub async fn import_table_async(
        &self,
        table: &TableId,
        query: &ImportQuery,
    ) -> Result<StorageJob> {
        self.post_form(
            &format!("/v2/storage/tables/{table}/import-async"),
            query.to_pairs(),
        )
        .await
    }

    /// `POST tables/{id}/export-async`: the rows, without a header row, into a Storage file
    /// (`results.file.id`).
    pub async fn export_table_async(
        &self,
        table: &TableId,
        query: &ExportQuery,
    ) -> Result<StorageJob> {
        self.post_form(
            &format!("/v2/storage/tables/{table}/export-async"),
            query.to_pairs(),
        )
        .await
    }

    /// `GET tables/{id}/data-preview`: the first rows as CSV with a header.
    pub async fn preview_table(&self, table: &TableId, query: &ExportQuery) -> Result<String> {
        let response = self
            .send(
                self.request(
                    Method::GET,
                    &format!("/v2/storage/tables/{table}/data-preview"),
                )?
                .query(&query.to_pairs()),
            )
            .await?;
        response.text().await.map_err(ClientError::Http)
    }

    /// `POST tables/{id}/optimize`: a job that succeeds.
    pub async fn optimize_table(&self, table: &TableId) -> Result<StorageJob> {
        self.post_form(&format!("/v2/storage/tables/{table}/optimize"), vec![])
            .await
    }

    /// `DELETE buckets/{id}?async=true`.
    pub async fn delete_bucket_async(&self, bucket: &BucketId, force: bool) -> Result<StorageJob> {
        let query = BucketDeleteQuery {
            force,
            asynchronous: true,
        };
        self.json(
            self.request(Method::DELETE, &format!("/v2/storage/buckets/{bucket}"))?
                .query(&query.to_pairs()),
        )
        .await
    }

    /// `DELETE tables/{id}?async=true`.
    pub async fn delete_table_async(&self, table: &TableId) -> Result<StorageJob> {
        let query = TableDeleteQuery { asynchronous: true };
        self.json(
            self.request(Method::DELETE, &format!("/v2/storage/tables/{table}"))?
                .query(&query.to_pairs()),
        )
        .await
    }
}
