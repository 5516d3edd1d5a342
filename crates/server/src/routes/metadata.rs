use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{MetadataEntry, MetadataWrite};
use stackport_model::{BucketId, ColumnName, MetadataId, TableId};
use stackport_stack::MetadataObject;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, Ids, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/buckets/{id}/metadata",
        list_bucket,
        Doc::storage("A bucket's metadata").ok(Content::JsonList("MetadataEntry")),
    )
    .post(
        "/v2/storage/buckets/{id}/metadata",
        write_bucket,
        Doc::storage("Write a bucket's metadata")
            .body(Content::Json("MetadataWrite"))
            .created("MetadataEntry"),
    )
    .delete(
        "/v2/storage/buckets/{id}/metadata/{metadataId}",
        delete_bucket,
        Doc::storage("Delete one metadata entry").no_content(),
    )
    .get(
        "/v2/storage/tables/{id}/metadata",
        list_table,
        Doc::storage("A table's metadata").ok(Content::JsonList("MetadataEntry")),
    )
    .post(
        "/v2/storage/tables/{id}/metadata",
        write_table,
        Doc::storage("Write a table's metadata and, with columnsMetadata, its columns'")
            .body(Content::Json("MetadataWrite"))
            .created("MetadataEntry"),
    )
    .delete(
        "/v2/storage/tables/{id}/metadata/{metadataId}",
        delete_table,
        Doc::storage("Delete one metadata entry").no_content(),
    )
    .get(
        "/v2/storage/tables/{id}/columns/{column}/metadata",
        list_column,
        Doc::storage("A column's metadata").ok(Content::JsonList("MetadataEntry")),
    )
    .get(
        "/v2/storage/branch/default/metadata",
        list_project,
        Doc::storage("The project's metadata (kept on the default branch)")
            .ok(Content::JsonList("MetadataEntry")),
    )
    .post(
        "/v2/storage/branch/default/metadata",
        write_project,
        Doc::storage("Write the project's metadata (master token)")
            .body(Content::Json("MetadataWrite"))
            .created("MetadataEntry"),
    )
    .delete(
        "/v2/storage/branch/default/metadata/{metadataId}",
        delete_project,
        Doc::storage("Delete one entry of the project's metadata (master token)").no_content(),
    )
}

async fn list(
    state: AppState,
    auth: stackport_stack::TokenAuth,
    object: MetadataObject,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    state
        .run(move |s| s.list_metadata(&auth, &object))
        .await
        .map(Json)
}

async fn write(
    state: AppState,
    auth: stackport_stack::TokenAuth,
    object: MetadataObject,
    body: MetadataWrite,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    let entries = state
        .run(move |s| s.write_metadata(&auth, &object, &body))
        .await?;
    Ok((StatusCode::CREATED, Json(entries)))
}

async fn delete(
    state: AppState,
    auth: stackport_stack::TokenAuth,
    object: MetadataObject,
    id: MetadataId,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_metadata(&auth, &object, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<BucketId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    list(state, auth, MetadataObject::Bucket(id)).await
}

async fn write_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<BucketId>,
    AppJson(body): AppJson<MetadataWrite>,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    write(state, auth, MetadataObject::Bucket(id), body).await
}

async fn delete_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((id, metadata_id)): Ids<(BucketId, MetadataId)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    delete(state, auth, MetadataObject::Bucket(id), metadata_id).await
}

async fn list_table(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    list(state, auth, MetadataObject::Table(id)).await
}

async fn write_table(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    AppJson(body): AppJson<MetadataWrite>,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    write(state, auth, MetadataObject::Table(id), body).await
}

async fn delete_table(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((id, metadata_id)): Ids<(TableId, MetadataId)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    delete(state, auth, MetadataObject::Table(id), metadata_id).await
}

async fn list_column(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((id, column)): Ids<(TableId, ColumnName)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    list(state, auth, MetadataObject::Column(id, column)).await
}

async fn list_project(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    list(state, auth, MetadataObject::Project).await
}

async fn write_project(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(body): AppJson<MetadataWrite>,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    write(state, auth, MetadataObject::Project, body).await
}

async fn delete_project(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(metadata_id): Id<MetadataId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    delete(state, auth, MetadataObject::Project, metadata_id).await
}
