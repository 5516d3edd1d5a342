use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{BiProject, NewBiProject, NewWorkspace, ProvisionedResource, Workspace};
use stackport_model::WorkspaceId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{parse_id, AppJson, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/workspaces",
        list,
        Doc::storage("The project's SQL workspaces").ok(Content::JsonList("Workspace")),
    )
    .post(
        "/v2/storage/workspaces",
        create,
        Doc::storage("Provision a SQL workspace (for a configuration, when given)")
            .body(Content::Json("NewWorkspace"))
            .created("Workspace"),
    )
    .get(
        "/v2/storage/workspaces/{id}",
        get,
        Doc::storage("One workspace").ok(Content::Json("Workspace")),
    )
    .delete(
        "/v2/storage/workspaces/{id}",
        delete,
        Doc::storage("Drop a workspace and its database").no_content(),
    )
    .post(
        "/v2/storage/bi-projects",
        create_bi,
        Doc::storage(
            "Provision a BI project in the stack's BI account for a BI writer configuration",
        )
        .body(Content::Json("NewBiProject"))
        .created("BiProject"),
    )
    .get(
        "/v2/storage/provisioned",
        provisioned,
        Doc::storage("Everything the stack provisioned for the project")
            .ok(Content::JsonList("ProvisionedResource")),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Workspace>>, ApiError> {
    state.run(move |s| s.list_workspaces(&auth)).await.map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewWorkspace>,
) -> Result<(StatusCode, Json<Workspace>), ApiError> {
    let created = state.run(move |s| s.create_workspace(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Workspace>, ApiError> {
    let id: WorkspaceId = parse_id(&id)?;
    state
        .run(move |s| s.get_workspace(&auth, id))
        .await
        .map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    let id: WorkspaceId = parse_id(&id)?;
    state.run(move |s| s.delete_workspace(&auth, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_bi(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewBiProject>,
) -> Result<(StatusCode, Json<BiProject>), ApiError> {
    let created = state.run(move |s| s.create_bi_project(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn provisioned(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<ProvisionedResource>>, ApiError> {
    state
        .run(move |s| s.list_provisioned(&auth))
        .await
        .map(Json)
}
