//! Form-encoded bodies (`application/x-www-form-urlencoded`) as the reference platform's
//! clients send them: `x[]=a&x[]=b` lists and `a[0][b]=v` / `a[b]=v` nesting, read into a tree
//! once and then deserialized into the endpoint's body type like JSON.
//!
//! A form carries only strings, so the deserializer ([`de`]) gives each leaf the type the body
//! asks for: Python's `True` is a boolean there, `3600` a number, and a `configuration` that the
//! client sent as a JSON string an opaque JSON document.

mod de;
mod tree;

pub use de::{from_tree, FormError};
pub use tree::parse_with_lists;
