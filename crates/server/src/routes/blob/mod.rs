//! The stack's own Azure Blob service (`/blob/<container>/<blob>`), for the Azure SDK that the
//! reference platform's clients upload and download files with. Only what they use: Put Blob,
//! Put Block, Put Block List, Get Blob (whole or ranged) and Get Blob Properties (`HEAD`).
//! Access is by the signature in the query ([`stackport_stack::blob::sas`]), never a token.

mod errors;
mod get;
mod prepare;
mod put;
pub(crate) mod resource;

use axum::http::Uri;
use stackport_stack::blob::Grant;

use crate::api::{Api, Content, Doc};
use crate::AppState;
use errors::BlobError;

/// The service version answered in `x-ms-version`: the SDK's own default.
pub(crate) const API_VERSION: &str = "2025-01-05";

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/storage/files/prepare",
        prepare::prepare,
        Doc::storage("Prepare a file for an upload to the blob endpoint (provider azure)")
            .body(Content::Json("PrepareFile"))
            .created("FileResource"),
    )
    .put(
        "/blob/{container}/{*blob}",
        put::put,
        Doc {
            status: 201,
            ..Doc::public(
                "Azure Put Blob, Put Block (comp=block) or Put Block List (comp=blocklist), signed",
            )
            .body(Content::Binary)
        },
    )
    .get(
        "/blob/{container}/{*blob}",
        get::get,
        Doc::public("Azure Get Blob (Range or x-ms-range) and Get Blob Properties (HEAD), signed")
            .ok(Content::Binary),
    )
}

/// The query's pairs, decoded.
fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, BlobError> {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(|_| {
        BlobError(stackport_stack::Error::invalid(
            "InvalidQueryParameterValue",
            "the query string is not valid form encoding",
        ))
    })
}

fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The request's signature, checked.
fn grant(state: &AppState, pairs: &[(String, String)]) -> Result<Grant, BlobError> {
    Ok(state.stack.check_signature(pairs)?)
}

/// An id for `x-ms-request-id`.
fn request_id() -> String {
    format!(
        "{:016x}{:016x}",
        crate::error::rand_id(),
        crate::error::rand_id()
    )
}
