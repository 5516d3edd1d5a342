use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{NewProjectUser, ProjectUser, ProjectUserUpdate};
use stackport_model::ProjectId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{parse_id, AppJson, Id, ManageAuth, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/manage/projects/{id}/users",
        list,
        Doc::manage("Members of a project").ok(Content::JsonList("ProjectUser")),
    )
    .post(
        "/manage/projects/{id}/users",
        invite,
        Doc::manage("Invite someone to a project")
            .body(Content::Json("NewProjectUser"))
            .created("ProjectUser"),
    )
    .put(
        "/manage/projects/{id}/users/{email}",
        update,
        Doc::manage("Change a member's role or status")
            .body(Content::Json("ProjectUserUpdate"))
            .ok(Content::Json("ProjectUser")),
    )
    .delete(
        "/manage/projects/{id}/users/{email}",
        remove,
        Doc::manage("Remove a member").no_content(),
    )
    .get(
        "/v2/storage/users",
        list_own,
        Doc::storage("Members of the token's project (master token)")
            .ok(Content::JsonList("ProjectUser")),
    )
}

async fn list_own(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<ProjectUser>>, ApiError> {
    state
        .run(move |s| s.list_project_users(&auth))
        .await
        .map(Json)
}

async fn list(
    State(state): State<AppState>,
    _: ManageAuth,
    Id(id): Id<ProjectId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<ProjectUser>>, ApiError> {
    state.run(move |s| s.list_users(id)).await.map(Json)
}

async fn invite(
    State(state): State<AppState>,
    _: ManageAuth,
    Id(id): Id<ProjectId>,
    AppJson(new): AppJson<NewProjectUser>,
) -> Result<(StatusCode, Json<ProjectUser>), ApiError> {
    let user = state.run(move |s| s.invite_user(id, &new)).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn update(
    State(state): State<AppState>,
    _: ManageAuth,
    Path((id, email)): Path<(String, String)>,
    AppJson(update): AppJson<ProjectUserUpdate>,
) -> Result<Json<ProjectUser>, ApiError> {
    let id: ProjectId = parse_id(&id)?;
    state
        .run(move |s| s.update_user(id, &email, &update))
        .await
        .map(Json)
}

async fn remove(
    State(state): State<AppState>,
    _: ManageAuth,
    Path((id, email)): Path<(String, String)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    let id: ProjectId = parse_id(&id)?;
    state.run(move |s| s.remove_user(id, &email)).await?;
    Ok(StatusCode::NO_CONTENT)
}
