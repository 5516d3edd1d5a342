//! One error type for every handler; its response never shows internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use stackport_model::api::ErrorBody;
use stackport_stack::{Error, ErrorKind};

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError(Error);

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError(Error::invalid(code, message))
    }
}

impl ApiError {
    /// The stack's error inside, for endpoints that answer errors in another shape.
    pub(crate) fn into_inner(self) -> Error {
        self.0
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<stackport_model::IdError> for ApiError {
    fn from(e: stackport_model::IdError) -> Self {
        ApiError(e.into())
    }
}

fn status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Timeout => StatusCode::REQUEST_TIMEOUT,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status(self.0.kind());
        let body = if self.0.kind() == ErrorKind::Internal {
            let id = format!("exc-{:016x}", rand_id());
            // The cause goes to the log only, under the id the client can quote.
            tracing::error!(exception_id = %id, error = %self.0, "request failed");
            ErrorBody {
                error: format!("the stack failed to handle the request; the operator can find it in the log as {id}"),
                code: "internal".into(),
                status: status.as_u16(),
                exception_id: Some(id),
            }
        } else {
            ErrorBody {
                error: self.0.message().to_string(),
                code: self.0.code().to_string(),
                status: status.as_u16(),
                exception_id: None,
            }
        };
        (status, Json(body)).into_response()
    }
}

pub(crate) fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}
