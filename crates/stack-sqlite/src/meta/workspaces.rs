//! Provisioned resources: workspaces and BI projects.

use stackport_stack::store::WorkspaceStore;

use crate::SqliteTx;

impl WorkspaceStore for SqliteTx<'_> {}
