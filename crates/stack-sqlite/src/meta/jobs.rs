//! The job queue: waiting, claimed, running and ended jobs.

use stackport_stack::store::JobQueue;

use crate::SqliteTx;

impl JobQueue for SqliteTx<'_> {}
