//! `--allow-backend-change`: a project moved into a project of another table backend (SQLite into
//! PostgreSQL, or back). The reference platform refuses such a migration; stackport lets a
//! person ask for it, because rows are text in every backend and move losslessly, while the
//! two things that do not carry over are named one by one: SQL transformations written in the
//! other backend's dialect (restored disabled, so nothing runs SQL the destination cannot
//! execute, and put on the checklist), and typed columns PostgreSQL takes values of in one form
//! only (it refuses a value it would give back differently, so a source value in another form
//! stops that table's restore, naming it).
//!
//! Everything here is decided from the two backends' names and the objects themselves, so the
//! plan, the restore, a resumed restore, the report and `migrate verify` reach the same
//! verdicts without passing anything between them.

use serde::Serialize;
#[cfg(test)]
use stackport_model::api::BaseType;
use stackport_model::api::{ColumnDefinition, Configuration, Table};
use stackport_model::ComponentId;

const SQLITE: &str = "sqlite";
const POSTGRESQL: &str = "postgresql";

/// A backend's name as people write it.
pub(crate) fn label(backend: &str) -> &str {
    match backend {
        SQLITE => "SQLite",
        POSTGRESQL => "PostgreSQL",
        other => other,
    }
}

/// The SQL transformation component of a backend's dialect, when stackport has one.
pub(crate) fn transformation_component(backend: &str) -> Option<&'static str> {
    match backend {
        SQLITE => Some("keboola.sqlite-transformation"),
        POSTGRESQL => Some("keboola.postgresql-transformation"),
        _ => None,
    }
}

/// The backend whose SQL dialect `component`'s configurations are written in, if any.
fn dialect(component: &str) -> Option<&'static str> {
    [SQLITE, POSTGRESQL]
        .into_iter()
        .find(|b| transformation_component(b) == Some(component))
}

/// Whether a configuration of `component` holds SQL a project of `destination` cannot run:
/// a SQL transformation of another backend's dialect.
pub(crate) fn needs_rewrite(component: &str, destination: &str) -> bool {
    dialect(component).is_some_and(|d| d != destination)
}

/// The checklist's wording: `rewrite for PostgreSQL`.
pub(crate) fn rewrite_for(destination: &str) -> String {
    format!("rewrite for {}", label(destination))
}

/// Why PostgreSQL may refuse values of this column that SQLite took, or `None` when it takes
/// every value the stack accepts (STRING). The rule is the PostgreSQL backend's own
/// ([`BaseType::postgres_form`]), shared through the model because the migration reaches
/// stacks only through their API.
pub(crate) fn postgresql_normalises(def: &ColumnDefinition) -> Option<&'static str> {
    def.basetype.postgres_form()
}

/// A configuration restored disabled because its SQL must be rewritten.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewriteTransformation {
    /// Its component, e.g. `keboola.sqlite-transformation`.
    pub component_id: String,
    /// Its id (kept by the migration).
    pub configuration_id: String,
    /// Its name.
    pub name: String,
    /// It was disabled on the source already.
    pub was_disabled: bool,
}

impl RewriteTransformation {
    /// How findings and the checklist name it.
    pub(crate) fn object(&self) -> String {
        format!(
            "configuration {}/{} ({})",
            self.component_id, self.configuration_id, self.name
        )
    }
}

/// A typed column PostgreSQL takes values of in one form only.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedColumnChange {
    /// The table.
    pub table_id: String,
    /// The column.
    pub column: String,
    /// Its type as the definition spells it, e.g. `NUMERIC(12,2)`.
    pub basetype: String,
    /// The form PostgreSQL takes.
    pub change: String,
}

impl TypedColumnChange {
    /// How findings and the checklist name it.
    pub(crate) fn object(&self) -> String {
        format!(
            "column {} of table {} ({})",
            self.column, self.table_id, self.basetype
        )
    }
}

/// What moving into a project of another backend does to the objects that move.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendChange {
    /// The source project's backend.
    pub from: String,
    /// The destination project's backend.
    pub to: String,
    /// SQL transformations in the source's dialect: restored disabled, to be rewritten.
    pub rewrite: Vec<RewriteTransformation>,
    /// Typed columns whose values the destination may store in another form.
    pub typed_columns: Vec<TypedColumnChange>,
}

impl BackendChange {
    /// The change from `from` to `to` for these configurations and tables; `None` when the
    /// backends are the same.
    pub(crate) fn of<'a>(
        from: &str,
        to: &str,
        configs: impl IntoIterator<Item = (&'a ComponentId, &'a Configuration)>,
        tables: impl IntoIterator<Item = &'a Table>,
    ) -> Option<BackendChange> {
        if from == to {
            return None;
        }
        let rewrite = configs
            .into_iter()
            .filter(|(component, _)| needs_rewrite(component.as_str(), to))
            .map(|(component, c)| RewriteTransformation {
                component_id: component.to_string(),
                configuration_id: c.id.to_string(),
                name: c.name.clone(),
                was_disabled: c.is_disabled,
            })
            .collect();
        // Only PostgreSQL has native types; what it stored, another backend keeps as it is.
        let typed_columns = if to == POSTGRESQL {
            tables
                .into_iter()
                .filter(|t| t.is_typed && !t.is_alias)
                .flat_map(|t| {
                    t.definition.iter().flat_map(move |d| {
                        d.columns.iter().filter_map(move |c| {
                            postgresql_normalises(c).map(|change| TypedColumnChange {
                                table_id: t.id.to_string(),
                                column: c.name.to_string(),
                                basetype: spelled(c),
                                change: change.to_string(),
                            })
                        })
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        Some(BackendChange {
            from: from.to_string(),
            to: to.to_string(),
            rewrite,
            typed_columns,
        })
    }

    /// One line for the report's summary.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} → {} (--allow-backend-change): {} SQL transformation(s) restored disabled to {}, {} typed column(s) to check",
            self.from,
            self.to,
            self.rewrite.len(),
            rewrite_for(&self.to),
            self.typed_columns.len()
        )
    }

    /// What a person does about a transformation to rewrite.
    pub(crate) fn rewrite_action(&self, t: &RewriteTransformation) -> String {
        let target = match transformation_component(&self.to) {
            Some(c) => format!("a {c} configuration"),
            None => format!("a transformation the {} project can run", label(&self.to)),
        };
        format!(
            "{}: its SQL is in {}'s dialect; it was restored disabled{}, so nothing runs it. \
             Write its SQL again as {target} (the same inputs and outputs), then delete this one",
            rewrite_for(&self.to),
            label(&self.from),
            if t.was_disabled {
                " (it was disabled on the source too)"
            } else {
                ""
            }
        )
    }

    /// What a person does about a typed column.
    pub(crate) fn typed_column_action(&self, c: &TypedColumnChange) -> String {
        format!(
            "{}. The rows that reached the destination are exactly the source's; a source \
             value in another form stops that table's restore with a message naming it: \
             correct it in the source and run the migration again",
            c.change
        )
    }
}

fn spelled(c: &ColumnDefinition) -> String {
    match &c.length {
        Some(l) => format!("{}({l})", c.basetype.as_str()),
        None => c.basetype.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(basetype: BaseType) -> ColumnDefinition {
        ColumnDefinition {
            name: "c".parse().unwrap(),
            basetype,
            nullable: true,
            length: None,
        }
    }

    #[test]
    fn the_other_dialect_needs_a_rewrite() {
        assert!(needs_rewrite("keboola.sqlite-transformation", "postgresql"));
        assert!(needs_rewrite("keboola.postgresql-transformation", "sqlite"));
        assert!(!needs_rewrite("keboola.sqlite-transformation", "sqlite"));
        assert!(!needs_rewrite(
            "keboola.snowflake-transformation",
            "postgresql"
        ));
        assert!(!needs_rewrite("keboola.ex-db-mysql", "postgresql"));
        assert_eq!(rewrite_for("postgresql"), "rewrite for PostgreSQL");
        assert_eq!(rewrite_for("sqlite"), "rewrite for SQLite");
    }

    #[test]
    fn which_types_postgresql_takes_in_one_form() {
        for t in [
            BaseType::Integer,
            BaseType::Numeric,
            BaseType::Float,
            BaseType::Boolean,
            BaseType::Date,
            BaseType::Timestamp,
        ] {
            assert!(postgresql_normalises(&column(t)).is_some(), "{t:?}");
        }
        assert!(postgresql_normalises(&column(BaseType::String)).is_none());
    }
}
