//! Provisioned resources: workspaces and BI projects.

/// Provisioned resources: workspaces and BI projects.
pub trait WorkspaceStore {}
