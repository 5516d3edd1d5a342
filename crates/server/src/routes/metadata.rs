use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{MetadataEntry, MetadataWrite};
use stackport_model::{BucketId, MetadataId, TableId};
use stackport_stack::MetadataObject;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{parse_id, AppJson, StorageAuth};
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

fn bucket(id: &str) -> Result<MetadataObject, ApiError> {
    Ok(MetadataObject::Bucket(parse_id::<BucketId>(id)?))
}

fn table(id: &str) -> Result<MetadataObject, ApiError> {
    Ok(MetadataObject::Table(parse_id::<TableId>(id)?))
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
    id: &str,
) -> Result<StatusCode, ApiError> {
    let id: MetadataId = parse_id(id)?;
    state
        .run(move |s| s.delete_metadata(&auth, &object, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    list(state, auth, bucket(&id)?).await
}

async fn write_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    AppJson(body): AppJson<MetadataWrite>,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    write(state, auth, bucket(&id)?, body).await
}

async fn delete_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path((id, metadata_id)): Path<(String, String)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    delete(state, auth, bucket(&id)?, &metadata_id).await
}

async fn list_table(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    list(state, auth, table(&id)?).await
}

async fn write_table(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    AppJson(body): AppJson<MetadataWrite>,
) -> Result<(StatusCode, Json<Vec<MetadataEntry>>), ApiError> {
    write(state, auth, table(&id)?, body).await
}

async fn delete_table(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path((id, metadata_id)): Path<(String, String)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    delete(state, auth, table(&id)?, &metadata_id).await
}

async fn list_column(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path((id, column)): Path<(String, String)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<MetadataEntry>>, ApiError> {
    let object = MetadataObject::Column(parse_id(&id)?, parse_id(&column)?);
    list(state, auth, object).await
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
    Path(metadata_id): Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    delete(state, auth, MetadataObject::Project, &metadata_id).await
}
