use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{NewAlias, NewColumn, NewTable, PrimaryKey, Table};
use stackport_model::{BucketId, ColumnName, TableId};
use stackport_stack::TableInclude;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, Ids, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use axum::response::IntoResponse;
use stackport_model::api::query::{IncludeQuery, NoQuery, TableDeleteQuery};

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/tables",
        list_all,
        Doc::storage("List tables the token can see")
            .ok(Content::JsonList("Table"))
            .query::<IncludeQuery>(),
    )
    .get(
        "/v2/storage/buckets/{id}/tables",
        list_bucket,
        Doc::storage("List a bucket's tables")
            .ok(Content::JsonList("Table"))
            .query::<IncludeQuery>(),
    )
    .post(
        "/v2/storage/buckets/{id}/tables",
        create,
        Doc::storage("Create a table: untyped with columns, or typed with a definition")
            .body(Content::Json("NewTable"))
            .created("Table"),
    )
    .post(
        "/v2/storage/buckets/{id}/table-aliases",
        create_alias,
        Doc::storage("Create an alias reading through to a table")
            .body(Content::Json("NewAlias"))
            .created("Table"),
    )
    .get(
        "/v2/storage/tables/{id}",
        get,
        Doc::storage("One table with metadata and column metadata").ok(Content::Json("Table")),
    )
    .delete(
        "/v2/storage/tables/{id}",
        delete,
        Doc::storage("Delete a table or alias (async=true: 202 with a storage job)")
            .no_content()
            .query::<TableDeleteQuery>(),
    )
    .post(
        "/v2/storage/tables/{id}/columns",
        add_column,
        Doc::storage("Add a column")
            .body(Content::Json("NewColumn"))
            .created("Table"),
    )
    .delete(
        "/v2/storage/tables/{id}/columns/{column}",
        delete_column,
        Doc::storage("Remove a column").ok(Content::Json("Table")),
    )
    .post(
        "/v2/storage/tables/{id}/primary-key",
        set_primary_key,
        Doc::storage("Set the primary key")
            .body(Content::Json("PrimaryKey"))
            .ok(Content::Json("Table")),
    )
    .delete(
        "/v2/storage/tables/{id}/primary-key",
        remove_primary_key,
        Doc::storage("Remove the primary key").ok(Content::Json("Table")),
    )
}

fn include(query: &IncludeQuery) -> TableInclude {
    TableInclude {
        metadata: query.includes("metadata"),
        column_metadata: query.includes("columnMetadata"),
    }
}

async fn list_all(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<IncludeQuery>,
) -> Result<Json<Vec<Table>>, ApiError> {
    let include = include(&query);
    state
        .run(move |s| s.list_tables(&auth, None, include))
        .await
        .map(Json)
}

async fn list_bucket(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(bucket): Id<BucketId>,
    ApiQuery(query): ApiQuery<IncludeQuery>,
) -> Result<Json<Vec<Table>>, ApiError> {
    let include = include(&query);
    state
        .run(move |s| s.list_tables(&auth, Some(&bucket), include))
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(bucket): Id<BucketId>,
    AppJson(new): AppJson<NewTable>,
) -> Result<(StatusCode, Json<Table>), ApiError> {
    let table = state
        .run(move |s| s.create_table(&auth, &bucket, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(table)))
}

async fn create_alias(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(bucket): Id<BucketId>,
    AppJson(new): AppJson<NewAlias>,
) -> Result<(StatusCode, Json<Table>), ApiError> {
    let table = state
        .run(move |s| s.create_alias(&auth, &bucket, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(table)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Table>, ApiError> {
    state.run(move |s| s.get_table(&auth, &id)).await.map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiQuery(query): ApiQuery<TableDeleteQuery>,
) -> Result<axum::response::Response, ApiError> {
    if query.asynchronous {
        let job = state.run(move |s| s.delete_table_async(&auth, &id)).await?;
        return Ok((StatusCode::ACCEPTED, Json(job)).into_response());
    }
    state.run(move |s| s.delete_table(&auth, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_column(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    AppJson(new): AppJson<NewColumn>,
) -> Result<(StatusCode, Json<Table>), ApiError> {
    let table = state.run(move |s| s.add_column(&auth, &id, &new)).await?;
    Ok((StatusCode::CREATED, Json(table)))
}

async fn delete_column(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((id, column)): Ids<(TableId, ColumnName)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Table>, ApiError> {
    state
        .run(move |s| s.delete_column(&auth, &id, &column))
        .await
        .map(Json)
}

async fn set_primary_key(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    AppJson(key): AppJson<PrimaryKey>,
) -> Result<Json<Table>, ApiError> {
    if key.columns.is_empty() {
        return Err(ApiError::bad_request(
            "storage.tables.emptyPrimaryKey",
            "columns is empty; use DELETE …/primary-key to remove the key",
        ));
    }
    state
        .run(move |s| s.set_primary_key(&auth, &id, &key.columns))
        .await
        .map(Json)
}

async fn remove_primary_key(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Table>, ApiError> {
    state
        .run(move |s| s.set_primary_key(&auth, &id, &[]))
        .await
        .map(Json)
}
