//! Which backend the demo's projects keep their tables in. Both demo stacks use the same one:
//! a migration between projects whose backends differ is refused (`backend.mismatch`), so the
//! demo shows the migration a user would run, not an override.

use stackport_model::BackendName;
use stackport_stack::StackSettings;

/// Where the demo's projects keep their tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoBackend {
    /// A SQLite file per project, inside each stack's dir: nothing to install.
    Sqlite,
    /// A schema per project on PostgreSQL, each stack on a database of its own, as two stacks
    /// in two regions would each have their own server. The URLs name those databases, for a
    /// role that may create schemas and login roles there (a superuser, or the database's owner
    /// with `CREATEROLE`); a password in them is sealed by the stack, never written out.
    Postgresql {
        /// The database of the eu-central stack.
        eu_central: String,
        /// The database of the us-east stack.
        us_east: String,
    },
}

impl DemoBackend {
    /// The name the demo's projects record.
    pub fn name(&self) -> BackendName {
        match self {
            DemoBackend::Sqlite => BackendName::SQLITE,
            DemoBackend::Postgresql { .. } => BackendName::POSTGRESQL,
        }
    }

    /// `settings` offering this backend beside SQLite and creating new projects on it. The
    /// PostgreSQL server itself is registered when the stack is first created (its password
    /// sealed with the stack's key), see `EmbeddedStack::start_on`.
    pub(crate) fn apply(&self, settings: &mut StackSettings) {
        let name = self.name();
        if !settings.backends.contains(&name) {
            settings.backends.push(name.clone());
        }
        settings.default_backend = name;
    }
}
