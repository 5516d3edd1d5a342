//! The records of Storage files (their bytes are behind the file seam).

use stackport_stack::store::FileRecords;

use crate::SqliteTx;

impl FileRecords for SqliteTx<'_> {}
