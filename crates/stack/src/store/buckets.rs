//! Buckets of Storage.

/// Buckets of Storage.
pub trait BucketStore {}
