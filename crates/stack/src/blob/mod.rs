//! The stack's own Azure Blob service, the rules: what `files/prepare` hands out and what the
//! blob endpoint (`/blob/<container>/<blob>` in the server) may do with it. The reference
//! platform answers `provider: "azure"` and its clients move bytes with the real Azure SDK;
//! here the "storage account" is the stack itself, the container is the project
//! (`project-<id>`) and the blob is `<file id>/<file name>`. Access is by signature
//! ([`sas`]), never by Storage token. Bytes go through the file seam like every upload.

mod blocks;
pub mod sas;

use std::io::Read;

use serde_json::json;
use stackport_model::api::FileInfo;
use stackport_model::{FileId, ProjectId};

use blocks::BlockLog;
pub(crate) use blocks::BlockLogs;
pub use blocks::{MAX_BLOCKS, MAX_BLOCK_ID_BYTES};
pub use sas::{Access, Grant};

use crate::error::{Error, ErrorKind, Result};
use crate::files::FileReader;
use crate::ops::auth::TokenAuth;
use crate::ops::events::{record, NewEvent};
use crate::ops::files::{check_quota, lifetime, validate, NewFile, StagedUpload};
use crate::store::NewFileRecord;
use crate::Stack;

/// How long a prepared upload, and any signature the stack issues, stays good: the reference
/// platform's federation tokens last hours, not days.
pub const SIGNATURE_HOURS: i64 = 12;

/// The container of `project`'s files.
pub fn container(project: ProjectId) -> String {
    format!("project-{project}")
}

/// The blob of a file.
pub fn blob_name(file: &FileInfo) -> String {
    format!("{}/{}", file.id, file.name)
}

fn blob_not_found(what: impl std::fmt::Display) -> Error {
    Error::not_found(
        "BlobNotFound",
        format!("The specified blob does not exist: {what}"),
    )
}

impl Stack {
    fn signing_key(&self) -> [u8; 32] {
        self.keyring.derived_key(sas::KEY_PURPOSE)
    }

    /// A signature's query string (no `?`).
    pub fn sign(&self, grant: &Grant) -> String {
        grant.to_query(&self.signing_key())
    }

    /// The signature among a blob request's (decoded) query pairs, checked.
    pub fn check_signature(&self, pairs: &[(String, String)]) -> Result<Grant> {
        sas::verify(&self.signing_key(), pairs, self.now_micros() / 1_000_000)
    }

    fn expiry_secs(&self) -> i64 {
        self.now_micros() / 1_000_000 + SIGNATURE_HOURS * 3600
    }

    /// Records a file whose bytes will come through the blob endpoint, and the signature that
    /// lets them: `POST files/prepare`. Until they come it is not listed or read as a file,
    /// and at the signature's expiry it is purged.
    pub fn prepare_file(
        &self,
        auth: &TokenAuth,
        new: &NewFile,
        size_bytes: Option<u64>,
    ) -> Result<(FileInfo, Grant)> {
        validate(new)?;
        let limit = self.settings.limits.max_file_bytes;
        if let Some(size) = size_bytes.filter(|s| *s > limit) {
            return Err(Error::new(
                ErrorKind::TooLarge,
                "storage.files.tooLarge",
                format!(
                    "sizeBytes {size} is over the stack's limit of {limit} bytes per file \
                     (limits.maxFileBytes); split the data into several files"
                ),
            ));
        }
        let expires_secs = self.expiry_secs();
        let by = auth.token_ref();
        let project = auth.project();
        let file = self.store.write(|tx| {
            let now = tx.now_micros();
            let id = tx.files().insert_file(&NewFileRecord {
                project,
                name: &new.name,
                size_bytes: 0,
                sha256: "",
                tags: &new.tags,
                is_permanent: new.is_permanent,
                max_age_days: lifetime(new, 0).0,
                created_micros: now,
                expires_micros: Some(expires_secs * 1_000_000),
                creator: &by,
                prepared: true,
            })?;
            tx.files()
                .get_prepared_file(project, id)?
                .ok_or_else(|| blob_not_found(id))
        })?;
        let grant = Grant {
            project,
            file: file.id,
            access: Access::Write,
            expires_secs,
        };
        Ok((file, grant))
    }

    /// A read signature of a file the caller has read (`GET files/{id}`).
    pub fn download_grant(&self, project: ProjectId, file: FileId) -> Grant {
        Grant {
            project,
            file,
            access: Access::Read,
            expires_secs: self.expiry_secs(),
        }
    }

    /// Checks that `grant` allows `access` to blob `blob` of `container`; the file name part
    /// of the blob is checked by the operation.
    fn check_target<'b>(
        grant: &Grant,
        access: Access,
        container_name: &str,
        blob: &'b str,
    ) -> Result<&'b str> {
        if grant.access != access {
            return Err(Error::new(
                ErrorKind::Forbidden,
                "AuthorizationPermissionMismatch",
                match access {
                    Access::Read => "This request is not authorized to perform this operation \
                                     using this permission: the signature is an upload's, not \
                                     a download's"
                        .to_string(),
                    Access::Write => "This request is not authorized to perform this operation \
                                      using this permission: the signature only reads; prepare \
                                      an upload with files/prepare"
                        .to_string(),
                },
            ));
        }
        let (id, rest) = blob.split_once('/').unwrap_or((blob, ""));
        if container_name != container(grant.project) || id != grant.file.to_string() {
            return Err(sas::refused(format!(
                "the signature is for file {} of container {}, not for blob {blob} of \
                 container {container_name}",
                grant.file,
                container(grant.project)
            )));
        }
        Ok(rest)
    }

    /// The prepared file `grant` may write, named `rest` in its blob.
    fn prepared_target(&self, grant: &Grant, container_name: &str, blob: &str) -> Result<FileInfo> {
        let rest = Self::check_target(grant, Access::Write, container_name, blob)?;
        let file = self.store.read(|tx| {
            let now = tx.now_micros();
            if tx.files().get_file(grant.project, grant.file)?.is_some() {
                return Err(Error::conflict(
                    "BlobAlreadyExists",
                    format!(
                        "file {} was uploaded already; a file's bytes are written once, \
                         prepare a new file for new content",
                        grant.file
                    ),
                ));
            }
            Ok(tx
                .files()
                .get_prepared_file(grant.project, grant.file)?
                .filter(|f| f.expires.is_none_or(|e| e.timestamp_micros() > now)))
        })?;
        let file = file
            .ok_or_else(|| blob_not_found(format!("file {} (deleted or expired)", grant.file)))?;
        if rest != file.name {
            return Err(blob_not_found(format!(
                "{blob}; the prepared blob is {}",
                blob_name(&file)
            )));
        }
        Ok(file)
    }

    /// Begins the body of a Put Blob (or of a Put Block) to the prepared file of `grant`.
    pub fn stage_blob(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
    ) -> Result<StagedUpload> {
        self.prepared_target(grant, container_name, blob)?;
        let limit = self.settings.limits.max_file_bytes;
        let taken = self
            .blocks
            .get(grant.project, grant.file)
            .map(|log| log.lock().expect("block log lock").written())
            .unwrap_or(0);
        self.stage_for(grant.project, limit.saturating_sub(taken))
    }

    /// Put Blob: the staged body is the file.
    pub fn put_blob(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        upload: StagedUpload,
    ) -> Result<FileInfo> {
        self.prepared_target(grant, container_name, blob)?;
        let file = self.complete_prepared(grant, upload)?;
        self.blocks.remove(grant.project, grant.file);
        Ok(file)
    }

    /// Put Block: the staged body is block `block_id` of the prepared file.
    pub fn put_block(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        block_id: &str,
        mut upload: StagedUpload,
    ) -> Result<()> {
        self.prepared_target(grant, container_name, blob)?;
        let stored = upload.staged.finish()?;
        let log = self.blocks.get_or_begin(grant.project, grant.file, || {
            Ok(BlockLog::new(
                self.files
                    .stage(grant.project, self.settings.limits.max_file_bytes)?,
                grant.expires_secs,
            ))
        })?;
        let mut log = log.lock().expect("block log lock");
        let mut body = upload.staged.read_back(0)?;
        log.append(block_id, &mut body, stored.size)
    }

    /// Put Block List: the blocks `ids`, in this order, are the file.
    pub fn put_block_list(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        ids: &[String],
    ) -> Result<FileInfo> {
        self.prepared_target(grant, container_name, blob)?;
        let log = self.blocks.get(grant.project, grant.file);
        let mut upload = self.stage_for(grant.project, self.settings.limits.max_file_bytes)?;
        if let Some(log) = &log {
            let log = log.lock().expect("block log lock");
            for (offset, len) in log.places(ids)? {
                let mut part = log.log.read_back(offset)?.take(len);
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = match part.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Error::internal("reading a staged block", e)),
                    };
                    upload.write(&buf[..n])?;
                }
            }
        } else if let Some(id) = ids.first() {
            return Err(Error::invalid(
                "InvalidBlockList",
                format!("the block list names block '{id}', but no block was uploaded; send the blocks with Put Block first"),
            ));
        }
        let file = self.complete_prepared(grant, upload)?;
        self.blocks.remove(grant.project, grant.file);
        Ok(file)
    }

    /// The (finished) file `grant` may read, from byte `offset` on.
    pub fn open_blob(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        offset: u64,
    ) -> Result<(FileInfo, FileReader)> {
        let rest = Self::check_target(grant, Access::Read, container_name, blob)?;
        let file = self
            .store
            .read(|tx| {
                let now = tx.now_micros();
                Ok(tx
                    .files()
                    .get_file(grant.project, grant.file)?
                    .filter(|f| f.expires.is_none_or(|e| e.timestamp_micros() > now)))
            })?
            .filter(|f| f.name == rest)
            .ok_or_else(|| blob_not_found(blob))?;
        let reader = self
            .files
            .open_at(grant.project, grant.file, offset)?
            .ok_or_else(|| blob_not_found(blob))?;
        Ok((file, reader))
    }

    /// Records that the prepared file's bytes arrived (`upload`): checked against the quota and
    /// moved in place in the transaction that finishes the record.
    fn complete_prepared(&self, grant: &Grant, mut upload: StagedUpload) -> Result<FileInfo> {
        let stored = upload.staged.finish()?;
        let quota = self.settings.quotas.file_bytes;
        let (project, id) = (grant.project, grant.file);
        self.store.write(|tx| {
            let now = tx.now_micros();
            let prepared = tx
                .files()
                .get_prepared_file(project, id)?
                .filter(|f| f.expires.is_none_or(|e| e.timestamp_micros() > now))
                .ok_or_else(|| blob_not_found(format!("file {id} (deleted or expired)")))?;
            let taken = tx.files().stored_file_bytes(project)?;
            check_quota(project, stored.size, taken, quota)?;
            let new = NewFile {
                name: prepared.name.clone(),
                tags: prepared.tags.clone(),
                is_permanent: prepared.is_permanent,
                max_age_days: prepared.max_age_days,
            };
            let (_, expires) = lifetime(&new, now);
            if !tx
                .files()
                .complete_prepared_file(project, id, stored.size, &stored.sha256, expires)?
            {
                return Err(blob_not_found(format!("file {id}")));
            }
            record(
                tx,
                project,
                prepared.creator_token.as_ref(),
                NewEvent {
                    event: "storage.fileUploaded",
                    message: format!("File {id} ({}) uploaded", prepared.name),
                    object_type: "file",
                    object_id: id.to_string(),
                    params: json!({ "name": prepared.name, "sizeBytes": stored.size, "tags": prepared.tags }),
                },
            )?;
            let file = tx
                .files()
                .get_file(project, id)?
                .ok_or_else(|| blob_not_found(id))?;
            // Last: a failure before it rolls the record back and drops the staged bytes.
            upload.staged.commit(id)?;
            Ok(file)
        })
    }

    /// Drops the staged blocks of uploads whose signature expired; how many uploads.
    pub(crate) fn purge_expired_blocks(&self) -> usize {
        self.blocks.purge(self.now_micros() / 1_000_000)
    }

    /// How many uploads have staged blocks now.
    pub fn staged_block_uploads(&self) -> usize {
        self.blocks.len()
    }
}
