//! Key-value metadata on projects, buckets, tables and columns.

use stackport_stack::store::MetadataEntries;

use crate::SqliteTx;

impl MetadataEntries for SqliteTx<'_> {}
