//! A decoded query string, read by name with the API's conventions.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a query was refused; the message names the parameter and says what to send instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The parameter at fault.
    pub parameter: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl QueryError {
    fn new(parameter: &str, message: String) -> Self {
        QueryError {
            parameter: parameter.to_string(),
            message,
        }
    }
}

impl Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

/// A query's values by name. `x[]` is the same parameter as `x` (the reference clients send
/// lists as repeated `x[]`); the order of repeated values is kept.
#[derive(Debug, Clone, Default)]
pub struct RawQuery {
    params: Vec<(String, Vec<String>)>,
}

impl RawQuery {
    /// Groups the pairs by name, refusing a name not in `accepted`.
    pub fn new(pairs: Vec<(String, String)>, accepted: &[&str]) -> Result<Self, QueryError> {
        let mut params: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in pairs {
            let name = name.strip_suffix("[]").unwrap_or(&name).to_string();
            if !accepted.contains(&name.as_str()) {
                let known = if accepted.is_empty() {
                    "this endpoint takes no query parameters".to_string()
                } else {
                    format!("this endpoint accepts {}", accepted.join(", "))
                };
                return Err(QueryError::new(
                    &name,
                    format!(
                        "query parameter '{name}' is not known: {known}; remove it or correct its spelling"
                    ),
                ));
            }
            match params.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values.push(value),
                None => params.push((name, vec![value])),
            }
        }
        Ok(RawQuery { params })
    }

    fn all(&self, name: &str) -> &[String] {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// A single value; given twice it is refused, since either reading would be a guess.
    pub fn string(&self, name: &str) -> Result<Option<String>, QueryError> {
        match self.all(name) {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            _ => Err(QueryError::new(
                name,
                format!("query parameter {name} is given more than once; give it once"),
            )),
        }
    }

    /// A boolean: `true`/`false` in any case (Python sends `True`) or `1`/`0`; absent or empty
    /// is false.
    pub fn flag(&self, name: &str) -> Result<bool, QueryError> {
        match self.string(name)?.as_deref() {
            None | Some("") | Some("0") => Ok(false),
            Some("1") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(other) => Err(QueryError::new(
                name,
                format!("query parameter {name} must be true, false, 1 or 0, not '{other}'"),
            )),
        }
    }

    /// A list: comma-separated (`columns=a,b`), repeated (`columns[]=a&columns[]=b`), or both.
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>, QueryError> {
        let values = self.all(name);
        if values.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            values
                .iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ))
    }

    /// Repeated values taken whole (`whereValues[]=a,b` is the one value `a,b`): for values that
    /// are data, where a comma may be part of the value.
    pub fn values(&self, name: &str) -> Result<Vec<String>, QueryError> {
        Ok(self.all(name).to_vec())
    }

    /// A single value parsed with `FromStr`.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, QueryError>
    where
        T::Err: Display,
    {
        match self.string(name)? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|e| {
                QueryError::new(
                    name,
                    format!("query parameter {name} has an invalid value '{v}': {e}"),
                )
            }),
        }
    }

    /// A single value holding JSON.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, QueryError> {
        match self.string(name)? {
            None => Ok(None),
            Some(v) => serde_json::from_str(&v).map(Some).map_err(|e| {
                QueryError::new(name, format!("query parameter {name} is not valid: {e}"))
            }),
        }
    }
}

/// Writes a query struct back as pairs, the way [`RawQuery`] reads them.
#[derive(Debug, Default)]
pub struct QueryWriter(Vec<(String, String)>);

impl QueryWriter {
    /// The pairs written.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    fn push(&mut self, name: &str, value: String) {
        self.0.push((name.to_string(), value));
    }

    /// Written only when true.
    pub fn flag(&mut self, name: &str, value: &bool) {
        if *value {
            self.push(name, "true".into());
        }
    }

    /// Written when present.
    pub fn string(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.push(name, v.clone());
        }
    }

    /// Written comma-separated.
    pub fn list(&mut self, name: &str, value: &Option<Vec<String>>) {
        if let Some(v) = value {
            self.push(name, v.join(","));
        }
    }

    /// Written as repeated `name[]`.
    pub fn values(&mut self, name: &str, value: &[String]) {
        for v in value {
            self.push(&format!("{name}[]"), v.clone());
        }
    }

    /// Written with `Display`.
    pub fn parse<T: Display>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.push(name, v.to_string());
        }
    }

    /// Written as JSON.
    pub fn json<T: Serialize>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.push(name, serde_json::to_string(v).unwrap_or_default());
        }
    }
}
