use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use crate::api::{Api, Content, Doc};
use crate::body::RawBody;
use crate::error::ApiError;
use crate::query::ApiQuery;
use crate::AppState;
use stackport_model::api::query::EncryptQuery;

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/encryption/encrypt",
        encrypt,
        Doc::public(
            "Encrypt: a JSON body has every plaintext '#' value sealed; a text body is sealed whole. \
             There is no decrypt endpoint.",
        )
        .body(Content::Binary)
        .ok(Content::Binary)
        .query::<EncryptQuery>(),
    )
}

async fn encrypt(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EncryptQuery>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    if body.len() > stackport_stack::MAX_ENCRYPT_BYTES {
        return Err(stackport_stack::Error::new(
            stackport_stack::ErrorKind::TooLarge,
            "encryption.tooLarge",
            format!(
                "at most {} bytes can be encrypted at once",
                stackport_stack::MAX_ENCRYPT_BYTES
            ),
        )
        .into());
    }
    let EncryptQuery {
        component_id: component,
        project_id: project,
        config_id: config,
    } = query;
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::bad_request(
            "encryption.invalidBody",
            "the body must be UTF-8 text or JSON",
        )
    })?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let sealed = state
        .run(move |s| {
            if is_json {
                s.encrypt_json(project, component.as_ref(), config.as_ref(), &text)
            } else {
                s.encrypt_text(project, component.as_ref(), config.as_ref(), &text)
            }
        })
        .await?;
    let content_type = if is_json {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    Ok(([(header::CONTENT_TYPE, content_type)], sealed).into_response())
}
