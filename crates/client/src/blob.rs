//! Files through the stack's blob endpoint: prepare, upload the bytes to the signed URL (what
//! the Azure SDK does for `kbcstorage`, as one Put Blob), read a file's detail with its signed
//! URLs, and download through them.

use reqwest::Method;
use stackport_model::api::query::{FileDetailQuery, FileListQuery, Query};
use stackport_model::api::{FileResource, PrepareFile};
use stackport_model::FileId;

use crate::{Client, ClientError, Result};

impl Client {
    /// `POST files/prepare`: a file record and the signature to upload its bytes.
    pub async fn prepare_file(&self, prepare: &PrepareFile) -> Result<FileResource> {
        self.post("/v2/storage/files/prepare", prepare).await
    }

    /// Uploads a prepared file's bytes with one Put Blob to its signed `url`. The request
    /// carries no Storage token: the signature is the access.
    pub async fn upload_prepared(
        &self,
        prepared: &FileResource,
        body: impl Into<reqwest::Body>,
    ) -> Result<()> {
        if self.read_only {
            return Err(ClientError::ReadOnly {
                method: "PUT".into(),
                path: prepared.abs_path.name.clone(),
            });
        }
        self.send(
            self.http
                .put(&prepared.url)
                .header("x-ms-blob-type", "BlockBlob")
                .body(body),
        )
        .await?;
        Ok(())
    }

    /// A file's detail with its blob and signed `url`; `absCredentials` with
    /// `federation_token`.
    pub async fn file_resource(&self, id: FileId, federation_token: bool) -> Result<FileResource> {
        let query = FileDetailQuery { federation_token }.to_pairs();
        self.json(
            self.request(Method::GET, &format!("/v2/storage/files/{id}"))?
                .query(&query),
        )
        .await
    }

    /// Files matching `query`, each with its blob and signed `url`.
    pub async fn list_file_resources(&self, query: &FileListQuery) -> Result<Vec<FileResource>> {
        self.json(
            self.request(Method::GET, "/v2/storage/files")?
                .query(&query.to_pairs()),
        )
        .await
    }

    /// A file's bytes through its signed `url`, as a response to stream (no Storage token).
    pub async fn download_signed(&self, file: &FileResource) -> Result<reqwest::Response> {
        self.send(self.http.get(&file.url)).await
    }
}
