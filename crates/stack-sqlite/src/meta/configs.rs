//! Component configurations with rows, state, versions and the trash.

use stackport_stack::store::ConfigStore;

use crate::SqliteTx;

impl ConfigStore for SqliteTx<'_> {}
