//! OAuth credentials and SSH keys: the secrets a project gets from outside, sealed on arrival.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{NewOAuthCredentials, NewSshKey, OAuthCredentials, SshKeyPair};
use stackport_model::{ComponentId, CredentialsId};

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, Ids, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/oauth/credentials/{component}",
        list,
        Doc::storage("OAuth credentials of a component (never their tokens)")
            .ok(Content::JsonList("OAuthCredentials")),
    )
    .post(
        "/v2/oauth/credentials/{component}",
        create,
        Doc::storage("Store OAuth credentials; the provider's tokens are sealed at once")
            .body(Content::Json("NewOAuthCredentials"))
            .created("OAuthCredentials"),
    )
    .get(
        "/v2/oauth/credentials/{component}/{id}",
        get,
        Doc::storage("One set of OAuth credentials (never its tokens)")
            .ok(Content::Json("OAuthCredentials")),
    )
    .delete(
        "/v2/oauth/credentials/{component}/{id}",
        delete,
        Doc::storage("Forget OAuth credentials").no_content(),
    )
    .post(
        "/v2/ssh/keys",
        generate_key,
        Doc::storage("Generate an SSH key pair; the private key comes back sealed for the project")
            .body(Content::Json("NewSshKey"))
            .created("SshKeyPair"),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(component): Id<ComponentId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<OAuthCredentials>>, ApiError> {
    state
        .run(move |s| s.list_oauth_credentials(&auth, &component))
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(component): Id<ComponentId>,
    AppJson(new): AppJson<NewOAuthCredentials>,
) -> Result<(StatusCode, Json<OAuthCredentials>), ApiError> {
    let created = state
        .run(move |s| s.create_oauth_credentials(&auth, &component, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, id)): Ids<(ComponentId, CredentialsId)>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<OAuthCredentials>, ApiError> {
    state
        .run(move |s| s.get_oauth_credentials(&auth, &component, &id))
        .await
        .map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Ids((component, id)): Ids<(ComponentId, CredentialsId)>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_oauth_credentials(&auth, &component, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn generate_key(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewSshKey>,
) -> Result<(StatusCode, Json<SshKeyPair>), ApiError> {
    let pair = state.run(move |s| s.generate_ssh_key(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(pair)))
}
