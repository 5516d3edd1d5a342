//! Values of typed tables: checked on import so a typed table only ever holds what its
//! definition promises. Values are stored as the text given, so exports give them back unchanged.
//!
//! Public for tools outside the stack (the migration): [`postgres_may_refuse`] tells which
//! columns a PostgreSQL table backend takes in fewer forms than the checks here accept.

use stackport_model::api::{BaseType, ColumnDefinition};

/// Why a PostgreSQL table backend may refuse values of a column with this definition that a
/// SQLite one took, in one line; none when it takes every value the stack accepts.
///
/// SQLite keeps a typed value as the text given. PostgreSQL stores a typed column in its own
/// type and, so that every value still comes back byte for byte (and a table's fingerprint is
/// the same on both), takes each value only in the one form it gives back: an import with
/// another form (`1.5` for `NUMERIC(10,2)`, `TRUE`, `+1`) is refused whole, naming the form to
/// send. Rows that loaded into a table on SQLite may therefore not load into the same table
/// on PostgreSQL. The forms are listed in `docs/api.md` (typed tables).
pub fn postgres_may_refuse(def: &ColumnDefinition) -> Option<&'static str> {
    def.basetype.postgres_form()
}

/// Parses `length`: a character count for STRING, `precision[,scale]` for NUMERIC.
fn numeric_length(length: &str) -> Option<(u32, u32)> {
    let (p, s) = length.split_once(',').unwrap_or((length, "0"));
    let (p, s) = (p.trim().parse::<u32>().ok()?, s.trim().parse::<u32>().ok()?);
    ((1..=38).contains(&p) && s <= p).then_some((p, s))
}

/// Checks that a definition's `length` fits its type.
pub(crate) fn check_length(def: &ColumnDefinition) -> Result<(), String> {
    let Some(length) = &def.length else {
        return Ok(());
    };
    let ok = match def.basetype {
        BaseType::String => length.parse::<u32>().is_ok_and(|n| n >= 1),
        BaseType::Numeric => numeric_length(length).is_some(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "column '{}': length '{length}' does not fit {}; STRING takes a character count, \
             NUMERIC 'precision,scale' (precision 1 to 38), other types none",
            def.name,
            def.basetype.as_str()
        ))
    }
}

/// Checks one value against its column's definition; the message says what was expected.
pub(crate) fn check_value(def: &ColumnDefinition, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return if def.nullable {
            Ok(())
        } else {
            Err(format!(
                "column '{}' is not nullable but the value is empty",
                def.name
            ))
        };
    }
    let ok = match def.basetype {
        BaseType::String => def
            .length
            .as_deref()
            .and_then(|l| l.parse::<usize>().ok())
            .is_none_or(|max| value.chars().count() <= max),
        BaseType::Integer => value.parse::<i64>().is_ok(),
        BaseType::Numeric => is_decimal(value, def.length.as_deref().and_then(numeric_length)),
        BaseType::Float => value.parse::<f64>().is_ok(),
        BaseType::Boolean => matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "1" | "0"
        ),
        BaseType::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        BaseType::Timestamp => stackport_model::time::parse(value).is_some(),
    };
    if ok {
        Ok(())
    } else {
        let shown: String = value.chars().take(50).collect();
        Err(format!(
            "column '{}' is {}{} but the value is '{shown}'",
            def.name,
            def.basetype.as_str(),
            def.length
                .as_deref()
                .map(|l| format!("({l})"))
                .unwrap_or_default()
        ))
    }
}

fn is_decimal(value: &str, precision: Option<(u32, u32)>) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return false;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match precision {
        None => true,
        Some((p, s)) => {
            let int_digits = int.trim_start_matches('0').len() as u32;
            frac.len() as u32 <= s && int_digits <= p - s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackport_model::ColumnName;

    fn col(basetype: BaseType, nullable: bool, length: Option<&str>) -> ColumnDefinition {
        ColumnDefinition {
            name: ColumnName::parse("c").unwrap(),
            basetype,
            nullable,
            length: length.map(String::from),
        }
    }

    #[test]
    fn values_by_type() {
        let int = col(BaseType::Integer, false, None);
        assert!(check_value(&int, "-42").is_ok());
        assert!(check_value(&int, "4.2").is_err());
        assert!(check_value(&int, "").is_err());
        let num = col(BaseType::Numeric, true, Some("5,2"));
        assert!(check_value(&num, "123.45").is_ok());
        assert!(check_value(&num, "1234.5").is_err());
        assert!(check_value(&num, "1.234").is_err());
        assert!(check_value(&num, "").is_ok());
        assert!(check_value(&col(BaseType::Date, true, None), "2026-02-30").is_err());
        assert!(check_value(&col(BaseType::Timestamp, true, None), "2026-02-03 10:00:00").is_ok());
        assert!(check_value(&col(BaseType::Boolean, true, None), "TRUE").is_ok());
        assert!(check_value(&col(BaseType::String, true, Some("3")), "název").is_err());
        assert!(check_value(&col(BaseType::String, true, Some("5")), "název").is_ok());
    }

    #[test]
    fn types_postgres_keeps_in_one_form_say_so() {
        assert_eq!(
            postgres_may_refuse(&col(BaseType::String, true, Some("5"))),
            None
        );
        for t in [
            BaseType::Integer,
            BaseType::Numeric,
            BaseType::Float,
            BaseType::Boolean,
            BaseType::Date,
            BaseType::Timestamp,
        ] {
            let why = postgres_may_refuse(&col(t, true, None)).unwrap();
            assert!(why.starts_with(t.as_str()), "{why}");
        }
        // The forms the stack accepts that PostgreSQL writes otherwise.
        assert!(check_value(&col(BaseType::Date, true, None), "2026-1-5").is_ok());
        assert!(check_value(&col(BaseType::Integer, true, None), "+7").is_ok());
        assert!(check_value(&col(BaseType::Float, true, None), "1e5").is_ok());
    }

    #[test]
    fn lengths_by_type() {
        assert!(check_length(&col(BaseType::Numeric, true, Some("38,9"))).is_ok());
        assert!(check_length(&col(BaseType::Numeric, true, Some("39,0"))).is_err());
        assert!(check_length(&col(BaseType::Integer, true, Some("10"))).is_err());
    }
}
