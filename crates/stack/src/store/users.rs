//! The people invited to a project.

/// The people invited to a project.
pub trait UserStore {}
