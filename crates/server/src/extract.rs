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

/// A verified Storage API token when the request carries one; none when it carries none. A
/// token that is sent but does not verify is refused, as everywhere else.
pub struct MaybeStorageAuth(pub Option<TokenAuth>);

impl FromRequestParts<AppState> for MaybeStorageAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if header(parts, STORAGE_TOKEN_HEADER).is_none() {
            return Ok(MaybeStorageAuth(None));
        }
        StorageAuth::from_request_parts(parts, state)
            .await
            .map(|StorageAuth(auth)| MaybeStorageAuth(Some(auth)))
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

/// A body of a create or update, JSON or form-encoded (as the reference platform's clients send
/// it): its nesting measured before anything recurses over it (`limits.maxJsonDepth`), malformed
/// input a 400 naming the problem, an oversized one a 413, a stalled one a 408.
pub struct AppJson<T>(pub T);

/// The kinds of body [`AppJson`] reads.
enum BodyKind {
    Json,
    Form,
}

impl<T: DeserializeOwned> FromRequest<AppState> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        read_body(req, state, &[]).await.map(AppJson)
    }
}

/// A body type whose form may repeat a list field's plain name (`x=a&x=b`).
pub trait FormLists {
    /// The fields that may.
    const LIST_FIELDS: &'static [&'static str];
}

/// [`AppJson`] for a body type with [`FormLists`].
pub struct AppJsonLists<T>(pub T);

impl<T: DeserializeOwned + FormLists> FromRequest<AppState> for AppJsonLists<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        read_body(req, state, T::LIST_FIELDS)
            .await
            .map(AppJsonLists)
    }
}

async fn read_body<T: DeserializeOwned>(
    req: Request,
    state: &AppState,
    lists: &[&str],
) -> Result<T, ApiError> {
    let Some(kind) = body_kind(req.headers()) else {
        return Err(ApiError::bad_request(
            "invalidBody",
            "the request body is not valid: send it as JSON with Content-Type: \
             application/json, or as a form with Content-Type: \
             application/x-www-form-urlencoded",
        ));
    };
    let RawBody(bytes) = RawBody::from_request(req, state).await?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ApiError::bad_request("invalidBody", format!("the request body is not UTF-8: {e}"))
    })?;
    match kind {
        BodyKind::Json => {
            state.stack.check_json_depth(text, "the request body")?;
            serde_json::from_str(text).map_err(invalid_body)
        }
        BodyKind::Form => {
            let max_depth = state.stack.settings().limits.max_json_depth;
            crate::form::parse_with_lists(text, max_depth, lists)
                .and_then(|tree| crate::form::from_tree(tree, max_depth))
                .map_err(|e| invalid_form(e, max_depth))
        }
    }
}

fn body_kind(headers: &axum::http::HeaderMap) -> Option<BodyKind> {
    let mime = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())?
        .trim();
    if mime.eq_ignore_ascii_case("application/json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
    {
        Some(BodyKind::Json)
    } else if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Some(BodyKind::Form)
    } else {
        None
    }
}

/// The answer to a form that does not make the endpoint's body: too deep is the same refusal
/// as for JSON, anything else names the field (an unknown one with the nearest known one).
fn invalid_form(e: crate::form::FormError, max_depth: usize) -> ApiError {
    if e.too_deep {
        return ApiError::from(stackport_stack::Error::invalid(
            "invalidBody.tooDeep",
            format!("{e}; this stack's limit is limits.maxJsonDepth = {max_depth}"),
        ));
    }
    ApiError::bad_request("invalidBody", body_error_message(&e.to_string()))
}

/// The answer to a body that does not deserialize into the endpoint's type: an unknown field
/// is named with the nearest one the endpoint knows.
pub(crate) fn invalid_body(e: serde_json::Error) -> ApiError {
    ApiError::bad_request("invalidBody", body_error_message(&e.to_string()))
}

/// A route's one path id, parsed by the extractor (see [`parse_id`] for the answer to one that
/// cannot be an id), so no handler holds an unparsed id.
pub struct Id<T>(pub T);

/// A route's path ids, in the order of the path: `Ids<(ComponentId, ConfigId)>`.
pub struct Ids<T>(pub T);

/// Path ids read from the path's segments in order.
pub trait FromSegments: Sized {
    /// How many segments the route's path has.
    const COUNT: usize;
    /// Parses exactly `COUNT` segments.
    fn from_segments(segments: &[String]) -> Result<Self, ApiError>;
}

macro_rules! from_segments {
    ($count:literal; $($t:ident $i:tt),*) => {
        impl<$($t: FromStr<Err = stackport_model::IdError>),*> FromSegments for ($($t,)*) {
            const COUNT: usize = $count;
            fn from_segments(segments: &[String]) -> Result<Self, ApiError> {
                Ok(($(parse_id::<$t>(&segments[$i])?,)*))
            }
        }
    };
}
from_segments!(2; A 0, B 1);
from_segments!(3; A 0, B 1, C 2);

/// The route's path segments, decoded; a route whose path has another number of them than its
/// handler names is a bug of the route table, answered as one.
async fn segments<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    count: usize,
) -> Result<Vec<String>, ApiError> {
    let axum::extract::Path(segments) =
        axum::extract::Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                ApiError::bad_request("invalidPath", format!("the path cannot be read: {e}"))
            })?;
    if segments.len() != count {
        return Err(ApiError::from(stackport_stack::Error::internal(
            "reading the path ids",
            format!(
                "route {} has {} path ids, its handler reads {count}",
                parts.uri.path(),
                segments.len()
            ),
        )));
    }
    Ok(segments)
}

impl<S: Send + Sync, T: FromStr<Err = stackport_model::IdError>> FromRequestParts<S> for Id<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let segments = segments(parts, state, 1).await?;
        parse_id(&segments[0]).map(Id)
    }
}

impl<S: Send + Sync, T: FromSegments> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let segments = segments(parts, state, T::COUNT).await?;
        T::from_segments(&segments).map(Ids)
    }
}

/// A configuration's version number in a path: 1, 2, …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionNumber(pub u64);

impl FromStr for VersionNumber {
    type Err = stackport_model::IdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.parse::<u64>()
            .ok()
            .filter(|v| *v > 0)
            .map(VersionNumber)
            .ok_or_else(|| stackport_model::IdError {
                what: "version",
                value: raw.chars().take(200).collect(),
                rule: "versions are positive whole numbers",
            })
    }
}

/// Parses a path segment into a typed id. Every path id names an object that should exist, and
/// one spelled so that it cannot be an id names none: that is a 404 with the object's not-found
/// code, as the reference platform answers (its clients treat a 404 as "not there", a 400 as a
/// broken request), the message still saying what a valid id looks like.
pub fn parse_id<T: FromStr<Err = stackport_model::IdError>>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(id_not_found)
}

fn id_not_found(e: stackport_model::IdError) -> ApiError {
    let code = match e.what.split(' ').next().unwrap_or_default() {
        "bucket" => "storage.buckets.notFound",
        "table" => "storage.tables.notFound",
        "column" => "storage.tables.columnNotFound",
        "file" => "storage.files.notFound",
        "metadata" => "storage.metadata.notFound",
        "token" => "storage.tokens.notFound",
        "event" => "storage.events.notFound",
        "component" => "components.notFound",
        "configuration" => "components.configurations.notFound",
        "row" => "components.configurations.rowNotFound",
        "credentials" => "oauth.credentialsNotFound",
        "workspace" => "workspaces.notFound",
        "orchestration" => "orchestrations.notFound",
        "trigger" => "storage.triggers.notFound",
        "job" => "queue.jobs.notFound",
        "version" => "components.configurations.versionNotFound",
        "project" => "manage.projects.notFound",
        _ => "notFound",
    };
    ApiError::from(stackport_stack::Error::not_found(
        code,
        format!(
            "{} '{}' not found: no such id can exist ({}); check the id",
            e.what, e.value, e.rule
        ),
    ))
}
