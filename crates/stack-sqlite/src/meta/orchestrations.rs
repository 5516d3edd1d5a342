//! Orchestrations and their tasks.

use stackport_stack::store::OrchestrationStore;

use crate::SqliteTx;

impl OrchestrationStore for SqliteTx<'_> {}
