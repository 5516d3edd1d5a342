//! File storage: uploaded files on local disk, their facts in the metadata database.

use std::io::{Read, Write};
use std::path::PathBuf;

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use sha2::{Digest, Sha256};
use stackport_model::api::{FileInfo, TokenRef, DEFAULT_FILE_MAX_AGE_DAYS};
use stackport_model::{FileId, ProjectId, TokenId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, ErrorKind, Result};
use crate::store::sqlrow::{from_json, to_json};
use crate::{secret, Stack};

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
}

const FILE_COLUMNS: &str =
    "id, name, size_bytes, sha256, tags, is_permanent, max_age_days, created, expires, creator_token_id, creator_description";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileInfo> {
    let creator: Option<u64> = r.get(9)?;
    Ok(FileInfo {
        id: FileId(r.get(0)?),
        name: r.get(1)?,
        size_bytes: r.get::<_, i64>(2)? as u64,
        sha256: r.get(3)?,
        tags: from_json(&r.get::<_, String>(4)?)?,
        is_permanent: r.get(5)?,
        max_age_days: r.get(6)?,
        created: super::time(r.get(7)?),
        expires: r.get::<_, Option<i64>>(8)?.map(super::time),
        creator_token: creator.map(|id| TokenRef {
            id: TokenId(id),
            description: r
                .get::<_, Option<String>>(10)
                .ok()
                .flatten()
                .unwrap_or_default(),
        }),
    })
}

fn validate(new: &NewFile) -> Result<()> {
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

impl Stack {
    fn project_files_dir(&self, project: ProjectId) -> PathBuf {
        self.files_dir.join(project.to_string())
    }

    /// Stores an uploaded file, streamed from `body`: written to a temporary file, synced, and
    /// renamed into place in the same transaction that records it.
    pub fn upload_file(
        &self,
        auth: &TokenAuth,
        new: &NewFile,
        body: &mut dyn Read,
    ) -> Result<FileInfo> {
        validate(new)?;
        let dir = self.project_files_dir(auth.project());
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".upload-{}", secret::random_string(16)));
        let written = write_body(&tmp, body, self.settings.limits.max_file_bytes);
        let (size, sha) = match written {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let now = super::now_micros();
        let max_age = if new.is_permanent {
            None
        } else {
            Some(new.max_age_days.unwrap_or(DEFAULT_FILE_MAX_AGE_DAYS))
        };
        let expires = max_age.map(|d| now + i64::from(d) * 86_400 * 1_000_000);
        let by = auth.token_ref();
        let quota = self.settings.quotas.file_bytes;
        let result = self.store.write(|tx| {
            // Counted in the transaction that records the file, so racing uploads cannot
            // overshoot together.
            let stored: i64 = tx.sql().query_row(
                "SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE project_id = ?1",
                [auth.project().0],
                |r| r.get(0),
            )?;
            if stored as u64 + size > quota {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    "project.quotaExceeded",
                    format!(
                        "a file of {size} bytes would take project {}'s files over its quota of {quota} bytes \
                         (quotas.fileBytes; {stored} bytes are stored); delete files or ask the stack's \
                         administrator to raise the quota; nothing was stored",
                        auth.project()
                    ),
                ));
            }
            tx.sql().execute(
                "INSERT INTO files (project_id, name, size_bytes, sha256, tags, is_permanent, max_age_days, created, expires,
                 creator_token_id, creator_description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![auth.project().0, new.name, size as i64, sha, to_json(&new.tags), new.is_permanent, max_age, now, expires, by.id.0, by.description],
            )?;
            let id = FileId(tx.sql().last_insert_rowid() as u64);
            record(tx, auth.project(), Some(&by), NewEvent {
                event: "storage.fileUploaded",
                message: format!("File {id} ({}) uploaded", new.name),
                object_type: "file",
                object_id: id.to_string(),
                params: json!({ "name": new.name, "sizeBytes": size, "tags": new.tags }),
            })?;
            std::fs::rename(&tmp, dir.join(id.to_string()))?;
            Ok(tx.sql().query_row(&format!("SELECT {FILE_COLUMNS} FROM files WHERE id = ?1"), [id.0], from_row)?)
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
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
        let all = auth.token.is_master || auth.token.can_read_all_file_uploads;
        self.store.read(|c| {
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE project_id = ?1 AND (expires IS NULL OR expires > ?2)
                 AND (?3 OR creator_token_id = ?4) ORDER BY id DESC"
            ))?;
            let mut rows = stmt.query(params![auth.project().0, super::now_micros(), all, auth.token_id().0])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let file = from_row(row)?;
                if filter.tags.iter().all(|t| file.tags.contains(t)) {
                    out.push(file);
                    if out.len() >= limit as usize {
                        break;
                    }
                }
            }
            Ok(out)
        })
    }

    /// One file's facts.
    pub fn get_file(&self, auth: &TokenAuth, id: FileId) -> Result<FileInfo> {
        let file = self
            .store
            .read(|c| {
                Ok(c.sql().query_row(
                    &format!(
                        "SELECT {FILE_COLUMNS} FROM files WHERE project_id = ?1 AND id = ?2 AND (expires IS NULL OR expires > ?3)"
                    ),
                    params![auth.project().0, id.0, super::now_micros()],
                    from_row,
                )
                .optional()?)
            })?
            .ok_or_else(|| Error::not_found("storage.files.notFound", format!("file {id} not found (or expired)")))?;
        let all = auth.token.is_master || auth.token.can_read_all_file_uploads;
        if !all && file.creator_token.as_ref().map(|t| t.id) != Some(auth.token_id()) {
            return Err(Error::forbidden(format!(
                "file {id} was uploaded by another token and token {} may not read other tokens' files \
                 (canReadAllFileUploads is false)",
                auth.token_id()
            )));
        }
        Ok(file)
    }

    /// A file's facts and the path of its content, for streaming it out.
    pub fn open_file(&self, auth: &TokenAuth, id: FileId) -> Result<(FileInfo, PathBuf)> {
        let file = self.get_file(auth, id)?;
        Ok((
            file,
            self.project_files_dir(auth.project()).join(id.to_string()),
        ))
    }

    /// Deletes a file.
    pub fn delete_file(&self, auth: &TokenAuth, id: FileId) -> Result<()> {
        let file = self.get_file(auth, id)?;
        let by = auth.token_ref();
        self.store.write(|tx| {
            tx.sql()
                .execute("DELETE FROM files WHERE id = ?1", [id.0])?;
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
        remove_if_present(&self.project_files_dir(auth.project()).join(id.to_string()))
    }

    /// Deletes files past their expiry; returns how many. `serve` runs it periodically.
    pub fn purge_expired_files(&self) -> Result<u64> {
        let now = super::now_micros();
        let expired: Vec<(u64, u64)> = self.store.write(|tx| {
            let mut stmt = tx.sql().prepare(
                "SELECT project_id, id FROM files WHERE expires IS NOT NULL AND expires <= ?1",
            )?;
            let rows = stmt
                .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.sql().execute(
                "DELETE FROM files WHERE expires IS NOT NULL AND expires <= ?1",
                [now],
            )?;
            Ok(rows)
        })?;
        for (project, id) in &expired {
            remove_if_present(
                &self
                    .project_files_dir(ProjectId(*project))
                    .join(id.to_string()),
            )?;
        }
        Ok(expired.len() as u64)
    }
}

fn write_body(path: &std::path::Path, body: &mut dyn Read, limit: u64) -> Result<(u64, String)> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::internal("receiving a file", e)),
        };
        size += n as u64;
        if size > limit {
            return Err(Error::new(
                ErrorKind::TooLarge,
                "storage.files.tooLarge",
                format!("the file is over this stack's limit of {limit} bytes"),
            ));
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n])?;
    }
    file.sync_all()?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn remove_if_present(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}
