//! Key-value metadata on projects, buckets, tables and columns.

/// Key-value metadata on projects, buckets, tables and columns.
pub trait MetadataEntries {}
