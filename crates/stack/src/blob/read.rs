//! Reads of a finished file's blobs: the file, and a sliced file's manifest and parts.

use std::io::Read;

use serde_json::json;
use stackport_model::api::{FileInfo, FileSlice};
use stackport_model::ProjectId;

use super::{blob_name, blob_not_found, container, Access, Grant};
use crate::error::Result;
use crate::files::FileReader;
use crate::Stack;

impl Stack {
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
    pub(super) fn manifest(
        &self,
        project: ProjectId,
        file: &FileInfo,
        slices: &[FileSlice],
    ) -> Vec<u8> {
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
}
