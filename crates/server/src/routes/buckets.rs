use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use stackport_model::api::query::NoQuery;
use stackport_model::api::{Bucket, NewBucket};
use stackport_model::BucketId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::{BucketDeleteQuery, IncludeQuery};

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/buckets",
        list,
        Doc::storage("List buckets the token can see")
            .ok(Content::JsonList("Bucket"))
            .query::<IncludeQuery>(),
    )
    .post(
        "/v2/storage/buckets",
        create,
        Doc::storage("Create a bucket")
            .body(Content::Json("NewBucket"))
            .created("Bucket"),
    )
    .get(
        "/v2/storage/buckets/{id}",
        get,
        Doc::storage("One bucket, with metadata").ok(Content::Json("Bucket")),
    )
    .delete(
        "/v2/storage/buckets/{id}",
        delete,
        Doc::storage("Delete a bucket")
            .no_content()
            .query::<BucketDeleteQuery>(),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<IncludeQuery>,
) -> Result<Json<Vec<Bucket>>, ApiError> {
    let metadata = query.includes("metadata");
    state
        .run(move |s| s.list_buckets(&auth, metadata))
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewBucket>,
) -> Result<(StatusCode, Json<Bucket>), ApiError> {
    let bucket = state.run(move |s| s.create_bucket(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(bucket)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<BucketId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Bucket>, ApiError> {
    state.run(move |s| s.get_bucket(&auth, &id)).await.map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<BucketId>,
    ApiQuery(query): ApiQuery<BucketDeleteQuery>,
) -> Result<axum::response::Response, ApiError> {
    let force = query.force;
    if query.asynchronous {
        let job = state
            .run(move |s| s.delete_bucket_async(&auth, &id, force))
            .await?;
        return Ok((StatusCode::ACCEPTED, Json(job)).into_response());
    }
    state
        .run(move |s| s.delete_bucket(&auth, &id, force))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
