//! Query strings of the API, one typed struct per endpoint.
//!
//! The server parses a request's query into its endpoint's struct once, at the boundary, and the
//! typed client writes its query strings from the same struct: every parameter's name is spelled
//! once, in the `query!` declaration. A parameter the endpoint does not declare is refused, never
//! ignored, because an ignored filter turns "list these and delete each" into "delete everything".

mod data;
mod files;
mod lists;
mod raw;
mod storage_jobs;
mod triggers;

pub use data::*;
pub use files::*;
pub use lists::*;
pub use raw::{QueryError, QueryWriter, RawQuery};
pub use storage_jobs::*;
pub use triggers::*;

/// The query of one endpoint.
pub trait Query: Sized {
    /// The parameter names the endpoint accepts, as the reference platform spells them.
    const ACCEPTED: &'static [&'static str];

    /// Each accepted parameter with how it is read and what it does: the OpenAPI document is
    /// written from this, so the documentation cannot name a parameter the endpoint refuses.
    const PARAMS: &'static [QueryParam];

    /// Reads the parameters out of a query whose names are all in `ACCEPTED`.
    fn from_raw(raw: &RawQuery) -> Result<Self, QueryError>;

    /// The query string pairs that say the same, for a client to send.
    fn to_pairs(&self) -> Vec<(String, String)>;

    /// Parses decoded `(name, value)` pairs: the unknown names first, then each value.
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        Self::from_raw(&RawQuery::new(pairs, Self::ACCEPTED)?)
    }
}

/// One parameter of a [`Query`], as the OpenAPI document describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParam {
    /// The name on the wire (a `values` parameter is sent as `name[]`).
    pub name: &'static str,
    /// How its value is read.
    pub kind: QueryKind,
    /// The field's doc comment.
    pub doc: &'static str,
}

/// How a parameter's value is read; see the methods of [`RawQuery`] of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum QueryKind {
    /// A boolean in any of the reference clients' spellings.
    flag,
    /// Text taken as given.
    string,
    /// Comma-separated or repeated `name[]`.
    list,
    /// Repeated `name[]`, each value taken whole.
    values,
    /// One value of a typed form (a number, an id, an enumeration).
    parse,
    /// JSON text.
    json,
}

/// Declares a query struct: each field with its doc comment, its type, how it is read (`flag`,
/// `string`, `list`, `values`, `parse` or `json`, see [`RawQuery`]) and its name on the wire.
macro_rules! query {
    ($(#[$m:meta])* pub struct $name:ident {
        $($(#[doc = $doc:literal])* pub $field:ident: $ty:ty = $kind:ident $key:literal,)*
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $($(#[doc = $doc])* pub $field: $ty,)*
        }

        impl $crate::api::query::Query for $name {
            const ACCEPTED: &'static [&'static str] = &[$($key),*];
            const PARAMS: &'static [$crate::api::query::QueryParam] = &[$(
                $crate::api::query::QueryParam {
                    name: $key,
                    kind: $crate::api::query::QueryKind::$kind,
                    doc: concat!($($doc),*),
                }
            ),*];

            #[allow(unused_variables)]
            fn from_raw(
                raw: &$crate::api::query::RawQuery,
            ) -> Result<Self, $crate::api::query::QueryError> {
                Ok($name { $($field: raw.$kind($key)?,)* })
            }

            fn to_pairs(&self) -> Vec<(String, String)> {
                #[allow(unused_mut)]
                let mut w = $crate::api::query::QueryWriter::default();
                $(w.$kind($key, &self.$field);)*
                w.into_pairs()
            }
        }
    };
}
pub(crate) use query;

query! {
    /// The query of an endpoint that takes none: any parameter is refused.
    pub struct NoQuery {}
}

#[cfg(test)]
mod tests;
