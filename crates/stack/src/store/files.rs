//! The records of Storage files (their bytes are behind the file seam, [`crate::files`]).

use stackport_model::api::{FileInfo, FileSlice, TokenRef};
use stackport_model::{FileId, ProjectId, TokenId};

use crate::error::Result;

/// A file's record to insert; the store mints its id.
#[derive(Debug, Clone)]
pub struct NewFileRecord<'a> {
    pub project: ProjectId,
    pub name: &'a str,
    pub size_bytes: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: &'a str,
    pub tags: &'a [String],
    pub is_permanent: bool,
    pub max_age_days: Option<u32>,
    pub created_micros: i64,
    /// None for a file that never expires.
    pub expires_micros: Option<i64>,
    pub creator: &'a TokenRef,
    /// Prepared for an upload that has not arrived: not read or listed as a file until
    /// [`FileRecords::complete_prepared_file`]; `expires_micros` is then the upload's deadline.
    pub prepared: bool,
    /// Sliced: its bytes come as parts and a manifest.
    pub sliced: bool,
}

/// Which of a project's files to scan.
#[derive(Debug, Clone, Copy)]
pub struct FileScan {
    /// Only files that have not expired at this time.
    pub unexpired_at_micros: i64,
    /// Only files uploaded by this token; every file when none.
    pub created_by: Option<TokenId>,
}

/// The records of Storage files.
pub trait FileRecords {
    /// Inserts a file's record; ids are never reused, also after the file is deleted.
    fn insert_file(&mut self, new: &NewFileRecord<'_>) -> Result<FileId>;
    /// Records that a prepared file's bytes arrived: its size, digest and expiry; whether it was
    /// a prepared file of `project` (a finished one is left as it was).
    fn complete_prepared_file(
        &mut self,
        project: ProjectId,
        id: FileId,
        size_bytes: u64,
        sha256: &str,
        expires_micros: Option<i64>,
        slices: &[FileSlice],
    ) -> Result<bool>;
    /// A sliced file's parts, in order; none for a file that is not sliced.
    fn file_slices(&mut self, project: ProjectId, id: FileId) -> Result<Option<Vec<FileSlice>>>;
    /// A prepared file's record, expired or not; none for a finished one.
    fn get_prepared_file(&mut self, project: ProjectId, id: FileId) -> Result<Option<FileInfo>>;
    /// The (finished) file's record, expired or not.
    fn get_file(&mut self, project: ProjectId, id: FileId) -> Result<Option<FileInfo>>;
    /// Hands `project`'s finished files matching `scan` to `visit`, newest (greatest id) first, until
    /// `visit` returns false.
    fn scan_files(
        &mut self,
        project: ProjectId,
        scan: &FileScan,
        visit: &mut dyn FnMut(FileInfo) -> bool,
    ) -> Result<()>;
    /// The bytes of all of `project`'s files, expired ones included until they are purged
    /// (their bytes are still stored).
    fn stored_file_bytes(&mut self, project: ProjectId) -> Result<u64>;
    /// Every file id `project` has a record of, ascending: what the stack sweeps stored files
    /// against.
    fn file_ids(&mut self, project: ProjectId) -> Result<Vec<FileId>>;
    /// Deletes a file's record; whether there was one.
    fn delete_file(&mut self, project: ProjectId, id: FileId) -> Result<bool>;
    /// Deletes the records of every file expired at `now_micros` and returns which they were.
    fn delete_expired_files(&mut self, now_micros: i64) -> Result<Vec<(ProjectId, FileId)>>;
}
