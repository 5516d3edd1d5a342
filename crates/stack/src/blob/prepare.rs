//! `files/prepare`: a file record whose bytes will come through the blob endpoint.

use stackport_model::api::FileInfo;

use super::{blob_not_found, Access, Grant};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::auth::TokenAuth;
use crate::ops::files::{lifetime, validate, NewFile};
use crate::store::NewFileRecord;
use crate::Stack;

impl Stack {
    /// Records a file whose bytes will come through the blob endpoint, and the signature that
    /// lets them: `POST files/prepare`. Until they come it is not listed or read as a file,
    /// and at the signature's expiry it is purged.
    pub fn prepare_file(
        &self,
        auth: &TokenAuth,
        new: &NewFile,
        size_bytes: Option<u64>,
        sliced: bool,
    ) -> Result<(FileInfo, Grant)> {
        validate(new)?;
        let limit = self.settings.limits.max_file_bytes;
        if let Some(size) = size_bytes.filter(|s| *s > limit) {
            return Err(Error::new(
                ErrorKind::TooLarge,
                "storage.files.tooLarge",
                format!(
                    "sizeBytes {size} is over the stack's limit of {limit} bytes per file \
                     (limits.maxFileBytes); split the data into several files"
                ),
            ));
        }
        let expires_secs = self.expiry_secs();
        let by = auth.token_ref();
        let project = auth.project();
        let file = self.store.write(|tx| {
            let now = tx.now_micros();
            let id = tx.files().insert_file(&NewFileRecord {
                project,
                name: &new.name,
                size_bytes: 0,
                sha256: "",
                tags: &new.tags,
                is_permanent: new.is_permanent,
                max_age_days: lifetime(new, 0).0,
                created_micros: now,
                expires_micros: Some(expires_secs * 1_000_000),
                creator: &by,
                prepared: true,
                sliced,
            })?;
            tx.files()
                .get_prepared_file(project, id)?
                .ok_or_else(|| blob_not_found(id))
        })?;
        let grant = Grant {
            project,
            file: file.id,
            access: Access::Write,
            expires_secs,
        };
        Ok((file, grant))
    }
}
