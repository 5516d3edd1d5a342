//! Finishing a prepared file: its staged bytes (a Put Blob's, or blocks or parts in order)
//! become the file, checked against the quota, in the transaction that finishes its record.

use std::io::Read;

use serde_json::json;
use stackport_model::api::{FileInfo, FileSlice};

use super::{blob_not_found, Grant};
use crate::error::{Error, Result};
use crate::ops::events::{record, NewEvent};
use crate::ops::files::{check_quota, lifetime, NewFile, StagedUpload};
use crate::Stack;

impl Stack {
    /// Makes the staged blocks (or parts) `ids`, in order, the file.
    pub(super) fn commit_staged(
        &self,
        grant: &Grant,
        ids: &[String],
        sliced: bool,
    ) -> Result<FileInfo> {
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

    /// Records that the prepared file's bytes arrived (`upload`): checked against the quota and
    /// moved in place in the transaction that finishes the record.
    pub(super) fn complete_prepared(
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
}
