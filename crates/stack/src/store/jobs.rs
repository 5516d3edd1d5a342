//! The job queue: waiting, claimed, running and ended jobs.

/// The job queue: waiting, claimed, running and ended jobs.
pub trait JobQueue {}
