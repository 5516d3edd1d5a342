//! The asynchronous table flows of the reference clients: each answers 202 with a storage job
//! (see `routes::storage_jobs`), and `data-preview` answers CSV at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use stackport_model::api::query::{AsyncTableCreateQuery, ExportQuery, ImportQuery, NoQuery};
use stackport_model::api::StorageJob;
use stackport_model::{BucketId, TableId};
use stackport_stack::ExportOptions;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{Id, StorageAuth};
use crate::params::ApiParams;
use crate::query::ApiQuery;
use crate::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/storage/buckets/{id}/tables-async",
        create,
        Doc::storage("Create a table from a CSV file's header and load the file; a storage job. Parameters as a form body, JSON object or query")
            .accepted("StorageJob")
            .query::<AsyncTableCreateQuery>(),
    )
    .post(
        "/v2/storage/tables/{id}/import-async",
        import,
        Doc::storage("Import a Storage file into a table; a storage job. The parameters of the synchronous import, plus dataFileId")
            .accepted("StorageJob")
            .query::<ImportQuery>(),
    )
    .post(
        "/v2/storage/tables/{id}/export-async",
        export,
        Doc::storage("Export a table into a new Storage file without a header row; a storage job whose results.file.id is the file")
            .accepted("StorageJob")
            .query::<ExportQuery>(),
    )
    .get(
        "/v2/storage/tables/{id}/data-preview",
        preview,
        Doc::storage("The first rows of a table as CSV with a header (limit default 100, at most 1000)")
            .ok(Content::Csv)
            .query::<ExportQuery>(),
    )
    .post(
        "/v2/storage/tables/{id}/optimize",
        optimize,
        Doc::storage("Optimize a table: nothing to do on this stack; a storage job that succeeds")
            .accepted("StorageJob"),
    )
}

fn accepted(job: StorageJob) -> (StatusCode, Json<StorageJob>) {
    (StatusCode::ACCEPTED, Json(job))
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(bucket): Id<BucketId>,
    ApiParams(params): ApiParams<AsyncTableCreateQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    state
        .run(move |s| s.create_table_async(&auth, &bucket, &params))
        .await
        .map(accepted)
}

async fn import(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiParams(params): ApiParams<ImportQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    state
        .run(move |s| s.import_table_async(&auth, &id, &params))
        .await
        .map(accepted)
}

async fn export(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiParams(params): ApiParams<ExportQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    state
        .run(move |s| s.export_table_async(&auth, &id, &params))
        .await
        .map(accepted)
}

async fn preview(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let options = ExportOptions::from_query(&query)?;
    let stream = state
        .run(move |s| s.prepare_preview(&auth, &id, &options))
        .await?;
    Ok(super::data::stream_export(&state, stream).await)
}

async fn optimize(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiParams(_): ApiParams<NoQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    state
        .run(move |s| s.optimize_table(&auth, &id))
        .await
        .map(accepted)
}
