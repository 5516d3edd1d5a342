//! SQL names: the schema of a project and the physical name of a user's column.

use sha2::{Digest, Sha256};
use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::quote;

/// The longest identifier PostgreSQL keeps whole (longer ones are silently truncated).
const MAX_IDENT_BYTES: usize = 63;

/// Names PostgreSQL reserves for system columns: a table cannot have a column called so.
const SYSTEM_COLUMNS: [&str; 6] = ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"];

/// The schema holding a project's tables.
pub(crate) fn schema(project: ProjectId) -> String {
    format!("p{}", project.0)
}

/// `schema.table`, quoted.
pub(crate) fn qualified(project: ProjectId, table: &str) -> String {
    format!("{}.{}", quote(&schema(project)), quote(table))
}

/// The column's name in the table: the user's own where PostgreSQL can take it, otherwise a
/// name derived from it alone (so no mapping has to be stored) under the stack's reserved
/// prefix, which no user column can have. Needed for system column names (`ctid`) and for
/// names over 63 bytes (a 64-character name may be 256 bytes of UTF-8).
pub(crate) fn column(name: &ColumnName) -> String {
    quote(&physical(name))
}

/// [`column`] unquoted, as the catalog shows it.
pub(crate) fn physical(name: &ColumnName) -> String {
    let n = name.as_str();
    if n.len() <= MAX_IDENT_BYTES && !SYSTEM_COLUMNS.contains(&n) {
        return n.to_string();
    }
    let digest = Sha256::digest(n.as_bytes());
    format!("_stackport_c_{}", hex::encode(&digest[..16]))
}

/// The quoted physical names of `columns`, in order.
pub(crate) fn columns(columns: &[ColumnName]) -> Vec<String> {
    columns.iter().map(column).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_postgres_cannot_take_are_mapped_apart() {
        let plain = ColumnName::parse("CTID").unwrap();
        assert_eq!(
            column(&plain),
            "\"CTID\"",
            "quoted names are case-sensitive"
        );
        let sys = column(&ColumnName::parse("ctid").unwrap());
        assert!(sys.starts_with("\"_stackport_c_"), "{sys}");
        let a = column(&ColumnName::parse(&"č".repeat(64)).unwrap());
        let b = column(&ColumnName::parse(&"č".repeat(63)).unwrap());
        assert_ne!(a, b, "long names stay distinct");
        assert!(a.len() - 2 <= MAX_IDENT_BYTES);
    }
}
