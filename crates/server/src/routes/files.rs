use std::io::Read;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use futures_util::StreamExt;
use stackport_model::api::query::{FileDetailQuery, FileListQuery, FileUploadQuery, NoQuery};
use stackport_model::api::{FileInfo, FileResource};
use stackport_model::FileId;
use stackport_stack::{FileFilter, NewFile, StagedUpload};

use crate::api::{Api, Content, Doc};
use crate::body::body_error;
use crate::error::ApiError;
use crate::extract::{Id, StorageAuth};
use crate::query::ApiQuery;
use crate::routes::blob::resource;
use crate::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/storage/files",
        upload,
        Doc::storage("Upload a file (the body), streamed")
            .body(Content::Binary)
            .created("FileInfo")
            .query::<FileUploadQuery>(),
    )
    .get(
        "/v2/storage/files",
        list,
        Doc::storage("List files, newest first")
            .ok(Content::JsonList("FileResource"))
            .query::<FileListQuery>(),
    )
    .get(
        "/v2/storage/files/{id}",
        get,
        Doc::storage("One file's facts, its blob and a signed download url")
            .ok(Content::Json("FileResource"))
            .query::<FileDetailQuery>(),
    )
    .get(
        "/v2/storage/files/{id}/download",
        download,
        Doc::storage("A file's content").ok(Content::Binary),
    )
    .delete(
        "/v2/storage/files/{id}",
        delete,
        Doc::storage("Delete a file").no_content(),
    )
}

async fn upload(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    ApiQuery(query): ApiQuery<FileUploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<FileInfo>), ApiError> {
    let new = NewFile {
        name: query.name.ok_or_else(|| {
            ApiError::bad_request(
                "storage.files.missingName",
                "query parameter name is required",
            )
        })?,
        tags: query.tags.unwrap_or_default(),
        is_permanent: query.is_permanent,
        max_age_days: query.max_age_days,
    };
    // The body goes straight into the file store, a block at a time on the blocking pool: no
    // thread is held while the client is slow, and the bytes are written once.
    let mut upload = {
        let auth = auth.clone();
        state.run(move |s| s.stage_upload(&auth)).await?
    };
    let mut stream = body.into_data_stream();
    let mut block = Vec::with_capacity(UPLOAD_BLOCK);
    while let Some(chunk) = stream.next().await {
        block.extend_from_slice(&chunk.map_err(|e| body_error(&e))?);
        if block.len() >= UPLOAD_BLOCK {
            (upload, block) = write_block(&state, upload, block).await?;
        }
    }
    if !block.is_empty() {
        (upload, _) = write_block(&state, upload, block).await?;
    }
    let file = state
        .run_transfer(move |s| s.upload_staged_file(&auth, &new, upload))
        .await?;
    Ok((StatusCode::CREATED, Json(file)))
}

/// How much of an upload's body is gathered before it is written.
pub(crate) const UPLOAD_BLOCK: usize = 1024 * 1024;

/// Writes `block` to the staged upload on the blocking pool; hands both back for the next.
pub(crate) async fn write_block(
    state: &AppState,
    mut upload: StagedUpload,
    mut block: Vec<u8>,
) -> Result<(StagedUpload, Vec<u8>), ApiError> {
    state
        .run(move |_| {
            upload.write(&block)?;
            block.clear();
            Ok((upload, block))
        })
        .await
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<FileListQuery>,
) -> Result<Json<Vec<FileResource>>, ApiError> {
    let mut tags = query.tags.unwrap_or_default();
    tags.extend(query.q.map(|q| q.0).unwrap_or_default());
    let filter = FileFilter {
        tags,
        limit: query.limit,
        offset: query.offset.unwrap_or(0),
        since_id: query.since_id.map(FileId),
        max_id: query.max_id.map(FileId),
    };
    state
        .run(move |s| {
            let endpoint = resource::blob_endpoint(&headers, s);
            let project = auth.project();
            Ok(s.list_files(&auth, &filter)?
                .into_iter()
                .map(|f| resource::finished(s, &endpoint, project, f, false))
                .collect())
        })
        .await
        .map(Json)
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<FileId>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<FileDetailQuery>,
) -> Result<Json<FileResource>, ApiError> {
    state
        .run(move |s| {
            let file = s.get_file(&auth, id)?;
            let endpoint = resource::blob_endpoint(&headers, s);
            Ok(resource::finished(
                s,
                &endpoint,
                auth.project(),
                file,
                query.federation_token,
            ))
        })
        .await
        .map(Json)
}

async fn download(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<FileId>,
    _: ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    let (info, file) = state.run(move |s| s.open_file(&auth, id)).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        info.name.replace(
            |c: char| c == '"' || c == '\\' || c.is_control() || !c.is_ascii(),
            "_"
        )
    );
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, info.size_bytes)
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(Body::from_stream(read_blocks(file.reader)))
        .expect("headers are valid"))
}

/// A download's blocks, each read on the blocking pool: a slow client holds no thread.
pub(crate) fn read_blocks(
    reader: Box<dyn Read + Send>,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::try_unfold(Some(reader), |reader| async move {
        let Some(mut reader) = reader else {
            return Ok(None);
        };
        let (reader, block) = tokio::task::spawn_blocking(move || {
            let mut block = vec![0u8; DOWNLOAD_BLOCK];
            let mut filled = 0;
            while filled < block.len() {
                match reader.read(&mut block[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            block.truncate(filled);
            Ok((reader, block))
        })
        .await
        .map_err(std::io::Error::other)??;
        if block.is_empty() {
            return Ok(None);
        }
        Ok(Some((block, Some(reader))))
    })
}

/// How much of a download is read at a time.
const DOWNLOAD_BLOCK: usize = 64 * 1024;

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<FileId>,
    _: ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_file(&auth, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
