//! The people invited to a project.

use stackport_stack::store::UserStore;

use crate::SqliteTx;

impl UserStore for SqliteTx<'_> {}
