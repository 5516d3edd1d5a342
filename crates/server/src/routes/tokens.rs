use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use stackport_model::api::{NewToken, Token};
use stackport_model::TokenId;

use crate::api::{Api, Content, Doc};
use crate::error::ApiError;
use crate::extract::{AppJson, Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::NoQuery;

pub fn routes(api: Api) -> Api {
    api.get(
        "/v2/storage/tokens",
        list,
        Doc::storage("List the project's tokens").ok(Content::JsonList("Token")),
    )
    .post(
        "/v2/storage/tokens",
        create,
        Doc::storage("Create a token; its secret is in this answer only")
            .body(Content::Json("NewToken"))
            .created("Token"),
    )
    .get(
        "/v2/storage/tokens/{id}",
        get,
        Doc::storage("One token").ok(Content::Json("Token")),
    )
    .delete(
        "/v2/storage/tokens/{id}",
        delete,
        Doc::storage("Delete a token").no_content(),
    )
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Vec<Token>>, ApiError> {
    state.run(move |s| s.list_tokens(&auth)).await.map(Json)
}

async fn create(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    AppJson(new): AppJson<NewToken>,
) -> Result<(StatusCode, Json<Token>), ApiError> {
    let token = state.run(move |s| s.create_token(&auth, &new)).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TokenId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<Token>, ApiError> {
    state.run(move |s| s.get_token(&auth, id)).await.map(Json)
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TokenId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_token(&auth, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
