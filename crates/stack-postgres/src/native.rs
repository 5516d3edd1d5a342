//! Typed columns in PostgreSQL's own types, and the SQL between them and the stack's text.
//!
//! The stack promises every value back exactly as it was given, and the same fingerprint for
//! the same rows on every backend. PostgreSQL keeps one text form of each value (`1.5` in
//! `NUMERIC(10,2)` is `1.50`, `+1` is `1`), so a typed column takes only that form: an import
//! compares, in SQL over the staged rows, each value with the text its stored value renders
//! as, and refuses the import naming the form to send when they differ. An export renders each
//! type in that same form, so what comes back is what was sent.
//!
//! The types come from the table itself (`pg_attribute`), not from a copy of the definition:
//! what is read is always what is stored.

use std::collections::HashMap;

use postgres::{GenericClient, Transaction};
use stackport_model::api::{BaseType, ColumnDefinition};
use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::VALUE_WOULD_CHANGE;
use stackport_stack::{Error, Result};

use crate::error::pg;
use crate::names::{self, qualified};

/// The longest `VARCHAR(n)` PostgreSQL takes; a longer STRING is `TEXT` (the stack still
/// checks its length).
const MAX_VARCHAR: u32 = 10_485_760;

/// What a column is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Untyped columns, and STRING without a length (or longer than `VARCHAR` takes).
    Text,
    /// STRING(n).
    Varchar(u32),
    /// INTEGER, as `BIGINT`.
    Integer,
    /// NUMERIC, with its precision and scale when it has a length.
    Numeric(Option<(u32, u32)>),
    /// FLOAT, as `DOUBLE PRECISION`.
    Float,
    Boolean,
    Date,
    /// TIMESTAMP, as `TIMESTAMPTZ`.
    Timestamp,
}

impl Kind {
    fn of(def: &ColumnDefinition) -> Kind {
        let length = def.length.as_deref().map(str::trim);
        match def.basetype {
            BaseType::String => match length.and_then(|l| l.parse::<u32>().ok()) {
                Some(n) if n <= MAX_VARCHAR => Kind::Varchar(n),
                _ => Kind::Text,
            },
            BaseType::Integer => Kind::Integer,
            BaseType::Numeric => Kind::Numeric(length.and_then(|l| {
                let (p, s) = l.split_once(',').unwrap_or((l, "0"));
                Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
            })),
            BaseType::Float => Kind::Float,
            BaseType::Boolean => Kind::Boolean,
            BaseType::Date => Kind::Date,
            BaseType::Timestamp => Kind::Timestamp,
        }
    }

    /// Reads back what [`Kind::sql_type`] wrote, as `format_type` shows it.
    fn from_catalog(shown: &str) -> Option<Kind> {
        let typmod = |prefix: &str| {
            shown
                .strip_prefix(prefix)?
                .strip_prefix('(')?
                .strip_suffix(')')
                .map(str::to_string)
        };
        Some(match shown {
            "text" => Kind::Text,
            "bigint" => Kind::Integer,
            "numeric" => Kind::Numeric(None),
            "double precision" => Kind::Float,
            "boolean" => Kind::Boolean,
            "date" => Kind::Date,
            "timestamp with time zone" => Kind::Timestamp,
            _ => {
                if let Some(n) = typmod("character varying") {
                    Kind::Varchar(n.parse().ok()?)
                } else {
                    let ps = typmod("numeric")?;
                    let (p, s) = ps.split_once(',')?;
                    Kind::Numeric(Some((p.parse().ok()?, s.parse().ok()?)))
                }
            }
        })
    }

    fn sql_type(self) -> String {
        match self {
            Kind::Text => "TEXT".into(),
            Kind::Varchar(n) => format!("VARCHAR({n})"),
            Kind::Integer => "BIGINT".into(),
            Kind::Numeric(None) => "NUMERIC".into(),
            Kind::Numeric(Some((p, s))) => format!("NUMERIC({p},{s})"),
            Kind::Float => "DOUBLE PRECISION".into(),
            Kind::Boolean => "BOOLEAN".into(),
            Kind::Date => "DATE".into(),
            Kind::Timestamp => "TIMESTAMPTZ".into(),
        }
    }

    /// The stack's name of the type, as a user defined it.
    fn label(self) -> String {
        match self {
            Kind::Text => "STRING".into(),
            Kind::Varchar(n) => format!("STRING({n})"),
            Kind::Integer => "INTEGER".into(),
            Kind::Numeric(None) => "NUMERIC".into(),
            Kind::Numeric(Some((p, s))) => format!("NUMERIC({p},{s})"),
            Kind::Float => "FLOAT".into(),
            Kind::Boolean => "BOOLEAN".into(),
            Kind::Date => "DATE".into(),
            Kind::Timestamp => "TIMESTAMP".into(),
        }
    }

    /// Whether the stored value is the text itself, so every value comes back as it is.
    fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Varchar(_))
    }

    /// The one text form of the native value `x` (NULL stays NULL).
    fn render(self, x: &str) -> String {
        match self {
            Kind::Text | Kind::Varchar(_) => x.to_string(),
            // The connection's settings fix these forms (`crate::pool`): ISO dates, the
            // shortest float that reads back the same.
            Kind::Integer | Kind::Numeric(_) | Kind::Float | Kind::Date => format!("({x})::text"),
            Kind::Boolean => {
                format!("(CASE ({x}) WHEN true THEN 'true' WHEN false THEN 'false' END)")
            }
            // The stack's own form of a time (`stackport_model::time::format`): RFC 3339 in
            // UTC, with 3 or 6 digits of fraction when there is one.
            Kind::Timestamp => {
                let u = format!("(({x}) AT TIME ZONE 'UTC')");
                format!(
                    "(to_char({u}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE \
                     WHEN to_char({u}, 'US') = '000000' THEN '' \
                     WHEN right(to_char({u}, 'US'), 3) = '000' THEN '.' || to_char({u}, 'MS') \
                     ELSE '.' || to_char({u}, 'US') END || '+00:00')"
                )
            }
        }
    }

    /// What to send instead, when PostgreSQL cannot read a value at all.
    fn hint(self) -> String {
        match self {
            Kind::Text | Kind::Varchar(_) => "text".into(),
            Kind::Integer => "whole numbers such as '-42'".into(),
            Kind::Numeric(Some((_, s))) => format!("numbers with {s} decimal places"),
            Kind::Numeric(None) => "numbers such as '12.50'".into(),
            Kind::Float => "numbers such as '1.5' or '1e+20'".into(),
            Kind::Boolean => "'true' or 'false'".into(),
            Kind::Date => "dates such as '2026-11-29'".into(),
            Kind::Timestamp => "times such as '2026-11-29T14:00:00+00:00'".into(),
        }
    }
}

/// The column type of a new column: text for an untyped table (as every column used to be),
/// the native type of a typed column, `NULL` for its empty value when it is nullable.
pub(crate) fn column_ddl(def: Option<&ColumnDefinition>) -> String {
    let Some(def) = def else {
        return "TEXT NOT NULL DEFAULT ''".into();
    };
    let kind = Kind::of(def);
    match (def.nullable, kind.is_text()) {
        (true, _) => kind.sql_type(),
        (false, true) => format!("{} NOT NULL DEFAULT ''", kind.sql_type()),
        // The stack refuses rows without a value here, and a column without a default added
        // only to an empty table.
        (false, false) => format!("{} NOT NULL", kind.sql_type()),
    }
}

/// How one column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stored {
    kind: Kind,
    nullable: bool,
}

impl Stored {
    /// Whether the column keeps exactly the text sent (`TEXT NOT NULL`), so that COPY can
    /// write it with nothing to check or cast; a `VARCHAR(n)` would trim trailing spaces.
    pub(crate) fn is_plain_text(self) -> bool {
        matches!(self.kind, Kind::Text) && !self.nullable
    }

    /// The staged text `t` as the value to store.
    pub(crate) fn store_sql(self, t: &str) -> String {
        match (self.kind.is_text(), self.nullable) {
            (true, false) => t.to_string(),
            // Assigned, not cast: a cast to VARCHAR(n) would cut a longer value silently.
            (true, true) => format!("NULLIF({t}, '')"),
            (false, true) => format!("NULLIF({t}, '')::{}", self.kind.sql_type()),
            (false, false) => format!("({t})::{}", self.kind.sql_type()),
        }
    }

    /// The stored value `x` as the text that was imported (empty for NULL).
    pub(crate) fn text_sql(self, x: &str) -> String {
        match (self.kind.is_text(), self.nullable) {
            (true, false) => x.to_string(),
            _ => format!("coalesce({}, '')", self.kind.render(x)),
        }
    }

    /// The text the staged text `t` would come back as once stored; none when it always comes
    /// back as it is. Digits alone are a time in Unix seconds to the stack, so that is what
    /// is shown for them.
    fn comes_back_as(self, t: &str) -> Option<String> {
        if self.kind.is_text() {
            return None;
        }
        let native = match self.kind {
            Kind::Timestamp => format!(
                "CASE WHEN {t} ~ '^[+-]?[0-9]+$' THEN to_timestamp(({t})::double precision) \
                 ELSE ({t})::timestamptz END"
            ),
            kind => format!("({t})::{}", kind.sql_type()),
        };
        let empty = if self.nullable { "''" } else { "NULL" };
        Some(format!(
            "CASE WHEN {t} = '' THEN {empty} ELSE {} END",
            self.kind.render(&native)
        ))
    }
}

/// How each column of a table is stored, by its name in the table.
pub(crate) struct Layout(HashMap<String, Stored>);

impl Layout {
    /// Reads the table's columns from the catalog; an untyped table's are all plain text.
    pub(crate) fn read(
        client: &mut impl GenericClient,
        project: ProjectId,
        table: &str,
    ) -> Result<Layout> {
        let rows = client
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull \
                 FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 \
                 AND NOT a.attisdropped",
                &[&qualified(project, table)],
            )
            .map_err(pg)?;
        let mut columns = HashMap::new();
        for row in rows {
            let (name, shown, not_null): (String, String, bool) =
                (row.get(0), row.get(1), row.get(2));
            // The row key and `_timestamp` come along as BIGINT; nothing asks for them.
            if let Some(kind) = Kind::from_catalog(&shown) {
                columns.insert(
                    name,
                    Stored {
                        kind,
                        nullable: !not_null,
                    },
                );
            }
        }
        Ok(Layout(columns))
    }

    /// How `column` is stored; an error naming it when the table has no such column.
    pub(crate) fn of(&self, table: &str, column: &ColumnName) -> Result<Stored> {
        self.0
            .get(&names::physical(column))
            .copied()
            .ok_or_else(|| {
                Error::internal(
                    "reading a table's columns",
                    format!("table {table} has no column '{column}'"),
                )
            })
    }

    /// The SQL giving each of `columns` back as the text imported, in order.
    pub(crate) fn texts(&self, table: &str, columns: &[ColumnName]) -> Result<Vec<String>> {
        columns
            .iter()
            .map(|c| Ok(self.of(table, c)?.text_sql(&names::column(c))))
            .collect()
    }
}

/// Shows at most 50 characters of a value in a message.
fn shown(value: &str) -> String {
    let mut out: String = value.chars().take(50).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}

/// Refuses the import when a staged value of a typed column would come back in another form
/// (or not at all), naming the first such value and the form to send. One scan of `stage`
/// (alias `s`, ordered by `seq`) for every typed column; `columns` are the staged columns with
/// how the table stores them.
pub(crate) fn refuse_changed_values(
    tx: &mut Transaction<'_>,
    stage: &str,
    seq: &str,
    columns: &[(&ColumnName, Stored)],
) -> Result<()> {
    let checked: Vec<Checked<'_>> = columns
        .iter()
        .filter_map(|(name, stored)| {
            let given = format!("s.{}", names::column(name));
            let back = stored.comes_back_as(&given)?;
            Some(Checked {
                name,
                stored: *stored,
                given,
                back,
            })
        })
        .collect();
    if checked.is_empty() {
        return Ok(());
    }
    let values = checked
        .iter()
        .enumerate()
        .map(|(i, c)| format!("({i}, {}, {})", c.given, c.back))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT v.i, v.given, v.back, s.{seq} FROM {stage} s \
         CROSS JOIN LATERAL (VALUES {values}) AS v(i, given, back) \
         WHERE v.back IS DISTINCT FROM v.given ORDER BY s.{seq}, v.i LIMIT 1"
    );
    // In a savepoint, so that a value PostgreSQL cannot read at all can still be traced to
    // its column below.
    let mut probe = tx.transaction().map_err(pg)?;
    let found = probe.query_opt(&sql, &[]);
    match found {
        Ok(None) => probe.commit().map_err(pg),
        Ok(Some(row)) => {
            let (i, given, back, row_no): (i32, String, Option<String>, i64) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            let c = &checked[i as usize];
            Err(changed(c.name, c.stored, &given, back.as_deref(), row_no))
        }
        Err(e) if is_data_error(&e) => {
            drop(probe);
            Err(unreadable(tx, stage, &checked).unwrap_or_else(|| crate::error::import(e)))
        }
        Err(e) => Err(pg(e)),
    }
}

/// A typed column of the staged rows: the SQL of its text and of the text it would come back as.
struct Checked<'c> {
    name: &'c ColumnName,
    stored: Stored,
    given: String,
    back: String,
}

fn is_data_error(e: &postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| db.code().code().starts_with("22"))
}

fn changed(
    name: &ColumnName,
    stored: Stored,
    given: &str,
    back: Option<&str>,
    row_no: i64,
) -> Error {
    let label = stored.kind.label();
    let message = match back {
        _ if given.is_empty() => {
            format!("column '{name}' is {label} and not nullable, but row {row_no} has no value")
        }
        Some(back) => format!(
            "column '{name}' is {label}: '{}' (row {row_no}) would be stored as '{}'; send '{}', \
             the one form PostgreSQL keeps",
            shown(given),
            shown(back),
            shown(back)
        ),
        None => format!(
            "column '{name}' is {label}: PostgreSQL cannot keep '{}' (row {row_no}); send {}",
            shown(given),
            stored.kind.hint()
        ),
    };
    Error::invalid(
        VALUE_WOULD_CHANGE,
        format!("{message}; nothing was imported"),
    )
}

/// After a value PostgreSQL cannot read failed the scan: finds its column, one savepoint per
/// column, and says what to send. None when no column fails alone.
fn unreadable(tx: &mut Transaction<'_>, stage: &str, checked: &[Checked<'_>]) -> Option<Error> {
    for c in checked {
        let mut probe = tx.transaction().ok()?;
        let sql = format!(
            "SELECT count(*) FROM {stage} s WHERE ({}) IS DISTINCT FROM {}",
            c.back, c.given
        );
        if let Err(e) = probe.query_one(&sql, &[]) {
            let db = e.as_db_error()?;
            return Some(Error::invalid(
                "storage.import.invalidValue",
                format!(
                    "column '{}' is {}: PostgreSQL cannot read a value ({}); send {}; \
                     nothing was imported",
                    c.name,
                    c.stored.kind.label(),
                    db.message(),
                    c.stored.kind.hint()
                ),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(basetype: BaseType, nullable: bool, length: Option<&str>) -> ColumnDefinition {
        ColumnDefinition {
            name: ColumnName::parse("c").unwrap(),
            basetype,
            nullable,
            length: length.map(String::from),
        }
    }

    #[test]
    fn every_native_type_reads_back_from_the_catalog() {
        for (d, shown) in [
            (def(BaseType::String, true, None), "text"),
            (
                def(BaseType::String, true, Some("12")),
                "character varying(12)",
            ),
            (def(BaseType::Integer, true, None), "bigint"),
            (def(BaseType::Numeric, true, None), "numeric"),
            (def(BaseType::Numeric, true, Some("10, 2")), "numeric(10,2)"),
            (def(BaseType::Numeric, true, Some("7")), "numeric(7,0)"),
            (def(BaseType::Float, true, None), "double precision"),
            (def(BaseType::Boolean, true, None), "boolean"),
            (def(BaseType::Date, true, None), "date"),
            (
                def(BaseType::Timestamp, true, None),
                "timestamp with time zone",
            ),
        ] {
            assert_eq!(Kind::from_catalog(shown), Some(Kind::of(&d)), "{shown}");
        }
        assert_eq!(
            Kind::of(&def(BaseType::String, false, Some("99999999"))),
            Kind::Text,
            "longer than VARCHAR takes"
        );
        assert_eq!(Kind::from_catalog("integer"), None);
    }

    #[test]
    fn empty_values_of_nullable_columns_are_null() {
        assert_eq!(
            column_ddl(Some(&def(BaseType::Integer, true, None))),
            "BIGINT"
        );
        assert_eq!(
            column_ddl(Some(&def(BaseType::Integer, false, None))),
            "BIGINT NOT NULL"
        );
        assert_eq!(
            column_ddl(Some(&def(BaseType::String, false, Some("5")))),
            "VARCHAR(5) NOT NULL DEFAULT ''"
        );
        assert_eq!(column_ddl(None), "TEXT NOT NULL DEFAULT ''");
    }
}
