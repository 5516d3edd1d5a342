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
use stackport_model::api::{FileInfo, FileSlice};
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

/// Which blob of a prepared file a write is to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The file (not sliced).
    Whole,
    /// A part of a sliced file, by its name after the file's blob.
    Part(String),
    /// The manifest of a sliced file: writing it finishes the file.
    Manifest,
}

/// A part's name after the file's blob: what Azure and the reference's tools write
/// (`part0001`, `.part_1.gz`), nothing that could be read as a path.
fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 64
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// The parts a manifest names, in order: each entry's `url` after `/<container>/<blob>`.
fn manifest_parts(manifest: &[u8], container_name: &str, blob: &str) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        entries: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        url: String,
    }
    let invalid = |m: String| {
        Error::invalid(
            "InvalidInput",
            format!(
                "the manifest must be {{\"entries\": [{{\"url\": \"https://<account>.blob.core.windows.net/{container_name}/{blob}<part>\"}}, ...]}}: {m}"
            ),
        )
    };
    let parsed: Manifest = serde_json::from_slice(manifest).map_err(|e| invalid(e.to_string()))?;
    let prefix = format!("/{container_name}/{blob}");
    parsed
        .entries
        .iter()
        .map(|e| {
            let at = e
                .url
                .find(&prefix)
                .ok_or_else(|| invalid(format!("entry '{}' is not a part of this file", e.url)))?;
            Ok(e.url[at + prefix.len()..].to_string())
        })
        .collect()
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
        sliced: bool,
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
                sliced,
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

    /// What a write to `blob` of `container` with `grant` writes.
    pub fn blob_target(&self, grant: &Grant, container_name: &str, blob: &str) -> Result<Target> {
        Ok(self.prepared_target(grant, container_name, blob)?.1)
    }

    /// The prepared file `grant` may write, and which of its blobs `blob` is.
    fn prepared_target(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
    ) -> Result<(FileInfo, Target)> {
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
        let suffix = rest.strip_prefix(file.name.as_str());
        let target = match suffix {
            Some("") if !file.is_sliced => Target::Whole,
            Some("manifest") if file.is_sliced => Target::Manifest,
            Some(part) if file.is_sliced && valid_part(part) => Target::Part(part.to_string()),
            _ if file.is_sliced => {
                return Err(blob_not_found(format!(
                    "{blob}; a sliced file's parts are {name}<part> (a part name of 1 to 64 \
                     letters, digits, '.', '_' or '-') and its manifest {name}manifest",
                    name = blob_name(&file)
                )))
            }
            _ => {
                return Err(blob_not_found(format!(
                    "{blob}; the prepared blob is {}",
                    blob_name(&file)
                )))
            }
        };
        Ok((file, target))
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

    /// Put Blob: the staged body is the file, or one part of a sliced one (then there is no
    /// file yet: none).
    pub fn put_blob(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        upload: StagedUpload,
    ) -> Result<Option<FileInfo>> {
        match self.prepared_target(grant, container_name, blob)?.1 {
            Target::Whole => {
                let file = self.complete_prepared(grant, upload, &[])?;
                self.blocks.remove(grant.project, grant.file);
                Ok(Some(file))
            }
            Target::Part(part) => {
                self.stage_block(grant, &part, upload)?;
                Ok(None)
            }
            Target::Manifest => Err(Error::invalid(
                "InvalidInput",
                "a manifest is read whole and committed with put_manifest",
            )),
        }
    }

    /// The manifest of a sliced file (`{"entries": [{"url": ".../<container>/<blob><part>"}]}`)
    /// names its parts in order: they are the file.
    pub fn put_manifest(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        manifest: &[u8],
    ) -> Result<FileInfo> {
        let (file, target) = self.prepared_target(grant, container_name, blob)?;
        if target != Target::Manifest {
            return Err(blob_not_found(blob));
        }
        let parts = manifest_parts(manifest, &container(grant.project), &blob_name(&file))?;
        self.commit_staged(grant, &parts, true)
    }

    /// Put Block: the staged body is block `block_id` of the prepared file.
    pub fn put_block(
        &self,
        grant: &Grant,
        container_name: &str,
        blob: &str,
        block_id: &str,
        upload: StagedUpload,
    ) -> Result<()> {
        if self.prepared_target(grant, container_name, blob)?.1 != Target::Whole {
            return Err(Error::invalid(
                "InvalidInput",
                "a part of a sliced file is uploaded with one Put Blob, not in blocks; upload \
                 parts of at most 64 MiB (the SDK's max_single_put_size)",
            ));
        }
        self.stage_block(grant, block_id, upload)
    }

    /// Appends a staged body to the file's block log as block (or part) `block_id`.
    fn stage_block(&self, grant: &Grant, block_id: &str, mut upload: StagedUpload) -> Result<()> {
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
        if self.prepared_target(grant, container_name, blob)?.1 != Target::Whole {
            return Err(blob_not_found(blob));
        }
        self.commit_staged(grant, ids, false)
    }

    /// Makes the staged blocks (or parts) `ids`, in order, the file.
    fn commit_staged(&self, grant: &Grant, ids: &[String], sliced: bool) -> Result<FileInfo> {
        let log = self.blocks.get(grant.project, grant.file);
        let mut slices = Vec::new();
        let mut upload = self.stage_for(grant.project, self.settings.limits.max_file_bytes)?;
        if let Some(log) = &log {
            let log = log.lock().expect("block log lock");
            for (id, (offset, len)) in ids.iter().zip(log.places(ids)?) {
                if sliced {
                    slices.push(FileSlice {
                        name: id.clone(),
                        size_bytes: len,
                    });
                }
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
        let file = self.complete_prepared(grant, upload, &slices)?;
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
        let (file, slices) = self
            .store
            .read(|tx| {
                let now = tx.now_micros();
                let Some(file) = tx
                    .files()
                    .get_file(grant.project, grant.file)?
                    .filter(|f| f.expires.is_none_or(|e| e.timestamp_micros() > now))
                else {
                    return Ok(None);
                };
                let slices = tx.files().file_slices(grant.project, grant.file)?;
                Ok(Some((file, slices)))
            })?
            .ok_or_else(|| blob_not_found(blob))?;
        let suffix = rest
            .strip_prefix(file.name.as_str())
            .ok_or_else(|| blob_not_found(blob))?;
        // The whole file, or (of a sliced one) its manifest or one part: a range of the whole.
        let (start, size) = match (suffix, &slices) {
            ("", _) => (0, file.size_bytes),
            ("manifest", Some(slices)) => {
                let manifest = self.manifest(grant.project, &file, slices);
                let size = manifest.len() as u64;
                let at = (offset.min(size)) as usize;
                return Ok((
                    file,
                    FileReader {
                        size,
                        reader: Box::new(std::io::Cursor::new(manifest[at..].to_vec())),
                    },
                ));
            }
            (part, Some(slices)) => {
                let mut start = 0;
                let mut found = None;
                for slice in slices {
                    if slice.name == part {
                        found = Some((start, slice.size_bytes));
                        break;
                    }
                    start += slice.size_bytes;
                }
                found.ok_or_else(|| blob_not_found(blob))?
            }
            _ => return Err(blob_not_found(blob)),
        };
        let opened = self
            .files
            .open_at(grant.project, grant.file, start + offset.min(size))?
            .ok_or_else(|| blob_not_found(blob))?;
        Ok((
            file,
            FileReader {
                size,
                reader: Box::new(opened.reader.take(size - offset.min(size))),
            },
        ))
    }

    /// A sliced file's manifest as the reference writes it: its parts' URLs have the Azure
    /// form `https://<account>.blob.core.windows.net/<container>/<blob>`, which is what
    /// `kbcstorage` splits to find each part's blob (it downloads through the connection
    /// string's endpoint, not these hosts).
    fn manifest(&self, project: ProjectId, file: &FileInfo, slices: &[FileSlice]) -> Vec<u8> {
        let entries: Vec<_> = slices
            .iter()
            .map(|s| {
                json!({ "url": format!(
                    "https://{}.blob.core.windows.net/{}/{}{}",
                    self.settings.id,
                    container(project),
                    blob_name(file),
                    s.name
                ) })
            })
            .collect();
        serde_json::to_vec(&json!({ "entries": entries })).expect("JSON of strings")
    }

    /// Records that the prepared file's bytes arrived (`upload`): checked against the quota and
    /// moved in place in the transaction that finishes the record.
    fn complete_prepared(
        &self,
        grant: &Grant,
        mut upload: StagedUpload,
        slices: &[FileSlice],
    ) -> Result<FileInfo> {
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
                .complete_prepared_file(project, id, stored.size, &stored.sha256, expires, slices)?
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
