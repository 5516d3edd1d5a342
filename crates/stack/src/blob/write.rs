//! Writes to a prepared file's blobs: Put Blob (the file, or a part of a sliced one), Put
//! Block, Put Block List and a sliced file's manifest.

use stackport_model::api::FileInfo;

use super::blocks::BlockLog;
use super::manifest::manifest_parts;
use super::{blob_name, blob_not_found, container, valid_part, Access, Grant, Target};
use crate::error::{Error, Result};
use crate::ops::files::StagedUpload;
use crate::Stack;

impl Stack {
    /// What a write to `blob` of `container` with `grant` writes.
    pub fn blob_target(&self, grant: &Grant, container_name: &str, blob: &str) -> Result<Target> {
        Ok(self.prepared_target(grant, container_name, blob)?.1)
    }

    /// The prepared file `grant` may write, and which of its blobs `blob` is.
    pub(super) fn prepared_target(
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
    pub(super) fn stage_block(
        &self,
        grant: &Grant,
        block_id: &str,
        mut upload: StagedUpload,
    ) -> Result<()> {
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
}
