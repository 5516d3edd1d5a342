//! Storage jobs: polled by the reference clients until they end.

use axum::extract::State;
use axum::Json;
use stackport_model::api::query::StorageJobListQuery;
use stackport_model::api::StorageJob;
use stackport_model::StorageJobId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/jobs",
        list,
        Doc::storage("The project's storage jobs, newest first")
            .ok(Content::JsonList("StorageJob"))
            .query::<StorageJobListQuery>(),
    )
    .get(
        "/v2/storage/jobs/{id}",
        get,
        Doc::storage("One storage job: poll it until status is success or error")
            .ok(Content::Json("StorageJob")),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<StorageJobListQuery>,
) -> Result<Json<Vec<StorageJob>>, ApiError> {
    state
        .run(move |s| s.list_storage_jobs(&auth, &query))
        .await
        .map(Json)
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<StorageJobId>,
    _: ApiQuery<stackport_model::api::query::NoQuery>,
) -> Result<Json<StorageJob>, ApiError> {
    state
        .run(move |s| s.get_storage_job(&auth, id))
        .await
        .map(Json)
}
