//! Request extractors that answer bad input in the API's error shape.

use std::str::FromStr;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use stackport_stack::TokenAuth;

use crate::body::RawBody;
use crate::error::ApiError;
use crate::unknown_field::body_error_message;
use crate::AppState;

/// Header of a project's Storage API token.
pub const STORAGE_TOKEN_HEADER: &str = "x-storageapi-token";
/// Header of the stack administrator's token.
pub const MANAGE_TOKEN_HEADER: &str = "x-kbc-manageapitoken";

fn header(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A verified Storage API token.
pub struct StorageAuth(pub TokenAuth);

impl FromRequestParts<AppState> for StorageAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = header(parts, STORAGE_TOKEN_HEADER);
        state
            .run(move |stack| stack.authenticate(token.as_deref()))
            .await
            .map(StorageAuth)
    }
}

/// A verified manage token.
pub struct ManageAuth;

impl FromRequestParts<AppState> for ManageAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = header(parts, MANAGE_TOKEN_HEADER);
        state
            .run(move |stack| stack.authenticate_manage(token.as_deref()))
            .await
            .map(|_| ManageAuth)
    }
}

/// A JSON body: its nesting measured before anything recurses over it (`limits.maxJsonDepth`),
/// malformed JSON a 400 naming the problem, an oversized one a 413, a stalled one a 408.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::bad_request(
                "invalidBody",
                "the request body is not valid: send it as JSON with Content-Type: application/json",
            ));
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            ApiError::bad_request("invalidBody", format!("the request body is not UTF-8: {e}"))
        })?;
        state.stack.check_json_depth(text, "the request body")?;
        serde_json::from_str(text)
            .map(AppJson)
            .map_err(invalid_body)
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// The answer to a body that does not deserialize into the endpoint's type: an unknown field
/// is named with the nearest one the endpoint knows.
pub(crate) fn invalid_body(e: serde_json::Error) -> ApiError {
    ApiError::bad_request("invalidBody", body_error_message(&e.to_string()))
}

/// Parses a path segment into a typed id.
pub fn parse_id<T: FromStr<Err = stackport_model::IdError>>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(ApiError::from)
}
