//! Errors of the blob endpoint as Azure answers them, because the Azure SDK reads them: an XML
//! `<Error><Code>..</Code><Message>..</Message></Error>` body and the `x-ms-error-code` header.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stackport_stack::{Error, ErrorKind};

use crate::error::ApiError;

/// An error answered in Azure's shape.
pub(crate) struct BlobError(pub Error);

impl From<Error> for BlobError {
    fn from(e: Error) -> Self {
        BlobError(e)
    }
}

impl From<ApiError> for BlobError {
    fn from(e: ApiError) -> Self {
        BlobError(e.into_inner())
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Azure's code for an error: the blob rules name theirs (`BlobNotFound`, no dots); the rest
/// are mapped by kind.
fn azure_code(e: &Error) -> &'static str {
    let code = e.code();
    if !code.contains('.') && code.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return code;
    }
    match e.kind() {
        ErrorKind::Invalid => "InvalidInput",
        ErrorKind::Unauthorized | ErrorKind::Forbidden => "AuthenticationFailed",
        ErrorKind::NotFound => "BlobNotFound",
        ErrorKind::Conflict => "ConditionNotMet",
        ErrorKind::TooLarge => "RequestBodyTooLarge",
        ErrorKind::Timeout => "OperationTimedOut",
        ErrorKind::Unavailable => "ServerBusy",
        ErrorKind::NotImplemented => "FeatureNotSupported",
        ErrorKind::Internal => "InternalError",
    }
}

impl IntoResponse for BlobError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.kind() == ErrorKind::Internal {
            // The JSON error logs the cause under an id; its status is what the SDK retries.
            return ApiError::from(e).into_response();
        }
        let status = match e.kind() {
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized | ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Timeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let status = if e.code() == "InvalidRange" {
            StatusCode::RANGE_NOT_SATISFIABLE
        } else {
            status
        };
        let code = azure_code(&e);
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{}</Message></Error>",
            escape(e.message())
        );
        Response::builder()
            .status(status)
            .header("content-type", "application/xml")
            .header("x-ms-error-code", code)
            .header("x-ms-version", super::API_VERSION)
            .body(axum::body::Body::from(body))
            .expect("headers are valid")
    }
}
