//! `POST /v2/storage/files/prepare`: a file whose bytes the client then uploads to the blob
//! endpoint with the Azure SDK (or a plain `PUT` of the signed `url`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use stackport_model::api::query::NoQuery;
use stackport_model::api::{ErrorBody, PrepareFile};
use stackport_stack::NewFile;

use super::resource;
use crate::error::ApiError;
use crate::extract::{AppJson, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;

/// A 501 for a part of `files/prepare` the stack does not have.
fn not_implemented(code: &str, error: String) -> Response {
    let body = ErrorBody {
        error,
        code: code.into(),
        status: 501,
        exception_id: None,
    };
    (StatusCode::NOT_IMPLEMENTED, Json(body)).into_response()
}

pub(super) async fn prepare(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    headers: HeaderMap,
    _: ApiQuery<NoQuery>,
    AppJson(body): AppJson<PrepareFile>,
) -> Result<Response, ApiError> {
    if body.is_public {
        return Ok(not_implemented(
            "storage.files.publicNotSupported",
            "public files (isPublic=1) are not supported: every read of a stack's file is \
             signed; prepare it with isPublic=0 and share its signed url"
                .into(),
        ));
    }
    let new = NewFile {
        name: body.name,
        tags: body.tags,
        is_permanent: body.is_permanent,
        max_age_days: None,
    };
    let (size, sliced) = (body.size_bytes, body.is_sliced);
    let answer = state
        .run(move |s| {
            let (file, grant) = s.prepare_file(&auth, &new, size, sliced)?;
            let endpoint = resource::blob_endpoint(&headers, s);
            Ok(resource::prepared(s, &endpoint, file, &grant))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
