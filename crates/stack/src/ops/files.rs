//! Storage files: the rules. Their bytes are behind the file seam ([`crate::files`]), their
//! records behind the metadata seam ([`crate::store::FileRecords`]).

use std::collections::BTreeSet;
use std::io::Read;

use serde_json::json;
use stackport_model::api::{FileInfo, DEFAULT_FILE_MAX_AGE_DAYS};
use stackport_model::{FileId, ProjectId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, ErrorKind, Result};
use crate::files::{FileReader, StagedFile};
use crate::store::{FileScan, NewFileRecord};
use crate::Stack;

/// An upload's facts; the query parameters of `POST /v2/storage/files`.
#[derive(Debug, Clone, Default)]
pub struct NewFile {
    /// The file's name.
    pub name: String,
    /// Tags to find it by.
    pub tags: Vec<String>,
    /// Never expires.
    pub is_permanent: bool,
    /// Days until it is deleted, for impermanent files (15 by default).
    pub max_age_days: Option<u32>,
}

/// Which files to list.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    /// Only files with all these tags.
    pub tags: Vec<String>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many matching files first (the reference clients page with it).
    pub offset: u32,
    /// Only files with a greater id (`sinceId`).
    pub since_id: Option<FileId>,
    /// Only files with a smaller id (`maxId`).
    pub max_id: Option<FileId>,
}

pub(crate) fn validate(new: &NewFile) -> Result<()> {
    let bad = |m: String| Err(Error::invalid("storage.files.invalid", m));
    if new.name.trim().is_empty()
        || new.name.len() > 255
        || new.name.contains(['/', '\\'])
        || new.name.chars().any(char::is_control)
    {
        return bad(format!(
            "file name '{}' must have 1 to 255 bytes, no slashes and no control characters",
            new.name
        ));
    }
    if let Some(t) = new.tags.iter().find(|t| t.is_empty() || t.len() > 255) {
        return bad(format!("tag '{t}' must have 1 to 255 bytes"));
    }
    if new.is_permanent && new.max_age_days.is_some() {
        return bad("a permanent file has no maxAgeDays; give one or the other".into());
    }
    if new.max_age_days == Some(0) {
        return bad("maxAgeDays must be at least 1".into());
    }
    Ok(())
}

/// A new file's days to live and the time it expires, uploaded at `now_micros`: none for a
/// permanent one.
pub(crate) fn lifetime(new: &NewFile, now_micros: i64) -> (Option<u32>, Option<i64>) {
    if new.is_permanent {
        return (None, None);
    }
    let days = new.max_age_days.unwrap_or(DEFAULT_FILE_MAX_AGE_DAYS);
    (
        Some(days),
        Some(now_micros + i64::from(days) * 86_400 * 1_000_000),
    )
}

/// Whether the token sees files other tokens uploaded.
fn reads_all_files(auth: &TokenAuth) -> bool {
    auth.token.is_master || auth.token.can_read_all_file_uploads
}

fn expired(file: &FileInfo, now_micros: i64) -> bool {
    file.expires
        .is_some_and(|e| e.timestamp_micros() <= now_micros)
}

pub(crate) fn file_not_found(id: FileId) -> Error {
    Error::not_found(
        "storage.files.notFound",
        format!("file {id} not found (or expired)"),
    )
}

/// The quota check of an upload of `size` bytes to a project storing `stored` bytes.
pub(crate) fn check_quota(project: ProjectId, size: u64, stored: u64, quota: u64) -> Result<()> {
    if stored + size <= quota {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::TooLarge,
        "project.quotaExceeded",
        format!(
            "a file of {size} bytes would take project {project}'s files over its quota of \
             {quota} bytes (quotas.fileBytes; {stored} bytes are stored); delete files or ask \
             the stack's administrator to raise the quota; nothing was stored"
        ),
    ))
}

/// An upload's bytes as they arrive, staged in the file store: nothing is visible until
/// [`Stack::upload_staged_file`] records it, and dropping it leaves nothing.
pub struct StagedUpload {
    pub(crate) staged: Box<dyn StagedFile>,
    pub(crate) project: ProjectId,
    pub(crate) limit: u64,
}

impl StagedUpload {
    /// Appends a piece of the body; refused once the body is over `limits.maxFileBytes`.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let limit = self.limit;
        self.staged.write(bytes).map_err(|e| {
            if e.kind() == ErrorKind::TooLarge {
                Error::new(
                    ErrorKind::TooLarge,
                    "storage.files.tooLarge",
                    format!(
                        "the request body is over this stack's limit of {limit} bytes \
                         (limits.maxFileBytes); split the data; nothing was stored"
                    ),
                )
            } else {
                e
            }
        })
    }
}

impl Stack {
    /// Begins an upload to the token's project; its bytes go straight to the file store.
    pub fn stage_upload(&self, auth: &TokenAuth) -> Result<StagedUpload> {
        self.stage_for(auth.project(), self.settings.limits.max_file_bytes)
    }

    /// Begins an upload to `project` of at most `limit` bytes.
    pub(crate) fn stage_for(&self, project: ProjectId, limit: u64) -> Result<StagedUpload> {
        Ok(StagedUpload {
            staged: self.files.stage(project, limit)?,
            project,
            limit,
        })
    }

    /// Stores an uploaded file, read from `body` once.
    pub fn upload_file(
        &self,
        auth: &TokenAuth,
        new: &NewFile,
        body: &mut dyn Read,
    ) -> Result<FileInfo> {
        let mut upload = self.stage_upload(auth)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::internal("receiving a file", e)),
            };
            upload.write(&buf[..n])?;
        }
        self.upload_staged_file(auth, new, upload)
    }

    /// Records a staged upload: made durable, checked against the project's quota, and moved
    /// in place in the transaction that records it.
    pub fn upload_staged_file(
        &self,
        auth: &TokenAuth,
        new: &NewFile,
        mut upload: StagedUpload,
    ) -> Result<FileInfo> {
        validate(new)?;
        if upload.project != auth.project() {
            return Err(Error::internal(
                "recording an upload",
                format!(
                    "staged for project {}, recorded for {}",
                    upload.project,
                    auth.project()
                ),
            ));
        }
        let stored = upload.staged.finish()?;
        let by = auth.token_ref();
        let quota = self.settings.quotas.file_bytes;
        let project = auth.project();
        self.store.write(|tx| {
            // Counted in the transaction that records the file, so racing uploads cannot
            // overshoot together.
            let taken = tx.files().stored_file_bytes(project)?;
            check_quota(project, stored.size, taken, quota)?;
            let now = tx.now_micros();
            let (max_age_days, expires_micros) = lifetime(new, now);
            let id = tx.files().insert_file(&NewFileRecord {
                project,
                name: &new.name,
                size_bytes: stored.size,
                sha256: &stored.sha256,
                tags: &new.tags,
                is_permanent: new.is_permanent,
                max_age_days,
                created_micros: now,
                expires_micros,
                creator: &by,
                prepared: false,
                sliced: false,
            })?;
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "storage.fileUploaded",
                    message: format!("File {id} ({}) uploaded", new.name),
                    object_type: "file",
                    object_id: id.to_string(),
                    params: json!({ "name": new.name, "sizeBytes": stored.size, "tags": new.tags }),
                },
            )?;
            let file = tx
                .files()
                .get_file(project, id)?
                .ok_or_else(|| file_not_found(id))?;
            // Last: a failure before it rolls the record back and drops the staged bytes.
            upload.staged.commit(id)?;
            Ok(file)
        })
    }

    /// Files the token can see, newest first; expired files are gone.
    pub fn list_files(&self, auth: &TokenAuth, filter: &FileFilter) -> Result<Vec<FileInfo>> {
        let limit = filter.limit.unwrap_or(100);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid(
                "storage.files.invalidLimit",
                "limit must be from 1 to 1000",
            ));
        }
        self.store.read(|tx| {
            let scan = FileScan {
                unexpired_at_micros: tx.now_micros(),
                created_by: (!reads_all_files(auth)).then(|| auth.token_id()),
            };
            let mut out = Vec::new();
            let mut skip = filter.offset;
            tx.files().scan_files(auth.project(), &scan, &mut |file| {
                if filter.since_id.is_some_and(|since| file.id <= since) {
                    // Newest first: every file after this one is older still.
                    return false;
                }
                if filter.max_id.is_some_and(|max| file.id >= max) {
                    return true;
                }
                if filter.tags.iter().all(|t| file.tags.contains(t)) {
                    if skip > 0 {
                        skip -= 1;
                    } else {
                        out.push(file);
                    }
                }
                out.len() < limit as usize
            })?;
            Ok(out)
        })
    }

    /// One file's facts.
    pub fn get_file(&self, auth: &TokenAuth, id: FileId) -> Result<FileInfo> {
        let file = self
            .store
            .read(|tx| {
                let now = tx.now_micros();
                Ok(tx
                    .files()
                    .get_file(auth.project(), id)?
                    .filter(|f| !expired(f, now)))
            })?
            .ok_or_else(|| file_not_found(id))?;
        if !reads_all_files(auth)
            && file.creator_token.as_ref().map(|t| t.id) != Some(auth.token_id())
        {
            return Err(Error::forbidden(format!(
                "file {id} was uploaded by another token and token {} may not read other \
                 tokens' files (canReadAllFileUploads is false)",
                auth.token_id()
            )));
        }
        Ok(file)
    }

    /// A file's facts and its content, for streaming it out.
    pub fn open_file(&self, auth: &TokenAuth, id: FileId) -> Result<(FileInfo, FileReader)> {
        let file = self.get_file(auth, id)?;
        let reader = self.files.open(auth.project(), id)?.ok_or_else(|| {
            Error::internal(
                format!("opening file {id}"),
                "its record exists but the file store holds no content for it",
            )
        })?;
        Ok((file, reader))
    }

    /// Deletes a file.
    pub fn delete_file(&self, auth: &TokenAuth, id: FileId) -> Result<()> {
        let file = self.get_file(auth, id)?;
        let by = auth.token_ref();
        self.store.write(|tx| {
            tx.files().delete_file(auth.project(), id)?;
            record(
                tx,
                auth.project(),
                Some(&by),
                NewEvent {
                    event: "storage.fileDeleted",
                    message: format!("File {id} ({}) deleted", file.name),
                    object_type: "file",
                    object_id: id.to_string(),
                    params: json!({}),
                },
            )
        })?;
        // After the record: a crash between the two leaves bytes without a record, which
        // `Stack::open` sweeps.
        self.files.delete(auth.project(), id)?;
        Ok(())
    }

    /// Deletes files past their expiry; returns how many. `serve` runs it periodically.
    pub fn purge_expired_files(&self) -> Result<u64> {
        let expired = self.store.write(|tx| {
            let now = tx.now_micros();
            tx.files().delete_expired_files(now)
        })?;
        for (project, id) in &expired {
            self.files.delete(*project, *id)?;
        }
        self.purge_expired_blocks();
        Ok(expired.len() as u64)
    }

    /// Deletes stored files without a record (a crash after storing them and before their
    /// record committed, or after deleting a record and before the bytes) and the files of
    /// projects that are gone; returns how many files. Runs in a write transaction: uploads
    /// commit their bytes while holding one, so none is caught between the two.
    pub(crate) fn sweep_stored_files(&self) -> Result<u64> {
        self.store.write(|tx| {
            let mut swept = 0;
            for project in self.files.projects()? {
                if tx.projects().get_project(project)?.is_none() {
                    swept += self.files.list(project)?.len() as u64;
                    self.files.delete_project(project)?;
                    continue;
                }
                let known: BTreeSet<FileId> = tx.files().file_ids(project)?.into_iter().collect();
                for id in self.files.list(project)? {
                    if !known.contains(&id) {
                        self.files.delete(project, id)?;
                        swept += 1;
                    }
                }
            }
            Ok(swept)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> NewFile {
        NewFile {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_and_tags_are_checked() {
        for bad in ["", "  ", "a/b", "a\\b", "tab\there", &"x".repeat(256)] {
            let err = validate(&file(bad)).expect_err(bad);
            assert_eq!(err.code(), "storage.files.invalid", "{bad}");
        }
        validate(&file(&"x".repeat(255))).unwrap();
        validate(&file("résumé.pdf")).unwrap();
        let mut tagged = file("a");
        tagged.tags = vec!["ok".into(), String::new()];
        assert!(validate(&tagged).unwrap_err().message().contains("tag ''"));
    }

    #[test]
    fn a_permanent_file_has_no_max_age_and_max_age_is_positive() {
        let mut both = file("a");
        both.is_permanent = true;
        both.max_age_days = Some(3);
        assert!(validate(&both).is_err());
        let mut zero = file("a");
        zero.max_age_days = Some(0);
        assert!(validate(&zero)
            .unwrap_err()
            .message()
            .contains("at least 1"));
    }

    #[test]
    fn lifetime_defaults_to_fifteen_days_and_permanent_is_forever() {
        let day = 86_400 * 1_000_000;
        assert_eq!(
            lifetime(&file("a"), 1_000),
            (Some(DEFAULT_FILE_MAX_AGE_DAYS), Some(1_000 + 15 * day))
        );
        let mut two = file("a");
        two.max_age_days = Some(2);
        assert_eq!(lifetime(&two, 5), (Some(2), Some(5 + 2 * day)));
        let mut permanent = file("a");
        permanent.is_permanent = true;
        assert_eq!(lifetime(&permanent, 5), (None, None));
    }

    #[test]
    fn the_quota_admits_up_to_its_last_byte() {
        check_quota(ProjectId(1), 400, 600, 1000).unwrap();
        let err = check_quota(ProjectId(1), 401, 600, 1000).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge);
        assert_eq!(err.code(), "project.quotaExceeded");
        assert!(err.message().contains("quotas.fileBytes"));
    }
}
