//! Writes the small JSON files of a snapshot and keeps the manifest's list of files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::chunker::HashingWriter;
use super::format::FileEntry;
use crate::error::{MigrateError, Result};

/// The files written so far, for the manifest.
pub(crate) struct SnapshotDir {
    pub root: PathBuf,
    pub files: Vec<FileEntry>,
}

impl SnapshotDir {
    pub(crate) fn new(root: &Path) -> Self {
        SnapshotDir {
            root: root.to_path_buf(),
            files: Vec::new(),
        }
    }

    /// Writes `value` as JSON at `rel` and records it.
    pub(crate) fn json<T: Serialize + ?Sized>(&mut self, rel: &str, value: &T) -> Result<()> {
        let entry = write_json(&self.root, rel, value)?;
        self.files.push(entry);
        Ok(())
    }
}

/// Writes a JSON file durably; returns its manifest entry.
pub(crate) fn write_json<T: Serialize + ?Sized>(
    root: &Path,
    rel: &str,
    value: &T,
) -> Result<FileEntry> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| MigrateError::io(parent, "creating a snapshot dir", e))?;
    }
    let file = File::create(&path).map_err(|e| MigrateError::io(&path, "creating", e))?;
    let mut out = HashingWriter::new(BufWriter::new(file));
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| MigrateError::io(&path, "writing", e.into()))?;
    out.write_all(b"\n")
        .map_err(|e| MigrateError::io(&path, "writing", e))?;
    let (buffered, bytes, sha256) = out
        .finish()
        .map_err(|e| MigrateError::io(&path, "writing", e))?;
    let file = buffered
        .into_inner()
        .map_err(|e| MigrateError::io(&path, "writing", e.into_error()))?;
    file.sync_all()
        .map_err(|e| MigrateError::io(&path, "syncing", e))?;
    Ok(FileEntry {
        path: rel.to_string(),
        bytes,
        sha256,
    })
}
