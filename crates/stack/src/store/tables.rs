//! The table catalog: tables, their columns, primary keys and aliases.

/// The table catalog: tables, their columns, primary keys and aliases.
pub trait TableCatalog {}
