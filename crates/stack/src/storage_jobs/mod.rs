//! Storage jobs: the Storage API's asynchronous table and bucket operations. A request is
//! checked as its synchronous twin would check it (so a mistake the client can see at once is
//! a 4xx, not a failed job), stored `waiting`, and run by a worker of [`run`] with the very
//! operation the synchronous endpoint calls: a failed job carries that call's code and message.

mod data_url;
mod params;
mod run;
mod table_flows;

use serde_json::json;
use stackport_model::api::query::{
    AsyncTableCreateQuery, ExportQuery, ImportQuery, Query, StorageJobListQuery,
};
use stackport_model::api::WorkspaceLoadRequest;
use stackport_model::api::{
    BucketPermission, StorageJob, StorageJobError, StorageJobStatus, StorageOperation,
};
use stackport_model::{BucketId, StorageJobId, TableId, WorkspaceId};

use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::ops::events::{record, NewEvent};
use crate::ops::provisioning::LoadKind;
use crate::store::{NewStorageJobRecord, StorageJobEnd, StorageJobRecord};
use crate::{ExportOptions, Stack};
pub(crate) use run::work;

fn job_not_found(id: StorageJobId) -> Error {
    Error::not_found(
        "storage.jobs.notFound",
        format!("storage job {id} not found in this project"),
    )
}

/// A time of the store as the API shows it.
fn time(micros: i64) -> stackport_model::time::Timestamp {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

impl Stack {
    fn storage_job_to_api(&self, job: StorageJobRecord) -> StorageJob {
        let base = self.settings.url.trim_end_matches('/');
        let mut params = job.params;
        let key = match job.operation {
            StorageOperation::BucketDelete | StorageOperation::TableCreate => "bucketId",
            StorageOperation::WorkspaceLoad | StorageOperation::WorkspaceLoadClone => "workspaceId",
            _ => "tableId",
        };
        if let serde_json::Value::Object(fields) = &mut params {
            fields.insert(key.into(), json!(job.object_id));
        }
        let table_id = match job.operation {
            StorageOperation::BucketDelete
            | StorageOperation::WorkspaceLoad
            | StorageOperation::WorkspaceLoadClone => None,
            StorageOperation::TableCreate => {
                job.results["id"].as_str().and_then(|t| t.parse().ok())
            }
            _ => job.object_id.parse().ok(),
        };
        StorageJob {
            url: format!("{base}/v2/storage/jobs/{}", job.id),
            table_id,
            id: job.id,
            status: job.status,
            operation_name: job.operation,
            operation_params: params,
            results: job.results,
            error: job.error,
            created_time: time(job.created),
            start_time: job.started.map(time),
            end_time: job.ended.map(time),
            creator_token: job.token,
        }
    }

    /// One storage job of the token's project.
    pub fn get_storage_job(&self, auth: &TokenAuth, id: StorageJobId) -> Result<StorageJob> {
        let job = self
            .store
            .read(|tx| tx.storage_jobs().get_storage_job(auth.project(), id))?
            .ok_or_else(|| job_not_found(id))?;
        Ok(self.storage_job_to_api(job))
    }

    /// The token's project's storage jobs, newest first.
    pub fn list_storage_jobs(
        &self,
        auth: &TokenAuth,
        query: &StorageJobListQuery,
    ) -> Result<Vec<StorageJob>> {
        let limit = query.limit.unwrap_or(100);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid(
                "storage.jobs.invalidLimit",
                format!("limit {limit} must be 1 to 1000"),
            ));
        }
        let offset = query.offset.unwrap_or(0);
        let jobs = self.store.read(|tx| {
            tx.storage_jobs()
                .list_storage_jobs(auth.project(), limit, offset)
        })?;
        Ok(jobs
            .into_iter()
            .map(|j| self.storage_job_to_api(j))
            .collect())
    }

    /// `POST buckets/{id}/tables-async`: checks what can be checked before the file is read.
    pub fn create_table_async(
        &self,
        auth: &TokenAuth,
        bucket: &BucketId,
        query: &AsyncTableCreateQuery,
    ) -> Result<StorageJob> {
        let name = query.name.as_deref().unwrap_or_default();
        TableId::new(bucket.clone(), name)?;
        self.get_bucket(auth, bucket)?;
        auth.require_bucket(bucket, BucketPermission::Write)?;
        self.check_source(auth, query.data_file_id, query.data_url.as_deref())?;
        let options = ImportQuery {
            delimiter: query.delimiter.clone(),
            enclosure: query.enclosure.clone(),
            ..Default::default()
        };
        crate::ops::import::dialect_of(&options)?;
        check_escaped_by(query.escaped_by.as_deref())?;
        let stored = AsyncTableCreateQuery {
            data_url: self.seal_data_url(auth, query.data_url.as_deref()),
            ..query.clone()
        };
        self.accept(
            auth,
            StorageOperation::TableCreate,
            &bucket.to_string(),
            stored.to_pairs(),
        )
    }

    /// `POST tables/{id}/import-async`.
    pub fn import_table_async(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        query: &ImportQuery,
    ) -> Result<StorageJob> {
        let table = self.table_for(auth, id, BucketPermission::Write)?;
        table.require_not_alias("import into its source table")?;
        self.check_source(auth, query.data_file_id, query.data_url.as_deref())?;
        let checked = ImportQuery {
            data_file_id: None,
            data_url: None,
            ..query.clone()
        };
        crate::ops::import::check_options(id, &table, &checked)?;
        crate::ops::import::dialect_of(&checked)?;
        let stored = ImportQuery {
            data_url: self.seal_data_url(auth, query.data_url.as_deref()),
            ..query.clone()
        };
        self.accept(
            auth,
            StorageOperation::TableImport,
            &id.to_string(),
            stored.to_pairs(),
        )
    }

    /// `POST tables/{id}/export-async`: the file it makes has no header row.
    pub fn export_table_async(
        &self,
        auth: &TokenAuth,
        id: &TableId,
        query: &ExportQuery,
    ) -> Result<StorageJob> {
        let options = ExportOptions::from_query(query)
            .map_err(|e| Error::invalid("storage.export.invalidQuery", e.message))?;
        self.prepare_export(auth, id, &options)?;
        self.accept(
            auth,
            StorageOperation::TableExport,
            &id.to_string(),
            query.to_pairs(),
        )
    }

    /// `DELETE buckets/{id}?async=true`.
    pub fn delete_bucket_async(
        &self,
        auth: &TokenAuth,
        id: &BucketId,
        force: bool,
    ) -> Result<StorageJob> {
        self.get_bucket(auth, id)?;
        auth.require_bucket(id, BucketPermission::Write)?;
        let pairs = if force {
            vec![("force".to_string(), "true".to_string())]
        } else {
            vec![]
        };
        self.accept(auth, StorageOperation::BucketDelete, &id.to_string(), pairs)
    }

    /// `DELETE tables/{id}?async=true`.
    pub fn delete_table_async(&self, auth: &TokenAuth, id: &TableId) -> Result<StorageJob> {
        self.table_for(auth, id, BucketPermission::Write)?;
        self.accept(auth, StorageOperation::TableDelete, &id.to_string(), vec![])
    }

    /// `POST tables/{id}/optimize`: this stack's backends need no optimizing, so the job does
    /// nothing and succeeds, as the reference's does on backends without the operation.
    pub fn optimize_table(&self, auth: &TokenAuth, id: &TableId) -> Result<StorageJob> {
        self.table_for(auth, id, BucketPermission::Write)?;
        self.accept(
            auth,
            StorageOperation::TableOptimize,
            &id.to_string(),
            vec![],
        )
    }

    /// The data of a table flow: a Storage file of the project (its existence checked now), or
    /// a URL, checked as far as it can be before the job downloads it.
    fn check_source(
        &self,
        auth: &TokenAuth,
        file: Option<stackport_model::FileId>,
        url: Option<&str>,
    ) -> Result<()> {
        match (file, url.filter(|u| !u.is_empty())) {
            (Some(_), Some(_)) => Err(Error::invalid(
                "storage.jobs.invalidSource",
                "pass dataFileId or dataUrl, not both",
            )),
            (Some(file), None) => self.get_file(auth, file).map(drop),
            (None, Some(url)) => self.check_data_url(url),
            (None, None) => Err(Error::invalid(
                "storage.jobs.missingSource",
                "dataFileId or dataUrl is required: upload the CSV (POST /v2/storage/files) and \
                 pass its id, or give the address to download it from",
            )),
        }
    }

    /// `POST workspaces/{id}/load` (and `load-clone`): the load checked as it would be run,
    /// then a job that runs it; its results are the synchronous load's.
    pub fn load_workspace_async(
        &self,
        auth: &TokenAuth,
        id: WorkspaceId,
        request: &WorkspaceLoadRequest,
        kind: LoadKind,
    ) -> Result<StorageJob> {
        self.check_workspace_load(auth, id, request, kind)?;
        self.accept_params(
            auth,
            kind.operation(),
            &id.to_string(),
            serde_json::to_value(request)?,
        )
    }

    /// Stores a checked job `waiting`, with the event that says so, and wakes a worker.
    fn accept(
        &self,
        auth: &TokenAuth,
        operation: StorageOperation,
        object_id: &str,
        pairs: Vec<(String, String)>,
    ) -> Result<StorageJob> {
        self.accept_params(auth, operation, object_id, params::to_json(&pairs))
    }

    /// [`Stack::accept`] for an operation whose parameters are a JSON body, stored as given.
    fn accept_params(
        &self,
        auth: &TokenAuth,
        operation: StorageOperation,
        object_id: &str,
        params: serde_json::Value,
    ) -> Result<StorageJob> {
        let token = auth.token_ref();
        let project = auth.project();
        let job = self.store.write(|tx| {
            let created_micros = tx.now_micros();
            let id = tx.storage_jobs().insert_storage_job(&NewStorageJobRecord {
                project,
                operation,
                object_id,
                params: &params,
                token: &token,
                created_micros,
            })?;
            record(
                tx,
                project,
                Some(&token),
                NewEvent {
                    event: "storage.jobCreated",
                    message: format!("Storage job {id} ({}) created", operation.as_str()),
                    object_type: "storageJob",
                    object_id: id.to_string(),
                    params: json!({"operationName": operation.as_str(), "objectId": object_id}),
                },
            )?;
            tx.storage_jobs()
                .get_storage_job(project, id)?
                .ok_or_else(|| job_not_found(id))
        })?;
        self.jobs.notify();
        Ok(self.storage_job_to_api(job))
    }

    /// At opening: storage jobs that were processing when the stack last stopped end as
    /// errors (their operation may or may not have committed; the client must look and run it
    /// again); waiting ones stay and run.
    pub(crate) fn recover_storage_jobs(&self) -> Result<()> {
        let ended_micros = self.now_micros();
        self.store.write(|tx| {
            for job in tx.storage_jobs().processing_storage_jobs()? {
                let error = StorageJobError {
                    code: "storage.jobs.interrupted".into(),
                    message: format!(
                        "storage job {} ({} of {}) was processing when the stack stopped; check \
                         {} and run the operation again if it did not take effect",
                        job.id,
                        job.operation.as_str(),
                        job.object_id,
                        job.object_id
                    ),
                };
                tx.storage_jobs().finish_storage_job(
                    job.id,
                    &StorageJobEnd {
                        status: StorageJobStatus::Error,
                        results: &serde_json::Value::Null,
                        error: Some(&error),
                        ended_micros,
                    },
                )?;
            }
            Ok(())
        })
    }
}

fn check_escaped_by(value: Option<&str>) -> Result<()> {
    if value.is_some_and(|e| !e.is_empty()) {
        return Err(Error::invalid(
            "storage.import.escapedByUnsupported",
            "escapedBy is not supported: leave it empty and quote values with the enclosure",
        ));
    }
    Ok(())
}

/// Reads a stored job's parameters back into its endpoint's struct.
fn parse_params<T: Query>(job: &StorageJobRecord) -> Result<T> {
    T::from_pairs(params::to_pairs(&job.params))
        .map_err(|e| Error::invalid("storage.jobs.invalidParams", e.message))
}
