//! The query-string extractor: a request's query parsed once into its endpoint's typed struct.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use stackport_model::api::query::{Query, QueryError};

use crate::error::ApiError;

/// The endpoint's query, `T`; anything it does not declare is a 400 `invalidQuery`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: Query> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|e| {
            ApiError::bad_request(
                "invalidQuery",
                format!("the query string is not valid: {e}"),
            )
        })?;
        T::from_pairs(pairs)
            .map(ApiQuery)
            .map_err(|e| invalid_query(&parts.method, parts.uri.path(), e))
    }
}

/// The answer to a refused query, naming the endpoint so the accepted list has a subject.
pub fn invalid_query(method: &axum::http::Method, path: &str, e: QueryError) -> ApiError {
    ApiError::bad_request("invalidQuery", format!("{method} {path}: {}", e.message))
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::bad_request("invalidQuery", e.message)
    }
}
