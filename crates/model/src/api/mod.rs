//! JSON shapes of the stack's HTTP API, one module per resource.

mod bucket;
mod error;
mod event;
mod file;
mod metadata;
mod project;
mod stack;
mod table;
mod token;

pub use bucket::*;
pub use error::*;
pub use event::*;
pub use file::*;
pub use metadata::*;
pub use project::*;
pub use stack::*;
pub use table::*;
pub use token::*;
