use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{NewOrchestration, Orchestration, OrchestrationUpdate};
use stackport_model::OrchestrationId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/orchestrations",
        list,
        Doc::storage("The project's orchestrations").ok(Content::JsonList("Orchestration")),
    )
    .post(
        "/v2/orchestrations",
        create,
        Doc::storage("Create an orchestration; every task must point at an existing configuration or orchestration")
            .body(Content::Json("NewOrchestration"))
            .created("Orchestration"),
    )
    .get(
        "/v2/orchestrations/{id}",
        get,
        Doc::storage("One orchestration").ok(Content::Json("Orchestration")),
    )
    .put(
        "/v2/orchestrations/{id}",
        update,
        Doc::storage("Change an orchestration")
            .body(Content::Json("OrchestrationUpdate"))
            .ok(Content::Json("Orchestration")),
    )
    .delete(
        "/v2/orchestrations/{id}",
        delete,
        Doc::storage("Delete an orchestration no other one runs").no_content(),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Orchestration>>, ApiError> {
    state
        .run(move |s| s.list_orchestrations(&auth))
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewOrchestration>,
) -> Result<(StatusCode, Json<Orchestration>), ApiError> {
    let created = state
        .run(move |s| s.create_orchestration(&auth, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<OrchestrationId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Orchestration>, ApiError> {
    state
        .run(move |s| s.get_orchestration(&auth, id))
        .await
        .map(Json)
}

async fn update(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<OrchestrationId>,
    AppJson(update): AppJson<OrchestrationUpdate>,
) -> Result<Json<Orchestration>, ApiError> {
    state
        .run(move |s| s.update_orchestration(&auth, id, &update))
        .await
        .map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<OrchestrationId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_orchestration(&auth, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
