//! The table catalog: tables, their columns, primary keys and aliases.

use stackport_stack::store::TableCatalog;

use crate::SqliteTx;

impl TableCatalog for SqliteTx<'_> {}
