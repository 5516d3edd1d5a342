//! The parameters of the asynchronous table flows: the reference clients send them as a form
//! body (`kbcstorage` posts `data=`), others as a query string or a flat JSON object. All three
//! are read into the endpoint's one typed query struct, so each name is spelled once and an
//! unknown one is a 400 as in any query.

use axum::extract::{FromRequest, Request};
use serde_json::Value;
use stackport_model::api::query::Query;

use crate::body::RawBody;
use crate::error::ApiError;
use crate::query::invalid_query;

/// The endpoint's parameters, `T`, from the query string and the body together.
pub struct ApiParams<T>(pub T);

impl<S: Send + Sync, T: Query> FromRequest<S> for ApiParams<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.uri().query().unwrap_or("")).map_err(|e| {
                ApiError::bad_request(
                    "invalidQuery",
                    format!("the query string is not valid: {e}"),
                )
            })?;
        let mime = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            match mime.as_deref() {
                Some("application/x-www-form-urlencoded") => {
                    let body: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                        .map_err(|e| {
                            ApiError::bad_request(
                                "invalidBody",
                                format!("the form body is not valid: {e}"),
                            )
                        })?;
                    pairs.extend(body);
                }
                Some("application/json") => pairs.extend(json_pairs(&bytes)?),
                _ => {
                    return Err(ApiError::bad_request(
                        "invalidBody",
                        "send the parameters as a form (Content-Type: \
                         application/x-www-form-urlencoded), a JSON object of strings, numbers, \
                         booleans and lists of them, or in the query string",
                    ))
                }
            }
        }
        T::from_pairs(pairs)
            .map(ApiParams)
            .map_err(|e| invalid_query(&method, &path, e))
    }
}

/// A flat JSON object as pairs: a list becomes the repeated `name[]`.
fn json_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let flat = || {
        ApiError::bad_request(
            "invalidBody",
            "the JSON body must be an object whose values are strings, numbers, booleans or \
             lists of them",
        )
    };
    let value: Value = serde_json::from_slice(bytes).map_err(crate::extract::invalid_body)?;
    let Value::Object(fields) = value else {
        return Err(flat());
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    for (name, value) in fields {
        match &value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    out.push((format!("{name}[]"), scalar(item).ok_or_else(flat)?));
                }
            }
            other => out.push((name, scalar(other).ok_or_else(flat)?)),
        }
    }
    Ok(out)
}
