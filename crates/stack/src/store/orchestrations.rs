//! Orchestrations and their tasks.

/// Orchestrations and their tasks.
pub trait OrchestrationStore {}
