//! The stack's own Azure Blob service, the rules: what `files/prepare` hands out and what the
//! blob endpoint (`/blob/<container>/<blob>` in the server) may do with it. The reference
//! platform answers `provider: "azure"` and its clients move bytes with the real Azure SDK;
//! here the "storage account" is the stack itself, the container is the project
//! (`project-<id>`) and the blob is `<file id>/<file name>`. Access is by signature
//! ([`sas`]), never by Storage token. Bytes go through the file seam like every upload.

mod blocks;
mod complete;
mod manifest;
mod prepare;
mod read;
pub mod sas;
mod write;

use stackport_model::api::FileInfo;
use stackport_model::{FileId, ProjectId};

pub(crate) use blocks::BlockLogs;
pub use blocks::{MAX_BLOCKS, MAX_BLOCK_ID_BYTES};
pub use sas::{Access, Grant};

use crate::error::{Error, ErrorKind, Result};
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
pub(super) fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 64
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

pub(super) fn blob_not_found(what: impl std::fmt::Display) -> Error {
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

    pub(super) fn expiry_secs(&self) -> i64 {
        self.now_micros() / 1_000_000 + SIGNATURE_HOURS * 3600
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
    pub(super) fn check_target<'b>(
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

    /// Drops the staged blocks of uploads whose signature expired; how many uploads.
    pub(crate) fn purge_expired_blocks(&self) -> usize {
        self.blocks.purge(self.now_micros() / 1_000_000)
    }

    /// How many uploads have staged blocks now.
    pub fn staged_block_uploads(&self) -> usize {
        self.blocks.len()
    }
}
