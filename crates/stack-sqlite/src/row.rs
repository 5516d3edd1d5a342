//! Row mapping shared by the aggregates: ids as text, lists and maps as JSON text.

/// JSON column helpers: lists and maps are stored as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Reads a JSON column written by [`to_json`].
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Reads a text column into a typed value (an id) with `FromStr`; a value that does not parse
/// is a conversion error of that column.
pub(crate) fn parse_column<T: std::str::FromStr>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw: String = r.get(i)?;
    raw.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// [`parse_column`] for a column that may be NULL.
pub(crate) fn parse_optional_column<T: std::str::FromStr>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match r.get::<_, Option<String>>(i)? {
        Some(_) => parse_column(r, i).map(Some),
        None => Ok(None),
    }
}
