//! A typed client of a stackport stack's HTTP API.
//!
//! Everything outside a stack (the migration, the CLI, the tests) talks to it through this crate,
//! exactly as it would to a stack on another continent. A client made [`Client::read_only`]
//! refuses every request that could change the stack, before it is sent.

mod blob;
mod components;
mod error;
mod jobs;
mod params;
mod project_extras;
mod storage_jobs;
mod triggers;
mod workspaces;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stackport_model::api::query::{
    BucketDeleteQuery, FileListQuery, IncludeQuery, MasterTokenQuery, Query,
};
use stackport_model::api::*;
use stackport_model::{BucketId, ColumnName, FileId, MetadataId, ProjectId, TableId, TokenId};

pub use error::ClientError;
pub use jobs::JobQuery;
pub use params::{EventQuery, ExportParams, FileUpload, ImportParams};

static REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// HTTP requests this process has sent through any client: what a benchmark counts.
pub fn requests_sent() -> u64 {
    REQUESTS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Result of client calls.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A connection to one stack, with the tokens to use.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    storage_token: Option<String>,
    manage_token: Option<String>,
    read_only: bool,
}

impl Client {
    /// A client of the stack at `base_url` (e.g. `http://127.0.0.1:8701`).
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("stackport/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry X-StorageApi-Token to another host: the API never
            // redirects, so none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(15))
            // Per read, not per request: a large export streams for as long as it needs, but a
            // stack that stops answering does not hang a migration forever.
            .read_timeout(std::time::Duration::from_secs(600))
            .build()
            .expect("the HTTP client configuration is valid");
        Client {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            storage_token: None,
            manage_token: None,
            read_only: false,
        }
    }

    /// Uses a project's Storage API token.
    pub fn with_storage_token(mut self, token: impl Into<String>) -> Self {
        self.storage_token = Some(token.into());
        self
    }

    /// Uses the stack administrator's token.
    pub fn with_manage_token(mut self, token: impl Into<String>) -> Self {
        self.manage_token = Some(token.into());
        self
    }

    /// Refuses any request but GET from now on: for reading a source that must stay unchanged.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder> {
        if self.read_only && method != Method::GET {
            return Err(ClientError::ReadOnly {
                method: method.to_string(),
                path: path.to_string(),
            });
        }
        Ok(self.request_unchecked(method, path))
    }

    /// A request that a read-only client may make too: only for the few calls that change
    /// nothing in the project's Storage or configurations (a dry-run job).
    pub(crate) fn request_unchecked(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if path.starts_with("/manage") {
            if let Some(t) = &self.manage_token {
                req = req.header("X-KBC-ManageApiToken", t);
            }
        } else if let Some(t) = &self.storage_token {
            req = req.header("X-StorageApi-Token", t);
        }
        req
    }

    async fn send(&self, req: RequestBuilder) -> Result<Response> {
        REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = req.send().await.map_err(ClientError::Http)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(ClientError::from_response(response).await)
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let response = self.send(req).await?;
        let bytes = response.bytes().await.map_err(ClientError::Http)?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.json(self.request(Method::GET, path)?).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.json(self.request(Method::POST, path)?.json(body))
            .await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.json(self.request(Method::PUT, path)?.json(body)).await
    }

    async fn delete(&self, path: &str, query: &[(String, String)]) -> Result<()> {
        self.send(self.request(Method::DELETE, path)?.query(query))
            .await
            .map(|_| ())
    }

    // Stack administration.

    /// The stack's settings (manage token).
    pub async fn manage_stack(&self) -> Result<StackInfo> {
        self.get("/manage/stack").await
    }

    /// All projects (manage token).
    pub async fn list_projects(&self) -> Result<Vec<Project>> {
        self.get("/manage/projects").await
    }

    /// Creates a project and its master token (manage token).
    pub async fn create_project(&self, new: &NewProject) -> Result<CreatedProject> {
        self.post("/manage/projects", new).await
    }

    /// One project (manage token).
    pub async fn get_project(&self, id: ProjectId) -> Result<Project> {
        self.get(&format!("/manage/projects/{id}")).await
    }

    /// Deletes a project (manage token).
    pub async fn delete_project(&self, id: ProjectId) -> Result<()> {
        self.delete(&format!("/manage/projects/{id}"), &[]).await
    }

    /// Issues a new master token of a project (manage token).
    pub async fn create_master_token(&self, id: ProjectId, description: &str) -> Result<Token> {
        self.json(
            self.request(Method::POST, &format!("/manage/projects/{id}/tokens"))?
                .query(
                    &MasterTokenQuery {
                        description: Some(description.to_string()),
                    }
                    .to_pairs(),
                ),
        )
        .await
    }

    // Index and tokens.

    /// The stack's public index.
    pub async fn index(&self) -> Result<StackInfo> {
        self.get("/v2/storage").await
    }

    /// The API's OpenAPI document.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.get("/v2/openapi.json").await
    }

    /// The calling token, its project and stack.
    pub async fn verify_token(&self) -> Result<VerifiedToken> {
        self.get("/v2/storage/tokens/verify").await
    }

    /// The project's tokens.
    pub async fn list_tokens(&self) -> Result<Vec<Token>> {
        self.get("/v2/storage/tokens").await
    }

    /// Creates a token; the answer holds its secret.
    pub async fn create_token(&self, new: &NewToken) -> Result<Token> {
        self.post("/v2/storage/tokens", new).await
    }

    /// One token.
    pub async fn get_token(&self, id: TokenId) -> Result<Token> {
        self.get(&format!("/v2/storage/tokens/{id}")).await
    }

    /// Deletes a token.
    pub async fn delete_token(&self, id: TokenId) -> Result<()> {
        self.delete(&format!("/v2/storage/tokens/{id}"), &[]).await
    }

    // Buckets.

    /// The buckets the token can see.
    pub async fn list_buckets(&self, with_metadata: bool) -> Result<Vec<Bucket>> {
        self.json(
            self.request(Method::GET, "/v2/storage/buckets")?.query(
                &IncludeQuery {
                    include: with_metadata.then(|| vec!["metadata".to_string()]),
                }
                .to_pairs(),
            ),
        )
        .await
    }

    /// Creates a bucket.
    pub async fn create_bucket(&self, new: &NewBucket) -> Result<Bucket> {
        self.post("/v2/storage/buckets", new).await
    }

    /// One bucket.
    pub async fn get_bucket(&self, id: &BucketId) -> Result<Bucket> {
        self.get(&format!("/v2/storage/buckets/{id}")).await
    }

    /// Deletes a bucket; with `force` also its tables.
    pub async fn delete_bucket(&self, id: &BucketId, force: bool) -> Result<()> {
        self.delete(
            &format!("/v2/storage/buckets/{id}"),
            &BucketDeleteQuery {
                force,
                ..Default::default()
            }
            .to_pairs(),
        )
        .await
    }

    // Tables.

    /// All tables the token can see, with metadata and column metadata.
    pub async fn list_tables(&self) -> Result<Vec<Table>> {
        self.json(
            self.request(Method::GET, "/v2/storage/tables")?.query(
                &IncludeQuery {
                    include: Some(
                        ["columns", "metadata", "columnMetadata"]
                            .map(String::from)
                            .to_vec(),
                    ),
                }
                .to_pairs(),
            ),
        )
        .await
    }

    /// A bucket's tables.
    pub async fn list_bucket_tables(&self, bucket: &BucketId) -> Result<Vec<Table>> {
        self.get(&format!("/v2/storage/buckets/{bucket}/tables"))
            .await
    }

    /// Creates a table.
    pub async fn create_table(&self, bucket: &BucketId, new: &NewTable) -> Result<Table> {
        self.post(&format!("/v2/storage/buckets/{bucket}/tables"), new)
            .await
    }

    /// Creates an alias.
    pub async fn create_alias(&self, bucket: &BucketId, new: &NewAlias) -> Result<Table> {
        self.post(&format!("/v2/storage/buckets/{bucket}/table-aliases"), new)
            .await
    }

    /// One table with its metadata.
    pub async fn get_table(&self, id: &TableId) -> Result<Table> {
        self.get(&format!("/v2/storage/tables/{id}")).await
    }

    /// Deletes a table or alias.
    pub async fn delete_table(&self, id: &TableId) -> Result<()> {
        self.delete(&format!("/v2/storage/tables/{id}"), &[]).await
    }

    /// Adds a column.
    pub async fn add_column(&self, id: &TableId, new: &NewColumn) -> Result<Table> {
        self.post(&format!("/v2/storage/tables/{id}/columns"), new)
            .await
    }

    /// Removes a column.
    pub async fn delete_column(&self, id: &TableId, column: &ColumnName) -> Result<Table> {
        self.json(self.request(
            Method::DELETE,
            &format!("/v2/storage/tables/{id}/columns/{column}"),
        )?)
        .await
    }

    /// Sets the primary key.
    pub async fn set_primary_key(&self, id: &TableId, columns: &[ColumnName]) -> Result<Table> {
        self.post(
            &format!("/v2/storage/tables/{id}/primary-key"),
            &PrimaryKey {
                columns: columns.to_vec(),
            },
        )
        .await
    }

    /// Removes the primary key.
    pub async fn remove_primary_key(&self, id: &TableId) -> Result<Table> {
        self.json(self.request(
            Method::DELETE,
            &format!("/v2/storage/tables/{id}/primary-key"),
        )?)
        .await
    }

    /// Imports CSV into a table; `body` may be bytes or a stream.
    pub async fn import_table(
        &self,
        id: &TableId,
        params: &ImportParams,
        body: impl Into<reqwest::Body>,
    ) -> Result<ImportResult> {
        let mut req = self
            .request(Method::POST, &format!("/v2/storage/tables/{id}/import"))?
            .query(&params.to_pairs())
            .header("Content-Type", "text/csv")
            .body(body);
        if params.gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        self.json(req).await
    }

    /// Exports a table as a stream of CSV (or gzip) bytes.
    pub async fn export_table_stream(
        &self,
        id: &TableId,
        params: &ExportParams,
    ) -> Result<impl Stream<Item = Result<Bytes>> + use<>> {
        let response = self
            .send(
                self.request(Method::GET, &format!("/v2/storage/tables/{id}/export"))?
                    .query(&params.query()),
            )
            .await?;
        Ok(response.bytes_stream().map_err(ClientError::Http))
    }

    /// A table's row count and order-independent row hash, computed by the stack.
    pub async fn table_fingerprint(&self, id: &TableId) -> Result<TableFingerprint> {
        self.get(&format!("/v2/storage/tables/{id}/fingerprint"))
            .await
    }

    /// Exports a table into memory; for small tables and tests.
    pub async fn export_table(&self, id: &TableId, params: &ExportParams) -> Result<Vec<u8>> {
        let stream = self.export_table_stream(id, params).await?;
        stream
            .try_fold(Vec::new(), |mut acc, chunk| async move {
                acc.extend_from_slice(&chunk);
                Ok(acc)
            })
            .await
    }

    // Metadata.

    /// A bucket's metadata.
    pub async fn bucket_metadata(&self, id: &BucketId) -> Result<Vec<MetadataEntry>> {
        self.get(&format!("/v2/storage/buckets/{id}/metadata"))
            .await
    }

    /// Writes a bucket's metadata.
    pub async fn write_bucket_metadata(
        &self,
        id: &BucketId,
        write: &MetadataWrite,
    ) -> Result<Vec<MetadataEntry>> {
        self.post(&format!("/v2/storage/buckets/{id}/metadata"), write)
            .await
    }

    /// Deletes one entry of a bucket's metadata.
    pub async fn delete_bucket_metadata(&self, id: &BucketId, entry: MetadataId) -> Result<()> {
        self.delete(&format!("/v2/storage/buckets/{id}/metadata/{entry}"), &[])
            .await
    }

    /// A table's metadata.
    pub async fn table_metadata(&self, id: &TableId) -> Result<Vec<MetadataEntry>> {
        self.get(&format!("/v2/storage/tables/{id}/metadata")).await
    }

    /// Writes a table's (and its columns') metadata.
    pub async fn write_table_metadata(
        &self,
        id: &TableId,
        write: &MetadataWrite,
    ) -> Result<Vec<MetadataEntry>> {
        self.post(&format!("/v2/storage/tables/{id}/metadata"), write)
            .await
    }

    /// Deletes one entry of a table's metadata.
    pub async fn delete_table_metadata(&self, id: &TableId, entry: MetadataId) -> Result<()> {
        self.delete(&format!("/v2/storage/tables/{id}/metadata/{entry}"), &[])
            .await
    }

    /// A column's metadata.
    pub async fn column_metadata(
        &self,
        id: &TableId,
        column: &ColumnName,
    ) -> Result<Vec<MetadataEntry>> {
        self.get(&format!(
            "/v2/storage/tables/{id}/columns/{column}/metadata"
        ))
        .await
    }

    // Files.

    /// Uploads a file; `body` may be bytes or a stream.
    pub async fn upload_file(
        &self,
        upload: &FileUpload,
        body: impl Into<reqwest::Body>,
    ) -> Result<FileInfo> {
        self.json(
            self.request(Method::POST, "/v2/storage/files")?
                .query(&upload.query())
                .header("Content-Type", "application/octet-stream")
                .body(body),
        )
        .await
    }

    /// Files, newest first, optionally only those with all `tags`.
    pub async fn list_files(&self, tags: &[&str], limit: Option<u32>) -> Result<Vec<FileInfo>> {
        let query = FileListQuery {
            tags: (!tags.is_empty()).then(|| tags.iter().map(|t| t.to_string()).collect()),
            limit,
            ..Default::default()
        }
        .to_pairs();
        self.json(
            self.request(Method::GET, "/v2/storage/files")?
                .query(&query),
        )
        .await
    }

    /// One file's facts.
    pub async fn get_file(&self, id: FileId) -> Result<FileInfo> {
        self.get(&format!("/v2/storage/files/{id}")).await
    }

    /// A file's content, as a stream.
    pub async fn download_file_stream(
        &self,
        id: FileId,
    ) -> Result<impl Stream<Item = Result<Bytes>> + use<>> {
        let response = self
            .send(self.request(Method::GET, &format!("/v2/storage/files/{id}/download"))?)
            .await?;
        Ok(response.bytes_stream().map_err(ClientError::Http))
    }

    /// A file's content, in memory.
    pub async fn download_file(&self, id: FileId) -> Result<Bytes> {
        let response = self
            .send(self.request(Method::GET, &format!("/v2/storage/files/{id}/download"))?)
            .await?;
        response.bytes().await.map_err(ClientError::Http)
    }

    /// Deletes a file.
    pub async fn delete_file(&self, id: FileId) -> Result<()> {
        self.delete(&format!("/v2/storage/files/{id}"), &[]).await
    }

    // Events.

    /// Events, newest first.
    pub async fn list_events(&self, query: &EventQuery) -> Result<Vec<Event>> {
        self.json(
            self.request(Method::GET, "/v2/storage/events")?
                .query(&query.query()),
        )
        .await
    }
}
