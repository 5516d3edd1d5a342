//! Put Blob, Put Block and Put Block List of a prepared file.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use futures_util::StreamExt;
use stackport_model::api::FileInfo;
use stackport_stack::blob::{Grant, Target, MAX_BLOCK_ID_BYTES};
use stackport_stack::{Error, StagedUpload};

use super::errors::BlobError;
use super::{get::etag, get::http_date, grant, pair, query_pairs, request_id, API_VERSION};
use crate::body::body_error;
use crate::routes::files::{write_block, UPLOAD_BLOCK};
use crate::AppState;

/// The most a block list's XML (50,000 ids of 64 bytes in base64, with their tags) or a
/// manifest may have.
const MAX_BLOCK_LIST_BYTES: usize = 8 * 1024 * 1024;

pub(super) async fn put(
    State(state): State<AppState>,
    Path((container, blob)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, BlobError> {
    let pairs = query_pairs(&uri)?;
    let grant = grant(&state, &pairs)?;
    match pair(&pairs, "comp") {
        None => put_blob(state, grant, container, blob, &headers, body).await,
        Some("block") => {
            let id = block_id(pair(&pairs, "blockid"))?;
            put_block(state, grant, container, blob, id, body).await
        }
        Some("blocklist") => put_block_list(state, grant, container, blob, body).await,
        Some(other) => Err(BlobError(Error::invalid(
            "UnsupportedQueryParameter",
            format!(
                "comp={other} is not an operation of this blob endpoint; it has Put Blob, \
                 Put Block (comp=block) and Put Block List (comp=blocklist)"
            ),
        ))),
    }
}

/// A Put Block's `blockid`: base64 of at most 64 bytes, as Azure takes it.
fn block_id(raw: Option<&str>) -> Result<String, BlobError> {
    let invalid = |m: String| BlobError(Error::invalid("InvalidQueryParameterValue", m));
    let raw = raw.ok_or_else(|| invalid("Put Block (comp=block) needs a blockid".into()))?;
    match base64::engine::general_purpose::STANDARD.decode(raw) {
        Ok(bytes) if !bytes.is_empty() && bytes.len() <= MAX_BLOCK_ID_BYTES => Ok(raw.to_string()),
        _ => Err(invalid(format!(
            "blockid '{raw}' must be base64 of 1 to {MAX_BLOCK_ID_BYTES} bytes"
        ))),
    }
}

/// The 201 of a write.
fn created(file: Option<&FileInfo>) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::CREATED)
        .header("x-ms-request-id", request_id())
        .header("x-ms-version", API_VERSION)
        .header("x-ms-request-server-encrypted", "false");
    if let Some(file) = file {
        b = b
            .header("etag", etag(file))
            .header("last-modified", http_date(file));
    }
    b.body(Body::empty()).expect("headers are valid")
}

/// Streams `body` into `upload`, a block at a time on the blocking pool.
async fn receive(
    state: &AppState,
    mut upload: StagedUpload,
    body: Body,
) -> Result<StagedUpload, BlobError> {
    let mut stream = body.into_data_stream();
    let mut block = Vec::with_capacity(UPLOAD_BLOCK);
    while let Some(chunk) = stream.next().await {
        block.extend_from_slice(&chunk.map_err(|e| body_error(&e))?);
        if block.len() >= UPLOAD_BLOCK {
            (upload, block) = write_block(state, upload, block).await?;
        }
    }
    if !block.is_empty() {
        (upload, _) = write_block(state, upload, block).await?;
    }
    Ok(upload)
}

async fn begin(
    state: &AppState,
    grant: Grant,
    container: &str,
    blob: &str,
) -> Result<StagedUpload, BlobError> {
    let (c, b) = (container.to_string(), blob.to_string());
    Ok(state.run(move |s| s.stage_blob(&grant, &c, &b)).await?)
}

async fn put_blob(
    state: AppState,
    grant: Grant,
    container: String,
    blob: String,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, BlobError> {
    let blob_type = headers
        .get("x-ms-blob-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !blob_type.eq_ignore_ascii_case("BlockBlob") {
        return Err(BlobError(Error::invalid(
            "InvalidHeaderValue",
            format!(
                "x-ms-blob-type must be BlockBlob (the only blob type of this endpoint), not \
                 '{blob_type}'"
            ),
        )));
    }
    let target = {
        let (c, b) = (container.clone(), blob.clone());
        state.run(move |s| s.blob_target(&grant, &c, &b)).await?
    };
    if target == Target::Manifest {
        let manifest = bounded(body).await?;
        let file = state
            .run_transfer(move |s| s.put_manifest(&grant, &container, &blob, &manifest))
            .await?;
        return Ok(created(Some(&file)));
    }
    let upload = begin(&state, grant, &container, &blob).await?;
    let upload = receive(&state, upload, body).await?;
    let file = state
        .run_transfer(move |s| s.put_blob(&grant, &container, &blob, upload))
        .await?;
    Ok(created(file.as_ref()))
}

/// A small body (a block list, a manifest), whole.
async fn bounded(body: Body) -> Result<bytes::Bytes, BlobError> {
    axum::body::to_bytes(body, MAX_BLOCK_LIST_BYTES)
        .await
        .map_err(|e| {
            BlobError(Error::new(
                stackport_stack::ErrorKind::TooLarge,
                "RequestBodyTooLarge",
                format!("a block list or manifest has at most {MAX_BLOCK_LIST_BYTES} bytes: {e}"),
            ))
        })
}

async fn put_block(
    state: AppState,
    grant: Grant,
    container: String,
    blob: String,
    id: String,
    body: Body,
) -> Result<Response, BlobError> {
    let upload = begin(&state, grant, &container, &blob).await?;
    let upload = receive(&state, upload, body).await?;
    state
        .run_transfer(move |s| s.put_block(&grant, &container, &blob, &id, upload))
        .await?;
    Ok(created(None))
}

async fn put_block_list(
    state: AppState,
    grant: Grant,
    container: String,
    blob: String,
    body: Body,
) -> Result<Response, BlobError> {
    let bytes = bounded(body).await?;
    let ids = block_list(&bytes)?;
    let file = state
        .run_transfer(move |s| s.put_block_list(&grant, &container, &blob, &ids))
        .await?;
    Ok(created(Some(&file)))
}

/// The ids of a `<BlockList>`: each `<Latest>`, `<Uncommitted>` or `<Committed>` element in
/// order (a prepared file has no committed blocks, so all name uncommitted ones).
fn block_list(xml: &[u8]) -> Result<Vec<String>, BlobError> {
    let invalid = |m: &str| {
        BlobError(Error::invalid(
            "InvalidXmlDocument",
            format!("the block list is not <BlockList><Latest>id</Latest>..</BlockList>: {m}"),
        ))
    };
    let text = std::str::from_utf8(xml).map_err(|_| invalid("not UTF-8"))?;
    let start = text
        .find("<BlockList>")
        .ok_or_else(|| invalid("no <BlockList>"))?;
    let end = text
        .rfind("</BlockList>")
        .ok_or_else(|| invalid("no </BlockList>"))?;
    let mut rest = text[start + "<BlockList>".len()..end].trim();
    let mut ids = Vec::new();
    while !rest.is_empty() {
        let tag = ["Latest", "Uncommitted", "Committed"]
            .into_iter()
            .find(|t| rest.starts_with(&format!("<{t}>")))
            .ok_or_else(|| invalid("an element other than Latest, Uncommitted or Committed"))?;
        let open = tag.len() + 2;
        let close = format!("</{tag}>");
        let stop = rest
            .find(&close)
            .ok_or_else(|| invalid("an unclosed element"))?;
        ids.push(rest[open..stop].trim().to_string());
        rest = rest[stop + close.len()..].trim_start();
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::block_list;

    #[test]
    fn reads_the_sdk_block_list() {
        let xml = b"<?xml version='1.0' encoding='utf-8'?>\n<BlockList><Latest>QUE=</Latest><Uncommitted>QkI=</Uncommitted>\n<Latest>Q0M=</Latest></BlockList>";
        assert_eq!(block_list(xml).ok().unwrap(), vec!["QUE=", "QkI=", "Q0M="]);
        assert_eq!(
            block_list(b"<BlockList></BlockList>").ok().unwrap(),
            Vec::<String>::new()
        );
        assert!(block_list(b"<BlockList><Foo>x</Foo></BlockList>").is_err());
        assert!(block_list(b"<BlockList><Latest>x</BlockList>").is_err());
        assert!(block_list(b"nothing").is_err());
    }
}
