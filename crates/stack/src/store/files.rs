//! The records of Storage files (their bytes are behind the file seam).

/// The records of Storage files (their bytes are behind the file seam).
pub trait FileRecords {}
