//! The file seam: where the bytes of Storage files live (their records are in the metadata,
//! [`crate::store::FileRecords`]). Local disk is the embedded default ([`LocalFileStore`]); an
//! object store is the next implementation, and must pass the same `conformance` (feature `conformance`) suite.
//!
//! A file is written in two steps because its id is minted by the metadata store only when
//! its record is inserted, and the record needs the file's size and digest: [`FileStore::stage`]
//! (or [`FileStore::put`]) takes the bytes into a staged place no reader sees, and
//! [`StagedFile::commit`], run inside the metadata transaction that inserts the record, moves
//! them in place under the id. A staged file that is dropped uncommitted leaves nothing. A crash
//! between the commit of the bytes and the commit of the record leaves a stored file without a
//! record: [`FileStore::list`] shows it, and `Stack::open` sweeps it.

use std::io::Read;

use sha2::{Digest, Sha256};
use stackport_model::{FileId, ProjectId};

use crate::error::{Error, ErrorKind, Result};

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod local;

pub use local::LocalFileStore;

/// What a staged file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

/// A stored file opened for reading.
pub struct FileReader {
    /// Its size, known before the first byte is read (a download's `Content-Length`).
    pub size: u64,
    pub reader: Box<dyn Read + Send>,
}

/// Where a stack keeps the bytes of Storage files, per project.
pub trait FileStore: Send + Sync {
    /// Begins a new file of `project`, refused once more than `limit` bytes are written.
    fn stage(&self, project: ProjectId, limit: u64) -> Result<Box<dyn StagedFile>>;
    /// The stored file, if there is one.
    fn open(&self, project: ProjectId, file: FileId) -> Result<Option<FileReader>>;
    /// The stored file, read from byte `offset` on (a ranged download); its `size` is the whole
    /// file's. An offset past the end reads nothing.
    fn open_at(&self, project: ProjectId, file: FileId, offset: u64) -> Result<Option<FileReader>> {
        let Some(mut opened) = self.open(project, file)? else {
            return Ok(None);
        };
        std::io::copy(&mut (&mut opened.reader).take(offset), &mut std::io::sink())?;
        Ok(Some(opened))
    }
    /// Deletes a stored file; whether there was one. A reader opened before goes on reading the
    /// whole file or fails; it never returns other bytes.
    fn delete(&self, project: ProjectId, file: FileId) -> Result<bool>;
    /// Deletes every stored file of `project`.
    fn delete_project(&self, project: ProjectId) -> Result<()>;
    /// The stored (committed) files of `project`, by id; staged ones are not listed.
    fn list(&self, project: ProjectId) -> Result<Vec<FileId>>;
    /// The projects with anything stored, by id.
    fn projects(&self) -> Result<Vec<ProjectId>>;

    /// Reads `body` once, to its end, into a staged file of `project`; refused (leaving
    /// nothing) once it is over `limit` bytes. The staged file is finished: durable, with its
    /// size and digest known.
    fn put(
        &self,
        project: ProjectId,
        body: &mut dyn Read,
        limit: u64,
    ) -> Result<(Box<dyn StagedFile>, Stored)> {
        let mut staged = self.stage(project, limit)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::internal("receiving a file", e)),
            };
            staged.write(&buf[..n])?;
        }
        let stored = staged.finish()?;
        Ok((staged, stored))
    }
}

/// A file being written: invisible to [`FileStore::open`] and [`FileStore::list`] until
/// committed; dropped uncommitted, it is gone.
pub trait StagedFile: Send {
    /// Appends `bytes`; past the limit the error is [`ErrorKind::TooLarge`] and the staged file
    /// takes no more.
    fn write(&mut self, bytes: &[u8]) -> Result<()>;
    /// Makes what was written durable and says what it is; nothing more may be written.
    fn finish(&mut self) -> Result<Stored>;
    /// What was written so far, read from byte `offset` on: staged blocks of a blob upload are
    /// read back in the order the client commits them.
    fn read_back(&self, offset: u64) -> Result<Box<dyn Read + Send>>;
    /// Puts the finished file in place as `file` (ids are never reused), durably.
    fn commit(self: Box<Self>, file: FileId) -> Result<()>;
}

/// The size limit and the digest of a staged file, for implementations to share.
pub struct Tally {
    limit: u64,
    size: u64,
    hasher: Sha256,
}

impl Tally {
    pub fn new(limit: u64) -> Tally {
        Tally {
            limit,
            size: 0,
            hasher: Sha256::new(),
        }
    }

    /// Counts `bytes` in, refusing them if they take the file over its limit.
    pub fn add(&mut self, bytes: &[u8]) -> Result<()> {
        let size = self.size + bytes.len() as u64;
        if size > self.limit {
            return Err(too_large(self.limit));
        }
        self.size = size;
        self.hasher.update(bytes);
        Ok(())
    }

    /// What was counted.
    pub fn stored(&self) -> Stored {
        Stored {
            size: self.size,
            sha256: hex::encode(self.hasher.clone().finalize()),
        }
    }
}

/// The error of a file over its size limit.
pub fn too_large(limit: u64) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        "storage.files.tooLarge",
        format!("the file is over the limit of {limit} bytes"),
    )
}
