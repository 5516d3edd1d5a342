use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Json;
use stackport_model::api::FileInfo;
use stackport_model::FileId;
use stackport_stack::{FileFilter, NewFile};
use tokio_util::io::ReaderStream;

use crate::api::{Api, Content, Doc};
use crate::body::{spool, SpoolLimit};
use crate::error::ApiError;
use crate::extract::{parse_id, Params, StorageAuth};
use crate::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/storage/files",
        upload,
        Doc::storage("Upload a file (the body), streamed")
            .body(Content::Binary)
            .created("FileInfo")
            .query(&[
                ("name", "the file's name (required)"),
                ("tags", "comma-separated tags"),
                ("isPermanent", "never expire"),
                ("maxAgeDays", "days until it is deleted, default 15"),
            ]),
    )
    .get(
        "/v2/storage/files",
        list,
        Doc::storage("List files, newest first")
            .ok(Content::JsonList("FileInfo"))
            .query(&[
                ("tags", "only files with all these tags"),
                ("limit", "at most this many (1 to 1000)"),
            ]),
    )
    .get(
        "/v2/storage/files/{id}",
        get,
        Doc::storage("One file's facts").ok(Content::Json("FileInfo")),
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
    params: Params,
    body: Body,
) -> Result<(StatusCode, Json<FileInfo>), ApiError> {
    let new = NewFile {
        name: params.string("name").ok_or_else(|| {
            ApiError::bad_request(
                "storage.files.missingName",
                "query parameter name is required",
            )
        })?,
        tags: params.list("tags").unwrap_or_default(),
        is_permanent: params.flag("isPermanent")?,
        max_age_days: params.parse("maxAgeDays")?,
    };
    let limit = SpoolLimit {
        bytes: state.stack.settings().limits.max_file_bytes,
        setting: "limits.maxFileBytes",
        code: "storage.files.tooLarge",
    };
    let mut spooled = spool(&state, body, limit).await?;
    let file = state
        .run_transfer(move |s| s.upload_file(&auth, &new, &mut spooled))
        .await?;
    Ok((StatusCode::CREATED, Json(file)))
}

async fn list(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    params: Params,
) -> Result<Json<Vec<FileInfo>>, ApiError> {
    let filter = FileFilter {
        tags: params.list("tags").unwrap_or_default(),
        limit: params.parse("limit")?,
    };
    state
        .run(move |s| s.list_files(&auth, &filter))
        .await
        .map(Json)
}

async fn get(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
) -> Result<Json<FileInfo>, ApiError> {
    let id: FileId = parse_id(&id)?;
    state.run(move |s| s.get_file(&auth, id)).await.map(Json)
}

async fn download(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: FileId = parse_id(&id)?;
    let (info, path) = state.run(move |s| s.open_file(&auth, id)).await?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| {
        ApiError::from(stackport_stack::Error::internal(
            format!("opening file {id}"),
            e,
        ))
    })?;
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
        .body(Body::from_stream(ReaderStream::with_capacity(
            file,
            64 * 1024,
        )))
        .expect("headers are valid"))
}

async fn delete(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: FileId = parse_id(&id)?;
    state.run(move |s| s.delete_file(&auth, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
