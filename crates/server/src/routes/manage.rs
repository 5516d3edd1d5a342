use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{
    CreatedProject, NewProject, Project, StackInfo, StorageIndex, Token, VerifiedToken,
};
use stackport_model::ProjectId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, ManageAuth, MaybeStorageAuth, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::MasterTokenQuery;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/manage/stack",
        stack_info,
        Doc::manage("The stack's settings").ok(Content::Json("StackInfo")),
    )
    .get(
        "/manage/projects",
        list_projects,
        Doc::manage("List projects").ok(Content::JsonList("Project")),
    )
    .post(
        "/manage/projects",
        create_project,
        Doc::manage("Create a project and its master token")
            .body(Content::Json("NewProject"))
            .created("CreatedProject"),
    )
    .get(
        "/manage/projects/{id}",
        get_project,
        Doc::manage("One project").ok(Content::Json("Project")),
    )
    .delete(
        "/manage/projects/{id}",
        delete_project,
        Doc::manage("Delete a project and all it holds").no_content(),
    )
    .post(
        "/manage/projects/{id}/tokens",
        create_master_token,
        Doc::manage("Issue a new master Storage token for a project")
            .created("Token")
            .query::<MasterTokenQuery>(),
    )
    .get("/v2/storage", index, INDEX_DOC)
    .get("/v2/storage/", index, INDEX_DOC)
    .get(
        "/v2/storage/tokens/verify",
        verify,
        Doc::storage("The calling token, its project and stack").ok(Content::Json("VerifiedToken")),
    )
}

async fn stack_info(
    State(state): State<AppState>,
    _: ManageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<StackInfo>, ApiError> {
    state.run(|s| Ok(s.info())).await.map(Json)
}

/// The index answers with and without the trailing slash: the reference's clients ask for both.
const INDEX_DOC: Doc =
    Doc::public("The stack's index: id, region, URL, IP addresses, backends, components, services")
        .ok(Content::Json("StorageIndex"));

async fn index(
    State(state): State<AppState>,
    MaybeStorageAuth(auth): MaybeStorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<StorageIndex>, ApiError> {
    state
        .run(move |s| {
            let mut info = s.info();
            // Asked with a project's token, the index names that project's backend, as the
            // reference's does: clients choose a workspace's backend by it.
            if let Some(auth) = auth {
                info.default_backend = s.get_project(auth.project())?.default_backend;
            }
            Ok(StorageIndex::of(info))
        })
        .await
        .map(Json)
}

async fn list_projects(
    State(state): State<AppState>,
    _: ManageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Project>>, ApiError> {
    state.run(|s| s.list_projects()).await.map(Json)
}

async fn create_project(
    State(state): State<AppState>,
    _: ManageAuth,
    AppJson(new): AppJson<NewProject>,
) -> Result<(StatusCode, Json<CreatedProject>), ApiError> {
    let created = state.run(move |s| s.create_project(&new)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get_project(
    State(state): State<AppState>,
    _: ManageAuth,
    Id(id): Id<ProjectId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Project>, ApiError> {
    state.run(move |s| s.get_project(id)).await.map(Json)
}

async fn delete_project(
    State(state): State<AppState>,
    _: ManageAuth,
    Id(id): Id<ProjectId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_project(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_master_token(
    State(state): State<AppState>,
    _: ManageAuth,
    Id(id): Id<ProjectId>,
    ApiQuery(query): ApiQuery<MasterTokenQuery>,
) -> Result<(StatusCode, Json<Token>), ApiError> {
    let description = query.description;
    let token = state
        .run(move |s| s.create_master_token(id, description.as_deref()))
        .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

async fn verify(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<VerifiedToken>, ApiError> {
    state.run(move |s| s.verify_token(&auth)).await.map(Json)
}
