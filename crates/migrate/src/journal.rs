//! The journal of a migration's work dir: one JSON object per line, appended and synced at each
//! phase boundary, so a person (or a second run) can see what an interrupted run had done. The
//! facts a resumed run relies on are kept where they cannot disagree with the data: the
//! snapshot's manifest, and the marks a restore leaves on the destination project.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{MigrateError, Result};
use crate::regular_file::{append_regular, work_dir_file};

/// `journal.jsonl` in a work dir.
pub(crate) struct Journal {
    path: PathBuf,
}

impl Journal {
    pub(crate) fn new(work_dir: &Path) -> Self {
        Journal {
            path: work_dir.join("journal.jsonl"),
        }
    }

    /// Appends one entry with the time, durably.
    pub(crate) fn record(&self, mut entry: serde_json::Value) -> Result<()> {
        if let Some(map) = entry.as_object_mut() {
            map.insert(
                "at".into(),
                stackport_model::time::format(&chrono::Utc::now()).into(),
            );
        }
        let mut file = append_regular(&self.path).map_err(|e| work_dir_file(&self.path, e))?;
        writeln!(file, "{entry}")
            .and_then(|()| file.sync_data())
            .map_err(|e| MigrateError::io(&self.path, "writing the journal", e))
    }
}
