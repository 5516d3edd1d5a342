//! The asynchronous table flows of the reference clients: each answers 202 with a storage job
//! (see `routes::storage_jobs`), and `data-preview` answers CSV at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use stackport_model::api::query::{AsyncTableCreateQuery, ExportQuery, ImportQuery, NoQuery};
use stackport_model::api::StorageJob;
use stackport_model::{BucketId, TableId};
use stackport_stack::ExportOptions;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{parse_id, StorageAuth};
use crate::params::ApiParams;
use crate::query::ApiQuery;
use crate::AppState;

const EXPORT_PARAMS: &[(&str, &str)] = &[
    (
        "columns",
        "only these columns, in this order: comma-separated or repeated columns[]",
    ),
    (
        "changedSince",
        "rows whose _timestamp is at or after this time (or e.g. -2 days)",
    ),
    ("changedUntil", "rows whose _timestamp is before this time"),
    (
        "whereFilters",
        "JSON array of {column, operator: eq|ne, values}",
    ),
    (
        "whereColumn",
        "the column of a single filter, with whereValues[]",
    ),
    (
        "whereValues",
        "a value of the single filter, repeated as whereValues[]",
    ),
    ("whereOperator", "eq (default) or ne (also spelled neq)"),
    ("limit", "at most this many rows"),
    (
        "includeInternalTimestamp",
        "add _timestamp as the last column",
    ),
    ("gzip", "gzip-compressed CSV"),
];

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/storage/buckets/{id}/tables-async",
        create,
        Doc::storage("Create a table from a CSV file's header and load the file; a storage job. Parameters as a form body, JSON object or query")
            .accepted("StorageJob")
            .query(&[
                ("name", "the new table's name"),
                ("dataFileId", "the Storage file holding the CSV (with a header row)"),
                ("dataUrl", "not supported: upload the file and pass dataFileId"),
                ("delimiter", "one character, default ,"),
                ("enclosure", "one character, default \", empty for none"),
                ("escapedBy", "only empty"),
                ("primaryKey", "the primary key, comma-separated"),
            ]),
    )
    .post(
        "/v2/storage/tables/{id}/import-async",
        import,
        Doc::storage("Import a Storage file into a table; a storage job. The parameters of the synchronous import, plus dataFileId")
            .accepted("StorageJob")
            .query(&[
                ("dataFileId", "the Storage file to import (gzip or not)"),
                ("incremental", "keep existing rows: upsert on the primary key, append without one"),
                ("withoutHeaders", "the file has no header row"),
                ("columns", "the file's columns when it has no header row"),
                ("primaryKey", "what kbcstorage sends its columns argument as: the file's columns (see docs/api.md)"),
                ("delimiter", "one character, default ,"),
                ("enclosure", "one character, default \", empty for none"),
                ("escapedBy", "only empty"),
            ]),
    )
    .post(
        "/v2/storage/tables/{id}/export-async",
        export,
        Doc::storage("Export a table into a new Storage file without a header row; a storage job whose results.file.id is the file")
            .accepted("StorageJob")
            .query(EXPORT_PARAMS),
    )
    .get(
        "/v2/storage/tables/{id}/data-preview",
        preview,
        Doc::storage("The first rows of a table as CSV with a header (limit default 100, at most 1000)")
            .ok(Content::Csv)
            .query(EXPORT_PARAMS),
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
    Path(id): Path<String>,
    ApiParams(params): ApiParams<AsyncTableCreateQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    let bucket: BucketId = parse_id(&id)?;
    state
        .run(move |s| s.create_table_async(&auth, &bucket, &params))
        .await
        .map(accepted)
}

async fn import(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    ApiParams(params): ApiParams<ImportQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    let id: TableId = parse_id(&id)?;
    state
        .run(move |s| s.import_table_async(&auth, &id, &params))
        .await
        .map(accepted)
}

async fn export(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    ApiParams(params): ApiParams<ExportQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    let id: TableId = parse_id(&id)?;
    state
        .run(move |s| s.export_table_async(&auth, &id, &params))
        .await
        .map(accepted)
}

async fn preview(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let id: TableId = parse_id(&id)?;
    let options = ExportOptions::from_query(&query)?;
    let stream = state
        .run(move |s| s.prepare_preview(&auth, &id, &options))
        .await?;
    Ok(super::data::stream_export(&state, stream).await)
}

async fn optimize(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    ApiParams(_): ApiParams<NoQuery>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    let id: TableId = parse_id(&id)?;
    state
        .run(move |s| s.optimize_table(&auth, &id))
        .await
        .map(accepted)
}
