//! Buckets of Storage.

use stackport_stack::store::BucketStore;

use crate::SqliteTx;

impl BucketStore for SqliteTx<'_> {}
