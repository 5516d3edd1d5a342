//! Metadata: key/value pairs on buckets, tables and columns, unique per provider and key.

use std::collections::BTreeMap;

use serde_json::json;
use stackport_model::api::{
    BucketPermission, MetadataEntry, MetadataKeyValue, MetadataWrite, STORAGE_PROVIDER,
};
use stackport_model::{ColumnName, MetadataId, ProjectId, TableId};

use super::auth::TokenAuth;
use super::buckets::load_bucket;
use super::events::{record, NewEvent};
use super::tables::load_table;
use crate::error::{Error, Result};
use crate::store::Tx;
use crate::Stack;

pub use crate::store::MetadataObject;

impl MetadataObject {
    /// Events are about buckets, tables and configurations; column metadata counts as its
    /// table's.
    fn event_type(&self) -> &'static str {
        match self {
            MetadataObject::Column(..) => "table",
            other => other.kind(),
        }
    }

    fn event_id(&self) -> String {
        match self {
            MetadataObject::Column(t, _) => t.to_string(),
            other => other.key(),
        }
    }

    /// Fails unless the token may read (or, with `write`, change) the object.
    fn require(&self, auth: &TokenAuth, write: bool) -> Result<()> {
        let needed = if write {
            BucketPermission::Write
        } else {
            BucketPermission::Read
        };
        match self {
            MetadataObject::Bucket(b) => auth.require_bucket(b, needed),
            MetadataObject::Table(t) | MetadataObject::Column(t, _) => {
                auth.require_bucket(t.bucket(), needed)
            }
            MetadataObject::Configuration(component, _) => auth.require_component(component),
            // Every token of the project may read it; changing what describes the whole project
            // is the project owner's call.
            MetadataObject::Project if write => {
                auth.require_master("change the project's metadata")
            }
            MetadataObject::Project => Ok(()),
        }
    }
}

/// Writes entries (insert or update by provider and key) at the transaction's time, without
/// rights checks: callers check.
pub(crate) fn upsert_entries(
    tx: &mut Tx<'_>,
    project: ProjectId,
    object: &MetadataObject,
    provider: &str,
    entries: &[MetadataKeyValue],
) -> Result<()> {
    let now = tx.now_micros();
    tx.metadata()
        .upsert_metadata(project, object, provider, entries, now)
}

/// The metadata of every column of a table that has some, by column name.
pub(crate) fn load_column_metadata(
    tx: &mut Tx<'_>,
    project: ProjectId,
    table: &TableId,
    columns: &[ColumnName],
) -> Result<BTreeMap<String, Vec<MetadataEntry>>> {
    let mut out = BTreeMap::new();
    for column in columns {
        let entries = tx.metadata().list_metadata(
            project,
            &MetadataObject::Column(table.clone(), column.clone()),
        )?;
        if !entries.is_empty() {
            out.insert(column.to_string(), entries);
        }
    }
    Ok(out)
}

const MAX_KEY: usize = 255;
const MAX_VALUE: usize = 64 * 1024;

fn validate_entries(provider: &str, entries: &[MetadataKeyValue], whose: &str) -> Result<()> {
    for e in entries {
        if e.key.is_empty() || e.key.len() > MAX_KEY {
            return Err(Error::invalid(
                "storage.metadata.invalidKey",
                format!(
                    "metadata key of {whose} must have 1 to {MAX_KEY} bytes (provider {provider})"
                ),
            ));
        }
        if e.value.len() > MAX_VALUE {
            return Err(Error::new(
                crate::ErrorKind::TooLarge,
                "storage.metadata.valueTooLarge",
                format!(
                    "metadata value of {whose} key '{}' is over {MAX_VALUE} bytes",
                    e.key
                ),
            ));
        }
    }
    Ok(())
}

impl Stack {
    fn check_object(
        &self,
        c: &mut Tx<'_>,
        auth: &TokenAuth,
        object: &MetadataObject,
    ) -> Result<Vec<ColumnName>> {
        match object {
            MetadataObject::Bucket(b) => {
                load_bucket(c, auth.project(), b)?;
                Ok(Vec::new())
            }
            MetadataObject::Table(t) | MetadataObject::Column(t, _) => {
                let table = load_table(c, auth.project(), t)?;
                if let MetadataObject::Column(_, col) = object {
                    if !table.columns.contains(col) {
                        return Err(Error::not_found(
                            "storage.tables.columnNotFound",
                            format!("table {t} has no column '{col}'"),
                        ));
                    }
                }
                Ok(table.columns)
            }
            MetadataObject::Configuration(component, id) => {
                super::configs::load_live_config(c, auth.project(), component, id)?;
                Ok(Vec::new())
            }
            MetadataObject::Project => Ok(Vec::new()),
        }
    }

    /// The metadata of a bucket, table or column.
    pub fn list_metadata(
        &self,
        auth: &TokenAuth,
        object: &MetadataObject,
    ) -> Result<Vec<MetadataEntry>> {
        self.store.read(|tx| {
            self.check_object(tx, auth, object)?;
            object.require(auth, false)?;
            tx.metadata().list_metadata(auth.project(), object)
        })
    }

    /// Writes metadata of a bucket or table (and, for tables, its columns); returns the object's
    /// metadata afterwards. The `storage` provider is the stack's own and cannot be written.
    pub fn write_metadata(
        &self,
        auth: &TokenAuth,
        object: &MetadataObject,
        write: &MetadataWrite,
    ) -> Result<Vec<MetadataEntry>> {
        let provider = write.provider.trim();
        if provider.is_empty() || provider.len() > MAX_KEY {
            return Err(Error::invalid(
                "storage.metadata.invalidProvider",
                "provider is required (e.g. \"user\") and may have at most 255 bytes",
            ));
        }
        if provider == STORAGE_PROVIDER {
            return Err(Error::invalid(
                "storage.metadata.readOnlyProvider",
                "provider 'storage' is written by the stack itself; use another provider such as \
                 'user'",
            ));
        }
        if write.metadata.is_empty() && write.columns_metadata.is_empty() {
            return Err(Error::invalid(
                "storage.metadata.empty",
                "nothing to write: metadata and columnsMetadata are empty",
            ));
        }
        let by = auth.token_ref();
        self.store.write(|tx| {
            let columns = self.check_object(tx, auth, object)?;
            object.require(auth, true)?;
            validate_entries(provider, &write.metadata, &object.key())?;
            upsert_entries(tx, auth.project(), object, provider, &write.metadata)?;
            if !write.columns_metadata.is_empty() {
                let MetadataObject::Table(table) = object else {
                    return Err(Error::invalid(
                        "storage.metadata.columnsOnlyForTables",
                        "columnsMetadata can only be written on a table",
                    ));
                };
                for (name, entries) in &write.columns_metadata {
                    let column = ColumnName::parse(name)?;
                    if !columns.contains(&column) {
                        return Err(Error::invalid(
                            "storage.tables.columnNotFound",
                            format!(
                                "columnsMetadata names column '{name}', which table {table} \
                                 does not have"
                            ),
                        ));
                    }
                    let col = MetadataObject::Column(table.clone(), column);
                    validate_entries(provider, entries, &col.key())?;
                    upsert_entries(tx, auth.project(), &col, provider, entries)?;
                }
            }
            record(
                tx,
                auth.project(),
                Some(&by),
                NewEvent {
                    event: "storage.metadataWritten",
                    message: format!("Metadata of {} {} written", object.kind(), object.key()),
                    object_type: object.event_type(),
                    object_id: object.event_id(),
                    params: json!({
                        "provider": provider,
                        "keys": write.metadata.iter().map(|e| &e.key).collect::<Vec<_>>(),
                        "columns": write.columns_metadata.keys().collect::<Vec<_>>(),
                    }),
                },
            )?;
            tx.metadata().list_metadata(auth.project(), object)
        })
    }

    /// Deletes one metadata entry of an object.
    pub fn delete_metadata(
        &self,
        auth: &TokenAuth,
        object: &MetadataObject,
        id: MetadataId,
    ) -> Result<()> {
        let by = auth.token_ref();
        self.store.write(|tx| {
            self.check_object(tx, auth, object)?;
            object.require(auth, true)?;
            let entry = tx.metadata().get_metadata(auth.project(), object, id)?;
            match entry.as_ref().map(|e| e.provider.as_str()) {
                None => {
                    return Err(Error::not_found(
                        "storage.metadata.notFound",
                        format!(
                            "metadata {id} not found on {} {}",
                            object.kind(),
                            object.key()
                        ),
                    ))
                }
                Some(STORAGE_PROVIDER) => {
                    return Err(Error::invalid(
                        "storage.metadata.readOnlyProvider",
                        format!(
                            "metadata {id} belongs to provider 'storage' and cannot be deleted"
                        ),
                    ))
                }
                Some(_) => {}
            }
            tx.metadata().delete_metadata(auth.project(), object, id)?;
            record(
                tx,
                auth.project(),
                Some(&by),
                NewEvent {
                    event: "storage.metadataDeleted",
                    message: format!(
                        "Metadata {id} of {} {} deleted",
                        object.kind(),
                        object.key()
                    ),
                    object_type: object.event_type(),
                    object_id: object.event_id(),
                    params: json!({ "metadataId": id }),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: &str) -> MetadataKeyValue {
        MetadataKeyValue {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn keys_and_values_have_limits() {
        assert!(
            validate_entries("user", &[kv("k", "v"), kv(&"k".repeat(MAX_KEY), "")], "t").is_ok()
        );
        for bad in [kv("", "v"), kv(&"k".repeat(MAX_KEY + 1), "v")] {
            let err = validate_entries("user", &[kv("ok", "v"), bad], "t").unwrap_err();
            assert_eq!(err.code(), "storage.metadata.invalidKey");
        }
        let err =
            validate_entries("user", &[kv("k", &"v".repeat(MAX_VALUE + 1))], "t").unwrap_err();
        assert_eq!(err.code(), "storage.metadata.valueTooLarge");
        assert_eq!(err.kind(), crate::ErrorKind::TooLarge);
        assert!(validate_entries("user", &[kv("k", &"v".repeat(MAX_VALUE))], "t").is_ok());
    }

    #[test]
    fn column_metadata_is_about_its_table() {
        let table: TableId = "in.c-a.t".parse().unwrap();
        let column = MetadataObject::Column(table.clone(), ColumnName::parse("c").unwrap());
        assert_eq!(
            (column.kind(), column.key()),
            ("column", "in.c-a.t.c".to_string())
        );
        assert_eq!(
            (column.event_type(), column.event_id()),
            ("table", "in.c-a.t".to_string())
        );
        let bucket = MetadataObject::Bucket(table.bucket().clone());
        assert_eq!(
            (bucket.event_type(), bucket.event_id()),
            ("bucket", "in.c-a".to_string())
        );
        let config =
            MetadataObject::Configuration("keboola.ex".parse().unwrap(), "7".parse().unwrap());
        assert_eq!(
            (config.event_type(), config.event_id()),
            ("configuration", "keboola.ex/7".to_string())
        );
        assert_eq!(MetadataObject::Project.key(), "default");
    }
}
