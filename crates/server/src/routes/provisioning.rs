use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{
    BiProject, NewBiProject, NewWorkspace, ProvisionedResource, StorageJob, Workspace,
    WorkspaceLoadRequest, WorkspacePassword, WorkspacePublicKey,
};
use stackport_model::{ComponentId, ConfigId, WorkspaceId};
use stackport_stack::LoadKind;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, Ids, StorageAuth};
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
        "/v2/storage/workspaces/{id}/load",
        load,
        Doc::storage(
            "Load Storage tables into the workspace: a storage job whose results are the \
             loaded tables; preserve=false drops its tables first",
        )
        .body(Content::Json("WorkspaceLoadRequest"))
        .accepted("StorageJob"),
    )
    .post(
        "/v2/storage/workspaces/{id}/load-clone",
        load_clone,
        Doc::storage("Copy whole Storage tables into the workspace: a storage job")
            .body(Content::Json("WorkspaceLoadRequest"))
            .accepted("StorageJob"),
    )
    .post(
        "/v2/storage/workspaces/{id}/password",
        reset_password,
        Doc::storage("A new password for the workspace, shown only in this answer")
            .ok(Content::Json("WorkspacePassword")),
    )
    .post(
        "/v2/storage/workspaces/{id}/public-key",
        set_public_key,
        Doc::storage("Set the PEM public key the workspace's user may log in with")
            .body(Content::Json("WorkspacePublicKey"))
            .ok(Content::Json("Workspace")),
    )
    .get(
        "/v2/storage/components/{component}/configs/{config}/workspaces",
        config_workspaces,
        Doc::storage("The workspaces created for a configuration")
            .ok(Content::JsonList("Workspace")),
    )
    .get(
        "/v2/storage/branch/default/components/{component}/configs/{config}/workspaces",
        config_workspaces,
        Doc::storage("The workspaces created for a configuration")
            .ok(Content::JsonList("Workspace")),
    )
    .post(
        "/v2/storage/components/{component}/configs/{config}/workspaces",
        create_config_workspace,
        Doc::storage("Provision a workspace for a configuration")
            .body(Content::Json("NewWorkspace"))
            .created("Workspace"),
    )
    .post(
        "/v2/storage/branch/default/components/{component}/configs/{config}/workspaces",
        create_config_workspace,
        Doc::storage("Provision a workspace for a configuration")
            .body(Content::Json("NewWorkspace"))
            .created("Workspace"),
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
    Id(id): Id<WorkspaceId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Workspace>, ApiError> {
    state
        .run(move |s| s.get_workspace(&auth, id))
        .await
        .map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<WorkspaceId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_workspace(&auth, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn run_load(
    state: AppState,
    auth: stackport_stack::TokenAuth,
    id: WorkspaceId,
    request: WorkspaceLoadRequest,
    kind: LoadKind,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    let job = state
        .run(move |s| s.load_workspace_async(&auth, id, &request, kind))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

async fn load(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<WorkspaceId>,
    AppJson(request): AppJson<WorkspaceLoadRequest>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    run_load(state, auth, id, request, LoadKind::Load).await
}

async fn load_clone(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<WorkspaceId>,
    AppJson(request): AppJson<WorkspaceLoadRequest>,
) -> Result<(StatusCode, Json<StorageJob>), ApiError> {
    run_load(state, auth, id, request, LoadKind::Clone).await
}

async fn reset_password(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<WorkspaceId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<WorkspacePassword>, ApiError> {
    state
        .run(move |s| s.reset_workspace_password(&auth, id))
        .await
        .map(Json)
}

async fn set_public_key(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<WorkspaceId>,
    AppJson(body): AppJson<WorkspacePublicKey>,
) -> Result<Json<Workspace>, ApiError> {
    state
        .run(move |s| s.set_workspace_public_key(&auth, id, &body.public_key))
        .await
        .map(Json)
}

async fn config_workspaces(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Workspace>>, ApiError> {
    state
        .run(move |s| s.list_config_workspaces(&auth, &component, &config))
        .await
        .map(Json)
}

async fn create_config_workspace(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, config)): Ids<(ComponentId, ConfigId)>,
    AppJson(new): AppJson<NewWorkspace>,
) -> Result<(StatusCode, Json<Workspace>), ApiError> {
    if new.component_id.as_ref().is_some_and(|c| *c != component)
        || new.configuration_id.as_ref().is_some_and(|c| *c != config)
    {
        return Err(ApiError::bad_request(
            "workspaces.invalid",
            "componentId and configurationId of the body differ from the path's; leave them \
             out, the path names the configuration",
        ));
    }
    let new = NewWorkspace {
        component_id: Some(component),
        configuration_id: Some(config),
        ..new
    };
    let created = state.run(move |s| s.create_workspace(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(created)))
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
