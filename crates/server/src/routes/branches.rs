//! The project's one branch, in the reference's development-branch shape (see
//! `stackport_stack::ops::branches`).

use axum::extract::{Path, State};
use axum::Json;
use stackport_model::api::query::NoQuery;
use stackport_model::api::Branch;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::StorageAuth;
use crate::query::ApiQuery;
use crate::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/dev-branches",
        list,
        Doc::storage("The project's branches: its main one only").ok(Content::JsonList("Branch")),
    )
    .get(
        "/v2/storage/dev-branches/{id}",
        detail,
        Doc::storage("The main branch, by 'default' or its id").ok(Content::Json("Branch")),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Branch>>, ApiError> {
    state
        .run(move |s| s.default_branch(&auth).map(|b| vec![b]))
        .await
        .map(Json)
}

async fn detail(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Branch>, ApiError> {
    state.run(move |s| s.branch(&auth, &id)).await.map(Json)
}
