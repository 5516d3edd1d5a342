//! The name a table's rows have inside a backend.

use std::fmt;

/// The name a table's data has inside a backend. Only the stack chooses one, for a new table
/// (never a user, whose names may be anything a backend cannot take); a catalog hands back the
/// names the stack chose, so a backend may splice it into its DDL as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhysicalName(String);

impl PhysicalName {
    /// A fresh name for a new table: `t_` and 16 random lowercase letters and digits.
    pub(crate) fn mint() -> PhysicalName {
        PhysicalName(format!(
            "t_{}",
            crate::secret::random_string(16).to_lowercase()
        ))
    }

    /// Only for reading back what the stack chose: a catalog implementation rebuilding the
    /// name it stored, a backend listing the tables it holds, a suite naming its fixtures.
    #[doc(hidden)]
    pub fn from_stored(name: String) -> PhysicalName {
        PhysicalName(name)
    }

    /// The name as the backend knows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhysicalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
